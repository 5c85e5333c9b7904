// Stand-in for Zendesk's snippet.js: the documented messenger API zE("messenger", ...) with
// loginUser(jwtCallback, loginCallback), open and logoutUser. On loginUser it asks jwtCallback
// for a JWT, as the widget does; window.__standinConfig.reject = N: the first N logins fail with
// a LoginFailedError. window.__standin.needFreshJwt() makes the widget ask jwtCallback again
// (an existing session that needs an updated JWT).
(function () {
  const config = window.__standinConfig || {};
  const log = (window.__standin = { calls: [], rejectLeft: config.reject || 0 });
  const record = standinRecorder(log);
  const snippet = document.getElementById("ze-snippet");
  record("snippet", snippet ? snippet.src : null);
  let jwtCallback = null;
  const askJwt = () =>
    new Promise((resolve) => {
      jwtCallback((jwt) => {
        record("jwt", jwt);
        resolve(jwt);
      });
    });
  log.needFreshJwt = () => askJwt();
  window.zE = function (namespace, command, ...args) {
    if (namespace !== "messenger") return;
    if (command === "loginUser") {
      const [jwtCb, loginCb] = args;
      record("loginUser", null);
      jwtCallback = jwtCb;
      askJwt().then((jwt) => {
        if (typeof jwt !== "string" || jwt.split(".").length !== 3) {
          loginCb({ message: "Invalid JWT", reason: "invalid_jwt", type: "LoginFailedError" });
        } else if (log.rejectLeft > 0) {
          log.rejectLeft -= 1;
          loginCb({ message: "Invalid JWT", reason: "invalid_jwt", type: "LoginFailedError" });
        } else if (loginCb) {
          loginCb(null);
        }
      });
    } else if (command === "open" || command === "logoutUser") {
      record(command, null);
    }
  };
})();
