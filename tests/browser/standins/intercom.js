// Stand-in for Intercom's widget script (https://widget.intercom.io/widget/<app_id>): it takes
// over the command queue window.Intercom.q (installed by the snippet or the npm loader) and
// answers the documented methods boot, update, show, hide, onShow, onHide and shutdown.
(function () {
  const queued = (window.Intercom && window.Intercom.q) || [];
  const log = (window.__standin = { calls: [] });
  const record = standinRecorder(log);
  const callbacks = { onShow: [], onHide: [] };
  let visible = false;
  function Intercom(method, ...args) {
    switch (method) {
      case "boot":
      case "update":
        record(method, args[0]);
        break;
      case "show":
        record("show", null);
        visible = true;
        callbacks.onShow.forEach((cb) => cb());
        break;
      case "hide":
        record("hide", null);
        visible = false;
        callbacks.onHide.forEach((cb) => cb());
        break;
      case "onShow":
      case "onHide":
        callbacks[method].push(args[0]);
        break;
      case "shutdown":
        record("shutdown", null);
        break;
      default:
        record(method, args);
    }
  }
  log.hide = () => Intercom("hide");
  log.visible = () => visible;
  window.Intercom = Intercom;
  // The widget boots itself from window.intercomSettings (set by the snippet or the npm
  // loader) unless the queue already holds an explicit boot.
  const explicitBoot = queued.some((args) => args[0] === "boot");
  if (!explicitBoot && window.intercomSettings && window.intercomSettings.app_id) {
    Intercom("boot", window.intercomSettings);
  }
  queued.forEach((args) => Intercom(...args));
})();
