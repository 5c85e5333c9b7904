// Sandbox chat window (framed same-origin by the portal's widget glue).
//
// postMessage protocol with window.parent (targetOrigin = location.origin; incoming
// messages are accepted only when event.origin === location.origin and come from the parent):
//   window -> parent  {type: "sandbox:ready"}                       on load
//   parent -> window  {type: "sandbox:token", token, clickedAt, pageAttributes?, focus?}
//                      (focus false: reopened by a page load, the composer does not take
//                      the keyboard focus)
//   parent -> window  {type: "sandbox:authcode", authCode: {authCode, redirectUri, nonce,
//                      codeVerifier?}, clickedAt}   (OpenID Connect platforms: Genesys)
//   window -> parent  {type: "sandbox:verified", conversation, resumed}  session opened
//   window -> parent  {type: "sandbox:rejected", reason}            token refused
//   window -> parent  {type: "sandbox:retry"}                       "Continue here" clicked
//   window -> parent  {type: "sandbox:escape"}                      Escape pressed in the window
//   window -> parent  {type: "sandbox:token_expired"}               token's exp already past
// After a rejection the window accepts another sandbox:token (the page's one retry path); a
// token that arrives once the conversation is open is answered with sandbox:verified again.
// The customer reads what happened in words (REFUSAL); the reason code goes to the page (for
// its beacon) and to the platform's records, which the agent console shows.
//
// One conversation per tab and messenger: the window keeps the id of its conversation in
// sessionStorage (never the secret; the tab's storage ends with the tab) and sends it with
// the next token as "resume". The platform picks the conversation up again only when the
// fresh token proves the same customer; a reload or a second Chat click therefore shows the
// same conversation, a different customer gets a new one.

import { formatTime } from "./times.js";

const ORIGIN = window.location.origin;
const POLL_MS = 2000;
const TYPING_EVERY_MS = 3000;
const body = document.body;
const $ = (id) => document.getElementById(id);
const STORE_KEY = `sandbox.conversation.${body.dataset.messenger}`;

const state = {
  phase: "waiting", // waiting | connecting | verified | rejected | taken
  tokenExp: null,
  conversation: null,
  secret: null,
  lastId: 0,
  timer: null,
  lastTypingSent: 0,
  focus: true,
};

// The brand's colour (a #RRGGBB from the messenger's public setup); CSSOM, so the window's
// Content-Security-Policy needs no inline style.
if (/^#[0-9a-fA-F]{6}$/.test(body.dataset.brandColor || "")) {
  document.documentElement.style.setProperty("--brand", body.dataset.brandColor);
}

function tell(message) {
  if (window.parent && window.parent !== window) {
    window.parent.postMessage(message, ORIGIN);
  }
}

function show(section) {
  for (const id of ["status", "rejected", "taken-over", "conversation"]) {
    $(id).hidden = id !== section;
  }
}

function status(text) {
  $("status-text").textContent = text;
  show("status");
}

