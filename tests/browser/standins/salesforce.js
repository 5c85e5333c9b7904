// Stand-in for Salesforce's bootstrap.min.js: the documented command API of enhanced web chat
// (embeddedservice_bootstrap.init, onEmbeddedMessagingReady, userVerificationAPI.setIdentityToken
// / clearSession, utilAPI.launchChat, onEmbeddedMessagingIdentityTokenExpired), recording what
// the page hands over. window.__standinConfig.reject = N: the first N tokens are refused
// (setIdentityToken returns false, as a token Salesforce cannot use).
(function () {
  const config = window.__standinConfig || {};
  const log = (window.__standin = { calls: [], tokens: [], rejectLeft: config.reject || 0 });
  const record = (name, args) => {
    const entry = { name, args: JSON.parse(JSON.stringify(args || null)) };
    log.calls.push(entry);
    if (window.standinRecord) window.standinRecord(entry.name, entry.args);
  };
  const panel = () => {
    let el = document.getElementById("vendor-chat");
    if (!el) {
      el = document.createElement("div");
      el.id = "vendor-chat";
      document.body.appendChild(el);
    }
    return el;
  };
  window.embeddedservice_bootstrap = {
    settings: {},
    init(orgId, deploymentName, siteUrl, options) {
      record("init", [orgId, deploymentName, siteUrl, options]);
      setTimeout(() => window.dispatchEvent(new Event("onEmbeddedMessagingReady")), 10);
    },
    userVerificationAPI: {
      setIdentityToken(params) {
        record("setIdentityToken", params);
        log.tokens.push(params.identityToken);
        if (params.identityTokenType !== "JWT" || typeof params.identityToken !== "string") return false;
        if (log.rejectLeft > 0) {
          log.rejectLeft -= 1;
          return false;
        }
        panel().textContent = "Salesforce conversation button (verified user)";
        return true;
      },
      clearSession(shouldEndSession) {
        record("clearSession", [shouldEndSession]);
        panel().textContent = "Salesforce session cleared";
        setTimeout(() => window.dispatchEvent(new Event("onEmbeddedMessagingReady")), 10);
        return Promise.resolve();
      },
    },
    utilAPI: {
      launchChat() {
        record("launchChat", []);
        panel().textContent = "Salesforce conversation window (verified user)";
        return Promise.resolve();
      },
    },
  };
  log.expire = () => window.dispatchEvent(new Event("onEmbeddedMessagingIdentityTokenExpired"));
})();
