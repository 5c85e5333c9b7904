// Widget glue: carries a fresh, verified identity into the chat, however long the page is open.
//
// Refresh on demand: no token is requested at page load. A fresh token is fetched when the
// customer clicks Chat and whenever the platform adapter asks (token expired, rejection).
// After a rejection it fetches one fresh token and retries once, then shows a clear message
// with a Retry button. It never waits forever and never falls back to an anonymous chat.
//
// Adapters. Each messenger of the chat config names one (messaging_tags.py):
//   "sandbox"  the sandbox chat window (below; only while the sandbox is served and the
//              messenger's vendor setting "sandbox" is not false); Genesys messengers get a
//              fresh auth code instead of a token;
//   anything else: the ES module adapters/<name>.js, imported on the first Chat click. It
//              loads the vendor's documented snippet from vendor.scriptUrl and hands the
//              identity over exactly as that vendor documents (see each module's header).
//   "generic" in production: the documented portalchat:open / portalchat:logout DOM hook that
//              the brand's own widget consumes (adapters/generic.js).
// Sandbox adapter:  adapter.open({container, messenger, clickedAt, getToken, getAuthCode,
//                   onStatus}) -> {retry, close}
// Vendor adapters:  new Adapter({messenger, vendor, container, getToken, getAuthCode, onStatus})
//                   .open({resumed}) -> Promise, .retry(), .logout() -> Promise
//   getToken() -> Promise<string>: always a fresh token from the portal
//   getAuthCode() -> Promise<{authCode, redirectUri, nonce, codeVerifier?}>: always a fresh code
//   onStatus(state, text): state is "connecting" | "verified" | "open" | "error"
//
// Vendor widgets keep their conversation across page loads (Salesforce asks for the token
// "after every reload"). So while a vendor chat is open, localStorage holds its messenger slug
// (never a token); a page load with that mark restores the widget, which then asks for a fresh
// token itself. A fresh page without the mark mints nothing. Logging out of the portal logs out
// of the vendor widget first (adapter.logout(), at most LOGOUT_TIMEOUT_MS) and clears the mark.
// Limits: a portal session that simply expires (no Log out click) cannot log out of the vendor
// widget; pages without the chat panel do not load chat.js, so their Log out posts directly
// (the vendor widget is not loaded on those pages either).

import { TokenError, describe, makePortalSource, withTimeout } from "./adapters/common.js";
import { beacon } from "./beacons.js";
import { stepUp, withStepUp } from "./stepup.js";

export { TokenError, describe };

const READY_TIMEOUT_MS = 10000;
const VERDICT_TIMEOUT_MS = 15000;
const MAX_EXPIRY_REFRESHES_PER_MINUTE = 3;
const LOGOUT_TIMEOUT_MS = 3000;
const OPEN_MARK = "portalChat.open";
const VENDOR_ADAPTERS = new Set(["salesforce", "zendesk", "liveperson", "d365", "intercom", "genesys", "generic"]);

// The portal's token API, or (field "authCode") its auth-code API: same request, same errors.
export function makeTokenSource({
  tokenUrl,
  csrfToken,
  field = "token",
  fetchImpl = window.fetch.bind(window),
}) {
  return makePortalSource({ url: tokenUrl, csrfToken, field, fetchImpl });
}

// --- the sandbox adapter: an iframe chat window speaking postMessage -----------------------

export class SandboxAdapter {
  constructor({ chatUrl }) {
    this.chatUrl = chatUrl;
  }

