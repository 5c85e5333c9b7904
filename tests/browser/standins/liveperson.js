// Stand-in for LivePerson's web tag (tag.js?site=<account>): renders an authenticated messaging
// engagement button (#lp-engagement); clicking it opens the Messaging window, which asks the
// page's configured JS method for the consumer's token (window[authMethod](callback)), as the
// authentication connector documents. window.__standinConfig.reject = N: the first N tokens are
// refused and the method is asked again at once; window.__standin.expire() asks again later.
// As the authentication guide describes, the tag reads lpTag.identities when it loads: each
// identity function is called and what it answers is recorded ("identity"); an authenticated
// engagement is offered only when one answered {iss, acr, sub}.
(function () {
  const config = window.__standinConfig || {};
  const method = config.authMethod || "lpGetAuthenticationToken";
  const log = (window.__standin = { calls: [], rejectLeft: config.reject || 0 });
  const record = standinRecorder(log);
  const lpTag = window.lpTag || {};
  record("tag", { site: lpTag.site, tagCount: lpTag._tagCount, queues: ["vars", "dbs", "ctn", "sdes", "hooks", "identities", "ev"].filter((q) => Array.isArray(lpTag[q])) });
  for (const identityFn of lpTag.identities || []) {
    identityFn((identity) => record("identity", identity));
  }
  log.identify = () => {
    for (const identityFn of (window.lpTag && window.lpTag.identities) || []) {
      identityFn((identity) => record("identity", identity));
    }
  };
  const ask = () => {
    const fn = window[method];
    if (typeof fn !== "function") {
      record("noMethod", method);
      return;
    }
    fn((token) => {
      record("token", token);
      if (log.rejectLeft > 0) {
        log.rejectLeft -= 1;
        setTimeout(ask, 20); // a refused token: the Messaging window asks again
      }
    });
  };
  log.expire = ask;
  const button = document.createElement("button");
  button.id = "lp-engagement";
  button.type = "button";
  button.textContent = "Message us";
  button.addEventListener("click", ask);
  document.body.appendChild(button);
})();
