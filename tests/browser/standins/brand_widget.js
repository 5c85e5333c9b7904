// Stand-in for a brand's own chat widget on the generic platform: it consumes the portal's
// documented DOM hook ("portalchat:open", "portalchat:logout"; platforms/generic/static/adapter.js).
// window.__standinConfig.reject = N: the first N tokens are refused with "bad_signature".
window.addEventListener("portalchat:open", async (event) => {
  const config = window.__standinConfig || {};
  window.__brandRejected = window.__brandRejected || 0;
  const chat = event.detail;
  const token = await chat.getToken();
  if (window.standinRecord) window.standinRecord("token", { messenger: chat.messenger, token });
  if (window.__brandRejected < (config.reject || 0)) {
    window.__brandRejected += 1;
    chat.rejected("bad_signature");
  } else {
    chat.accepted();
  }
});
window.addEventListener("portalchat:logout", (event) => {
  if (window.standinRecord) window.standinRecord("logout", event.detail.messenger);
  event.detail.waitUntil(Promise.resolve());
});
