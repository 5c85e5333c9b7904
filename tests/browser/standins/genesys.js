// Stand-in for Genesys's genesys.min.js: the documented Messenger command API (the snippet's
// `Genesys` queue, registerPlugin, registerCommand, subscribe, command, ready) and the Auth
// plugin's behaviour: when the AuthProvider is ready it asks getAuthCode, "redeems" the code
// (window.__standinConfig.rejectCodes = N: the first N codes are refused, Auth.authError is
// published and reAuthenticate called, as Genesys does), then publishes Auth.authenticated.
// window.__standin.requestCode() makes the Auth plugin ask for a code again (session expired).
(function () {
  const config = window.__standinConfig || {};
  const name = window._genesysJs || "Genesys";
  const queued = (window[name] && window[name].q) || [];
  const settings = (window[name] && window[name].c) || null;
  const log = (window.__standin = { calls: [], rejectLeft: config.rejectCodes || 0 });
  const record = (call, args) => {
    const entry = { name: call, args: JSON.parse(JSON.stringify(args === undefined ? null : args)) };
    log.calls.push(entry);
    if (window.standinRecord) window.standinRecord(entry.name, entry.args);
  };
  const subscribers = {};
  const publish = (event, data) => (subscribers[event] || []).forEach((cb) => cb({ event, data }));
  const providerCommands = {};
  const runProvider = (command, data) =>
    new Promise((resolve, reject) => {
      const handler = providerCommands[command];
      if (!handler) return reject(new Error(`no ${command}`));
      handler({ data: data || {}, resolve, reject });
    });
  const commands = {
    "Messenger.open": () => {
      record("Messenger.open", null);
      let el = document.getElementById("vendor-chat");
      if (!el) {
        el = document.createElement("div");
        el.id = "vendor-chat";
        document.body.appendChild(el);
      }
      el.textContent = "Genesys Messenger";
      return Promise.resolve();
    },
    "Auth.logout": () => {
      record("Auth.logout", null);
      publish("Auth.loggedOut", { status: 200 });
      return Promise.resolve();
    },
  };
  async function authenticate() {
    let answer;
    try {
      answer = await runProvider("getAuthCode");
    } catch (err) {
      record("getAuthCode.rejected", String(err && err.message));
      return;
    }
    record("getAuthCode", answer);
    if (log.rejectLeft > 0) {
      log.rejectLeft -= 1;
      publish("Auth.authError", { reason: "invalid_grant" });
      try {
        await runProvider("reAuthenticate");
        record("reAuthenticate.resolved", null);
      } catch (err) {
        record("reAuthenticate.rejected", null);
        return;
      }
      return authenticate(); // "calling the getAuthCode command is taken care internally"
    }
    publish("Auth.authenticated", { jwt: "genesys-session" });
  }
  log.requestCode = authenticate;
  function Genesys(verb, ...args) {
    if (verb === "registerPlugin") {
      const [plugin, init] = args;
      record("registerPlugin", plugin);
      const api = {
        registerCommand(command, handler) {
          providerCommands[command] = handler;
          record("registerCommand", command);
        },
        subscribe(event, cb) {
          (subscribers[event] = subscribers[event] || []).push(cb);
          record("subscribe", event);
        },
        command(command, data) {
          return (commands[command] || (() => Promise.reject(new Error(command))))(data);
        },
        ready() {
          record("ready", plugin);
          if (plugin === "AuthProvider") setTimeout(authenticate, 10);
        },
      };
      init(api);
      return undefined;
    }
    if (verb === "command") {
      const [command, data] = args;
      return (commands[command] || (() => Promise.reject(new Error(command))))(data);
    }
    if (verb === "subscribe") {
      const [event, cb] = args;
      (subscribers[event] = subscribers[event] || []).push(cb);
    }
    return undefined;
  }
  record("boot", settings);
  window[name] = Genesys;
  queued.forEach((args) => Genesys(...args));
})();