  // OpenID Connect messengers (Genesys) pass getAuthCode: the window gets a fresh one-time
  // code ({authCode, redirectUri, nonce, codeVerifier?}) instead of a token, every time.
  open({ container, messenger, clickedAt, getToken, getAuthCode, onStatus }) {
    const frame = document.createElement("iframe");
    frame.title = "Chat with support";
    frame.src = `${this.chatUrl}?messenger=${encodeURIComponent(messenger)}`;
    let autoRetried = false;
    let verdictTimer = null;
    let expiryRefreshes = [];
    let closed = false;

    const post = (message) => frame.contentWindow.postMessage(message, window.location.origin);
    const fail = (code) => {
      clearTimeout(verdictTimer);
      onStatus("error", describe(code));
    };
    const sendFreshToken = async () => {
      clearTimeout(verdictTimer);
      onStatus("connecting", "Connecting you to an agent…");
      let proof;
      try {
        proof = getAuthCode ? await getAuthCode() : await getToken();
      } catch (err) {
        fail(err.code || "network");
        return;
      }
      if (closed) return;
      if (getAuthCode) {
        post({ type: "sandbox:authcode", authCode: proof, clickedAt });
      } else {
        post({ type: "sandbox:token", token: proof, clickedAt });
      }
      verdictTimer = setTimeout(() => fail("timeout"), VERDICT_TIMEOUT_MS);
    };
    const readyTimer = setTimeout(() => fail("timeout"), READY_TIMEOUT_MS);

    const onMessage = (event) => {
      if (event.source !== frame.contentWindow || event.origin !== window.location.origin) return;
      const data = event.data || {};
      switch (data.type) {
        case "sandbox:ready":
          clearTimeout(readyTimer);
          sendFreshToken();
          break;
        case "sandbox:verified":
          clearTimeout(verdictTimer);
          onStatus("verified", "You are chatting as a verified customer.");
          break;
        case "sandbox:rejected":
          clearTimeout(verdictTimer);
          beacon("platform_rejected", { messenger, reason: data.reason || "rejected" });
          if (!autoRetried) {
            autoRetried = true; // one fresh token, one retry, then a visible error
            sendFreshToken();
          } else {
            fail(data.reason || "rejected");
          }
          break;
        case "sandbox:retry":
          sendFreshToken();
          break;
        case "sandbox:stepup": // the agent asked the customer to verify again (stepup.js)
          stepUp({ detail: "Your agent asks you to confirm it's you." })
            .then(async () =>
              post(getAuthCode ? { type: "sandbox:stepup_proof", authCode: await getAuthCode() }
                : { type: "sandbox:stepup_proof", token: await getToken() }))
            .catch((err) => post({ type: "sandbox:stepup_failed", detail: err.message || "" }));
          break;
        case "sandbox:token_expired": {
          const now = Date.now();
          expiryRefreshes = expiryRefreshes.filter((t) => now - t < 60000);
          if (expiryRefreshes.length >= MAX_EXPIRY_REFRESHES_PER_MINUTE) {
            fail("expired");
          } else {
            expiryRefreshes.push(now);
            sendFreshToken();
          }
          break;
        }
        default:
          break;
      }
    };
    window.addEventListener("message", onMessage);
    container.replaceChildren(frame);
    onStatus("connecting", "Opening the chat…");
    return {
      retry: sendFreshToken,
      close() {
        closed = true;
        clearTimeout(readyTimer);
        clearTimeout(verdictTimer);
        window.removeEventListener("message", onMessage);
        frame.remove();
      },
    };
  }
}

// --- the page ------------------------------------------------------------------------------

function readMark() {
  try {
    return window.localStorage.getItem(OPEN_MARK);
  } catch (err) {
    return null;
  }
}

function writeMark(slug) {
  try {
    if (slug) window.localStorage.setItem(OPEN_MARK, slug);
    else window.localStorage.removeItem(OPEN_MARK);
  } catch (err) {
    // storage disabled: the widget is simply not restored after a reload
  }
}

