// Stand-in for Microsoft's LiveChatBootstrapper.js: reads the snippet's data attributes, raises
// lcw:ready, and offers the documented SDK methods setAuthTokenProvider (throws unless given a
// function), getAuthTokenProvider, removeAuthTokenProvider, startChat (raises lcw:startChat and
// asks the provider for a token, which must come within 10 s) and closeChat.
// window.__standinConfig.reject = N: the first N tokens are refused with lcw:error.
(function () {
  const config = window.__standinConfig || {};
  const log = (window.__standin = { calls: [], rejectLeft: config.reject || 0 });
  const record = standinRecorder(log);
  const snippet = document.getElementById("Microsoft_Omnichannel_LCWidget");
  record("snippet", snippet ? { ...snippet.dataset } : null);
  const raise = (name, detail) => window.dispatchEvent(new CustomEvent(name, { detail }));
  let provider = null;
  const SDK = {
    setAuthTokenProvider(fn) {
      if (typeof fn !== "function") throw new Error("authTokenProvider is not a function");
      record("setAuthTokenProvider", null);
      provider = fn;
    },
    getAuthTokenProvider() {
      return provider;
    },
    removeAuthTokenProvider() {
      record("removeAuthTokenProvider", null);
      provider = null;
    },
    startChat() {
      record("startChat", null);
      raise("lcw:startChat");
      if (!provider) return;
      const timer = setTimeout(() => {
        record("providerTimeout", null);
        raise("lcw:error", { errorCode: "AuthTokenProviderTimeout" });
      }, 10000);
      provider((token) => {
        clearTimeout(timer);
        record("token", token);
        if (log.rejectLeft > 0) {
          log.rejectLeft -= 1;
          setTimeout(() => raise("lcw:error", { errorCode: "AuthenticationFailed", errorDescription: "JWT refused" }), 10);
        } else {
          raise("lcw:chatQueued");
        }
      });
    },
    closeChat() {
      record("closeChat", null);
      raise("lcw:closeChat");
      return Promise.resolve();
    },
  };
  window.Microsoft = { Omnichannel: { LiveChatWidget: { SDK } } };
  setTimeout(() => raise("lcw:ready"), 10);
})();
