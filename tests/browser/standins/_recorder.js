// Prepended to every vendor stand-in by serve_standin (tests/browser/vendors.py): records each
// documented call the page makes, in window.__standin.calls and through window.standinRecord.
function standinRecorder(log) {
  return (name, args) => {
    const entry = { name, args: JSON.parse(JSON.stringify(args === undefined ? null : args)) };
    log.calls.push(entry);
    if (window.standinRecord) window.standinRecord(entry.name, entry.args);
  };
}