function boot() {
  const configElement = document.getElementById("chat-config");
  const form = document.getElementById("chat-form");
  if (!configElement || !form) return;
  const config = JSON.parse(configElement.textContent);
  const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const fetchToken = withStepUp(makeTokenSource({ tokenUrl: config.tokenUrl, csrfToken }));
  const fetchAuthCode = withStepUp(makeTokenSource({ tokenUrl: config.authCodeUrl, csrfToken, field: "authCode" }));
  const sandbox = config.sandboxChatUrl ? new SandboxAdapter({ chatUrl: config.sandboxChatUrl }) : null;
  const vendorSessions = new Map(); // slug -> vendor adapter instance (widgets are page-global)
  const status = document.getElementById("chat-status");
  const container = document.getElementById("chat-container");
  const button = document.getElementById("chat-button");
  let session = null;

  const onStatus = (state, text) => {
    status.className = `chat-status ${state === "error" ? "error" : ""}`;
    status.dataset.state = state;
    status.textContent = text;
    button.disabled = state === "connecting";
    if (state === "error") {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.id = "chat-retry";
      retry.textContent = "Retry";
      retry.addEventListener("click", () =>
        Promise.resolve()
          .then(() => (session ? session.retry() : start()))
          .catch((err) => onStatus("error", describe(err.code || "widget_unavailable"))),
      );
      status.append(" ", retry);
    }
  };

  // Report beacons (beacons.js): the platform's verdict, per messenger. An adapter that knows
  // the verifier's reason passes it as a third argument of an "error" (the sandbox adapter
  // reports every rejection itself, including the one its automatic retry hides).
  const reportingStatus = (slug) => (state, text, reason) => {
    if (state === "verified") beacon("platform_verified", { messenger: slug });
    if (state === "error" && reason) beacon("platform_rejected", { messenger: slug, reason });
    onStatus(state, text);
  };

  const vendorAdapter = async (messenger) => {
    if (vendorSessions.has(messenger.slug)) return vendorSessions.get(messenger.slug);
    if (!VENDOR_ADAPTERS.has(messenger.adapter)) throw new TokenError("unsupported");
    let module;
    try {
      module = await import(`./adapters/${messenger.adapter}.js`);
    } catch (err) {
      throw new TokenError("widget_unavailable", String(err));
    }
    const Adapter = module.default;
    const adapter = new Adapter({
      messenger,
      vendor: messenger.vendor || {},
      container,
      getToken: async () => (await fetchToken(messenger.slug)).token,
      getAuthCode: () => fetchAuthCode(messenger.slug),
      onStatus: reportingStatus(messenger.slug),
    });
    vendorSessions.set(messenger.slug, adapter);
    return adapter;
  };

  const start = async ({ slug, resumed = false } = {}) => {
    const chosen = slug || document.getElementById("chat-messenger").value;
    const messenger = config.messengers.find((m) => m.slug === chosen);
    if (!messenger) return;
    const clickedAt = Date.now();
    if (!resumed) beacon("chat_opened", { messenger: chosen, clickedAt });
    if (messenger.adapter === "sandbox") {
      if (!sandbox) {
        onStatus("error", describe("unsupported"));
        return;
      }
      if (session && session.close) session.close();
      container.hidden = false;
      session = sandbox.open({
        container,
        messenger: chosen,
        clickedAt,
        getToken: async () => (await fetchToken(chosen)).token,
        getAuthCode: messenger.platform === "genesys" ? () => fetchAuthCode(chosen) : null,
        onStatus: reportingStatus(chosen),
      });
      return;
    }
    onStatus("connecting", "Opening the chat…");
    let adapter;
    try {
      adapter = await vendorAdapter(messenger);
    } catch (err) {
      onStatus("error", describe(err.code || "widget_unavailable"));
      return;
    }
    if (session && session !== adapter && session.close) session.close();
    session = adapter;
    container.hidden = true; // vendor widgets draw their own window
    writeMark(chosen);
    try {
      await adapter.open({ resumed });
    } catch (err) {
      writeMark(null); // a widget that could not open is not restored at the next page load
      onStatus("error", describe(err.code || "widget_unavailable"));
    }
  };

  // The portal's Log out also logs out of the vendor widget, before the form posts.
  const logoutForms = [...document.querySelectorAll("form")].filter(
    (f) => config.logoutUrl && new URL(f.action, window.location.href).pathname === config.logoutUrl,
  );
  for (const logoutForm of logoutForms) {
    logoutForm.addEventListener("submit", async (event) => {
      writeMark(null);
      if (vendorSessions.size === 0) return; // nothing to log out of: the form posts as usual
      event.preventDefault();
      const logouts = [...vendorSessions.values()].map((a) =>
        withTimeout(Promise.resolve().then(() => a.logout()), LOGOUT_TIMEOUT_MS).catch(() => null),
      );
      await Promise.all(logouts);
      logoutForm.submit(); // submit() fires no submit event: no second round
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start();
  });
  button.disabled = false; // the template renders it disabled until the glue listens

  // A vendor chat that was open before this page load is restored: its widget asks for a token.
  const mark = readMark();
  const marked = mark && config.messengers.find((m) => m.slug === mark);
  if (marked && marked.adapter !== "sandbox") {
    start({ slug: mark, resumed: true });
  } else if (mark) {
    writeMark(null);
  }
}

boot();