function remembered() {
  try {
    return window.sessionStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

function remember(conversation) {
  try {
    if (conversation) window.sessionStorage.setItem(STORE_KEY, conversation);
    else window.sessionStorage.removeItem(STORE_KEY);
  } catch {
    // storage disabled: a reload opens a new conversation
  }
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
async function openSession(token, clickedAt, pageAttributes, authCode = null, focus = true) {
  if (state.phase === "connecting") return;
  state.focus = focus;
  if (state.phase === "verified") {
    if (focus) $("body").focus();
    // Already open: the conversation is authorised by its secret, not by a token.
    tell({ type: "sandbox:verified", conversation: state.conversation, resumed: true });
    return;
  }
  state.tokenExp = authCode ? null : tokenExp(token);
  if (tokenExpired()) {
    status("Your sign-in has expired; asking for a new one…");
    tell({ type: "sandbox:token_expired" });
    return;
  }
  state.phase = "connecting";
  status("Checking who you are…");
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
        resume: remembered(),
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
    rejected(data.reason || data.error || "error");
  }
}

function verified(data) {
  if (data.conversation !== state.conversation) {
    $("messages").replaceChildren();
    state.lastId = 0;
  }
  state.phase = "verified";
  state.conversation = data.conversation;
  state.secret = data.secret;
  remember(data.conversation);
  const who = data.identity || {};
  $("who").textContent = [who.firstName, who.lastName].filter(Boolean).join(" ") || "a verified customer";
  $("head-sub").textContent = "Support chat · verified";
  show("conversation");
  if (state.focus) $("body").focus();
  tell({ type: "sandbox:verified", conversation: data.conversation, resumed: Boolean(data.resumed) });
  document.dispatchEvent(new CustomEvent("sandbox:session", { detail: { conversation: data.conversation, secret: data.secret } })); // stepup_window.js
  poll();
}

// What the customer reads for a refusal; every other reason reads as the default.
const REFUSAL = {
  expired: "Your secure sign-in expired before it reached us.",
  replayed: "That secure sign-in was already used.",
  not_yet_valid: "Your secure sign-in is not valid yet: the clocks disagree.",
  jwks_unavailable: "We cannot check your sign-in right now.",
  network_error: "The chat service could not be reached.",
};

function rejected(reason) {
  state.phase = "rejected";
  $("reason-text").textContent = REFUSAL[reason] || "The chat service did not accept your secure sign-in.";
  show("rejected");
  tell({ type: "sandbox:rejected", reason });
}

function conversationUrl(template) {
  return template.replace("__id__", encodeURIComponent(state.conversation));
}

function headers(json = false) {
  return {
    Accept: "application/json",
    "X-Conversation-Secret": state.secret,
    ...(json ? { "Content-Type": "application/json" } : {}),
  };
}

// The same clock as the agent's console (times.js: 24-hour, the reader's zone).
function timeLabel(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const today = new Date().toDateString() === at.toDateString();
  return formatTime(at, today ? "clock" : "date-clock");
}

// One message: a bubble, who wrote it (agents), the time and, for our own, the delivery state.
function bubble({ sender, agent, text, createdAt, id = null }) {
  const item = document.createElement("li");
  item.className = `msg ${sender}`;
  if (id !== null) item.dataset.id = String(id);
  const who = document.createElement("span");
  who.className = sender === "agent" ? "who" : "who visually-hidden";
  who.textContent = sender === "agent" ? agent || "Agent" : "You";
  const text_ = document.createElement("p");
  text_.className = "bubble";
  text_.textContent = text;
  const meta = document.createElement("p");
  meta.className = "meta";
  const time = document.createElement("time");
  if (createdAt) {
    time.dateTime = createdAt;
    time.textContent = timeLabel(createdAt);
  }
  meta.append(time);
  item.append(who, text_, meta);
  $("empty").hidden = true;
  $("messages").append(item);
  $("log").scrollTop = $("log").scrollHeight;
  return item;
}

function delivery(item, stateName, label) {
  const meta = item.querySelector(".meta");
  meta.querySelector(".delivery")?.remove();
  meta.querySelector("button")?.remove();
  const mark = document.createElement("span");
  mark.className = `delivery state-${stateName}`;
  mark.textContent = label;
  meta.append(mark);
  item.dataset.delivery = stateName;
  return meta;
}

function render(message) {
  if (document.querySelector(`#messages li[data-id="${message.id}"]`)) {
    state.lastId = Math.max(state.lastId, message.id);
    return; // our own message, already shown when it was sent
  }
  if (message.sender === "customer") {
    // sent from here and not yet acknowledged: the same bubble, not a second one
    const pending = [...document.querySelectorAll("#messages li.customer:not([data-id])")].find(
      (li) => li.querySelector(".bubble").textContent === message.body,
    );
    if (pending) {
      pending.dataset.id = String(message.id);
      delivery(pending, "sent", "Sent");
      state.lastId = Math.max(state.lastId, message.id);
      return;
    }
  }
  const item = bubble({
    sender: message.sender,
    agent: message.agent,
    text: message.body,
    createdAt: message.created_at,
    id: message.id,
  });
  if (message.sender === "customer") delivery(item, "sent", "Sent");
  state.lastId = Math.max(state.lastId, message.id);
}

function showTyping(typing) {
  $("typing-inner").hidden = !(typing && typing.agent);
}

async function poll() {
  clearTimeout(state.timer);
  if (state.phase !== "verified") return;
  try {
    const response = await fetch(`${conversationUrl(body.dataset.messagesUrl)}?after=${state.lastId}`, {
      credentials: "omit",
      headers: headers(),
    });
    if (response.status === 403) {
      takenOver(); // a newer window of this tab's customer holds the conversation now
      return;
    }
    if (response.status === 404) return; // conversation gone
    if (response.ok) {
      const data = await response.json();
      for (const message of data.messages) {
        if (message.id > state.lastId) render(message);
      }
      showTyping(data.typing);
    }
  } catch {
    // network hiccup: try again at the next tick
  }
  state.timer = setTimeout(poll, POLL_MS);
}

function takenOver() {
  state.phase = "taken";
  state.secret = null;
  showTyping(null);
  show("taken-over");
}

async function deliver(item, text) {
  delivery(item, "sending", "Sending…");
  let response = null;
  try {
    response = await fetch(conversationUrl(body.dataset.messagesUrl), {
      method: "POST",
      credentials: "omit",
      headers: headers(true),
      body: JSON.stringify({ body: text }),
    });
  } catch {
    response = null;
  }
  if (response && response.ok) {
    const message = await response.json();
    item.dataset.id = String(message.id);
    const time = item.querySelector("time");
    time.dateTime = message.created_at;
    time.textContent = timeLabel(message.created_at);
    delivery(item, "sent", "Sent");
    poll();
    return;
  }
  const meta = delivery(item, "failed", "Not sent.");
  const again = document.createElement("button");
  again.type = "button";
  again.className = "link";
  again.textContent = "Send again";
  again.addEventListener("click", () => deliver(item, text));
  meta.append(again);
}

function send(event) {
  event.preventDefault();
  const field = $("body");
  const text = field.value.trim();
  if (!text || state.phase !== "verified") return;
  field.value = "";
  grow();
  const item = bubble({ sender: "customer", text, createdAt: new Date().toISOString() });
  deliver(item, text);
}

function typing() {
  if (state.phase !== "verified") return;
  const now = Date.now();
  if (now - state.lastTypingSent < TYPING_EVERY_MS) return;
  state.lastTypingSent = now;
  fetch(conversationUrl(body.dataset.typingUrl), { method: "POST", credentials: "omit", headers: headers() }).catch(
    () => null,
  );
}

function grow() {
  const field = $("body");
  field.style.height = "auto";
  field.style.height = `${Math.min(field.scrollHeight + 2, 128)}px`;
}

window.addEventListener("message", (event) => {
  if (event.origin !== ORIGIN || event.source !== window.parent) return;
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (message.type === "sandbox:token" && typeof message.token === "string") {
    openSession(message.token, message.clickedAt, message.pageAttributes, null, message.focus !== false);
  } else if (message.type === "sandbox:authcode" && message.authCode && typeof message.authCode === "object") {
    openSession(null, message.clickedAt, message.pageAttributes, message.authCode, message.focus !== false);
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") tell({ type: "sandbox:escape" }); // the page closes its window
});

$("take-back").addEventListener("click", () => {
  state.phase = "waiting";
  status("Picking the conversation up here…");
  tell({ type: "sandbox:retry" });
});

$("send").addEventListener("submit", send);
$("body").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("send").requestSubmit();
  }
});
$("body").addEventListener("input", () => {
  grow();
  typing();
});

if (window.parent === window) {
  // opened on its own, not framed by a portal page: nobody will send a token
  status("Open this chat from the Chat with support button of your portal.");
  document.querySelector(".spinner").hidden = true;
} else {
  body.classList.add("framed"); // the page's messenger window wears the brand header
  tell({ type: "sandbox:ready" });
}
