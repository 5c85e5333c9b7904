// Sandbox chat window (framed same-origin by the portal's widget glue).
//
// postMessage protocol with window.parent (targetOrigin = location.origin; incoming
// messages are accepted only when event.origin === location.origin and come from the parent):
//   window -> parent  {type: "sandbox:ready"}                       on load
//   parent -> window  {type: "sandbox:token", token, clickedAt, pageAttributes?}
//   parent -> window  {type: "sandbox:authcode", authCode: {authCode, redirectUri, nonce,
//                      codeVerifier?}, clickedAt}   (OpenID Connect platforms: Genesys)
//   window -> parent  {type: "sandbox:verified", conversation}      session opened
//   window -> parent  {type: "sandbox:rejected", reason}            token refused
//   window -> parent  {type: "sandbox:retry"}                       Retry clicked
//   window -> parent  {type: "sandbox:token_expired"}               token's exp already past
// After a rejection (or a Retry) the window accepts another sandbox:token; a token that
// arrives once the conversation is open is answered with sandbox:verified again.

const ORIGIN = window.location.origin;
const POLL_MS = 2500;
const body = document.body;
const $ = (id) => document.getElementById(id);

const state = {
  phase: "waiting", // waiting | connecting | verified | rejected
  tokenExp: null,
  conversation: null,
  secret: null,
  lastId: 0,
  timer: null,
};

function tell(message) {
  if (window.parent && window.parent !== window) {
    window.parent.postMessage(message, ORIGIN);
  }
}

function show(section) {
  for (const id of ["status", "rejected", "conversation"]) {
    $(id).hidden = id !== section;
  }
}

function status(text) {
  $("status").textContent = text;
  show("status");
}

// The exp claim, read without verification: only to avoid sending a stale token.
function tokenExp(token) {
  try {
    const part = token.split(".")[1];
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4);
    const exp = JSON.parse(atob(b64)).exp;
    return typeof exp === "number" ? exp : null;
  } catch {
    return null;
  }
}

function tokenExpired() {
  return state.tokenExp !== null && Date.now() / 1000 >= state.tokenExp;
}

// ``authCode``: OpenID Connect platforms (Genesys) sign in with the page plugin's one-time
// code instead of a token; the platform redeems it server side.
async function openSession(token, clickedAt, pageAttributes, authCode = null) {
  if (state.phase === "connecting") return;
  if (state.phase === "verified") {
    // Already open: the conversation is authorised by its secret, not by a token.
    tell({ type: "sandbox:verified", conversation: state.conversation });
    return;
  }
  state.tokenExp = authCode ? null : tokenExp(token);
  if (tokenExpired()) {
    status("Your sign-in token has expired; asking for a new one…");
    tell({ type: "sandbox:token_expired" });
    return;
  }
  state.phase = "connecting";
  status("Connecting…");
  let httpStatus = 0;
  let data = {};
  try {
    const response = await fetch(body.dataset.sessionsUrl, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        messenger: body.dataset.messenger,
        ...(authCode ? { auth_code: authCode } : { token }),
        clicked_at: clickedAt ?? null,
        page_attributes: pageAttributes && typeof pageAttributes === "object" ? pageAttributes : {},
      }),
    });
    httpStatus = response.status;
    data = await response.json();
  } catch {
    data = { reason: "network_error", detail: "The chat service could not be reached." };
  }
  if (httpStatus === 201) {
    verified(data);
  } else {
    rejected(data.reason || data.error || "error", data.detail || "");
  }
}

function verified(data) {
  state.phase = "verified";
  state.conversation = data.conversation;
  state.secret = data.secret;
  const who = data.identity || {};
  $("who").textContent = [who.firstName, who.lastName].filter(Boolean).join(" ") || "customer";
  show("conversation");
  $("body").focus();
  tell({ type: "sandbox:verified", conversation: data.conversation });
  document.dispatchEvent(new CustomEvent("sandbox:session", { detail: { conversation: data.conversation, secret: data.secret } })); // stepup_window.js
  poll();
}

function rejected(reason, detail) {
  state.phase = "rejected";
  $("reason").textContent = reason;
  $("reason-detail").textContent = detail;
  show("rejected");
  tell({ type: "sandbox:rejected", reason });
}

function messagesUrl() {
  return body.dataset.messagesUrl.replace("__id__", encodeURIComponent(state.conversation));
}

function render(message) {
  const item = document.createElement("li");
  item.className = `msg ${message.sender}`;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = message.sender === "agent" ? message.agent || "Agent" : "You";
  item.append(who, " ", message.body);
  $("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
  state.lastId = Math.max(state.lastId, message.id);
}

async function poll() {
  clearTimeout(state.timer);
  try {
    const response = await fetch(`${messagesUrl()}?after=${state.lastId}`, {
      credentials: "omit",
      headers: { Accept: "application/json", "X-Conversation-Secret": state.secret },
    });
    if (response.status === 403 || response.status === 404) return; // conversation gone
    if (response.ok) {
      const data = await response.json();
      for (const message of data.messages) {
        if (message.id > state.lastId) render(message);
      }
    }
  } catch {
    // network hiccup: try again at the next tick
  }
  state.timer = setTimeout(poll, POLL_MS);
}

async function send(event) {
  event.preventDefault();
  const field = $("body");
  const text = field.value.trim();
  if (!text || state.phase !== "verified") return;
  const response = await fetch(messagesUrl(), {
    method: "POST",
    credentials: "omit",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-Conversation-Secret": state.secret,
    },
    body: JSON.stringify({ body: text }),
  });
  if (response.ok) {
    field.value = "";
    poll();
  }
}

window.addEventListener("message", (event) => {
  if (event.origin !== ORIGIN || event.source !== window.parent) return;
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (message.type === "sandbox:token" && typeof message.token === "string") {
    openSession(message.token, message.clickedAt, message.pageAttributes);
  } else if (message.type === "sandbox:authcode" && message.authCode && typeof message.authCode === "object") {
    openSession(null, message.clickedAt, message.pageAttributes, message.authCode);
  }
});

$("retry").addEventListener("click", () => {
  state.phase = "waiting";
  status("Asking for a new sign-in token…");
  tell({ type: "sandbox:retry" });
});

$("send").addEventListener("submit", send);

tell({ type: "sandbox:ready" });
