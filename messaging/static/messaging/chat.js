// Widget glue: carries a fresh, verified identity into the chat, however long the page is open.
//
// Refresh on demand: no token is requested at page load. A fresh token is fetched when the
// customer clicks Chat and whenever the platform adapter asks (token expired, rejection).
// After a rejection it fetches one fresh token and retries once, then shows a clear message
// with a Retry button. It never waits forever and never falls back to an anonymous chat.
//
// Adapter interface (one per platform, the sandbox first):
//   adapter.open({container, messenger, clickedAt, getToken, onStatus}) -> {close()}
//   getToken() -> Promise<string>: always a fresh token from the portal
//   onStatus(state, text): state is "connecting" | "verified" | "error"

import { beacon } from "./beacons.js";

const READY_TIMEOUT_MS = 10000;
const VERDICT_TIMEOUT_MS = 15000;
const MAX_EXPIRY_REFRESHES_PER_MINUTE = 3;

const MESSAGES = {
  not_authenticated: "Your session has ended. Please log in again to chat.",
  mfa_required: "Please complete two-step verification again to chat.",
  not_a_member: "You cannot chat with this brand from your account.",
  unknown_messenger: "This chat is not available right now.",
  throttled: "Too many chat requests. Please wait a minute and try again.",
  no_signing_key: "Verified chat is temporarily unavailable. Please try again shortly.",
  network: "We could not reach the portal. Check your connection and try again.",
  timeout: "The chat did not answer in time.",
};

export class TokenError extends Error {
  constructor(code, detail, status) {
    super(detail || code);
    this.code = code;
    this.status = status;
  }
}

export function describe(reasonOrCode) {
  if (MESSAGES[reasonOrCode]) return MESSAGES[reasonOrCode];
  return `Your identity could not be verified (${reasonOrCode}).`;
}

// The portal's token API, or (field "authCode") its auth-code API: same request, same errors.
export function makeTokenSource({
  tokenUrl,
  csrfToken,
  field = "token",
  fetchImpl = window.fetch.bind(window),
}) {
  return async function fetchToken(messenger) {
    let response;
    try {
      response = await fetchImpl(tokenUrl, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify({ messenger }),
      });
    } catch (err) {
      throw new TokenError("network", String(err), 0);
    }
    let body = {};
    try {
      body = await response.json();
    } catch (err) {
      body = {};
    }
    if (!response.ok || !body[field]) {
      throw new TokenError(body.error || `http_${response.status}`, body.detail, response.status);
    }
    return body;
  };
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

function boot() {
  const configElement = document.getElementById("chat-config");
  const form = document.getElementById("chat-form");
  if (!configElement || !form) return;
  const config = JSON.parse(configElement.textContent);
  const fetchToken = makeTokenSource({
    tokenUrl: config.tokenUrl,
    csrfToken: form.querySelector("[name=csrfmiddlewaretoken]").value,
  });
  const fetchAuthCode = makeTokenSource({
    tokenUrl: config.authCodeUrl,
    csrfToken: form.querySelector("[name=csrfmiddlewaretoken]").value,
    field: "authCode",
  });
  const adapters = { sandbox: new SandboxAdapter({ chatUrl: config.sandboxChatUrl }) };
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
      retry.addEventListener("click", () => (session ? session.retry() : start()));
      status.append(" ", retry);
    }
  };

  const start = () => {
    const slug = document.getElementById("chat-messenger").value;
    const messenger = config.messengers.find((m) => m.slug === slug);
    if (!messenger) return;
    const adapter = adapters[messenger.adapter];
    if (!adapter) {
      onStatus("error", "This chat platform is not supported on this page.");
      return;
    }
    if (session) session.close();
    container.hidden = false;
    const clickedAt = Date.now();
    beacon("chat_opened", { messenger: slug, clickedAt });
    session = adapter.open({
      container,
      messenger: slug,
      clickedAt,
      getToken: async () => (await fetchToken(slug)).token,
      getAuthCode: messenger.platform === "genesys" ? () => fetchAuthCode(slug) : null,
      onStatus: (state, text) => {
        if (state === "verified") beacon("platform_verified", { messenger: slug, clickedAt });
        onStatus(state, text);
      },
    });
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start();
  });
}

boot();
