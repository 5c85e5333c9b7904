// Sandbox chat window: the agent's step-up request (docs/decisions/passkeys-and-step-up.md).
//
// chat.js announces the open conversation with a "sandbox:session" DOM event ({conversation,
// secret}). This module polls the conversation's assurance; when the agent has asked for a
// step-up it shows a prompt, and its button asks the portal page (window.parent) to run the
// re-verification: window -> parent {type: "sandbox:stepup"}. The page answers
//   parent -> window {type: "sandbox:stepup_proof", token | authCode}   a fresh proof
//   parent -> window {type: "sandbox:stepup_failed", detail}            not completed
// and the proof is handed to the platform (POST .../assurance), which verifies it.
const ORIGIN = window.location.origin;
const POLL_MS = 2500;
const body = document.body;
let session = null;
let pending = null; // the stepupRequestedAt being answered
let timer = null;

const url = () => body.dataset.assuranceUrl.replace("__id__", encodeURIComponent(session.conversation));

function panel() {
  let section = document.getElementById("stepup");
  if (!section) {
    section = document.createElement("section");
    section.id = "stepup";
    section.className = "panel stepup";
    section.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.id = "stepup-text";
    const button = document.createElement("button");
    button.type = "button";
    button.id = "stepup-start";
    button.className = "primary";
    button.textContent = "Verify it's me";
    button.addEventListener("click", () => {
      button.disabled = true;
      text.textContent = "Follow the prompt on the page…";
      window.parent.postMessage({ type: "sandbox:stepup" }, ORIGIN);
    });
    section.append(text, button);
    document.getElementById("conversation").prepend(section);
  }
  return section;
}

function say(text, { button = false } = {}) {
  const section = panel();
  section.hidden = false;
  document.getElementById("stepup-text").textContent = text;
  const start = document.getElementById("stepup-start");
  start.hidden = !button;
  start.disabled = false;
}

async function poll() {
  clearTimeout(timer);
  try {
    const response = await fetch(url(), {
      credentials: "omit",
      headers: { Accept: "application/json", "X-Conversation-Secret": session.secret },
    });
    if (response.status === 403 || response.status === 404) return;
    if (response.ok) {
      const data = await response.json();
      if (data.stepupRequestedAt && data.stepupRequestedAt !== pending) {
        pending = data.stepupRequestedAt;
        say("Your agent asks you to confirm it's you before going on.", { button: true });
      }
    }
  } catch {
    // next tick
  }
  timer = setTimeout(poll, POLL_MS);
}

async function handOver(proof) {
  say("Checking…");
  let response;
  try {
    response = await fetch(url(), {
      method: "POST",
      credentials: "omit",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-Conversation-Secret": session.secret,
      },
      body: JSON.stringify(proof),
    });
  } catch {
    say("The chat service could not be reached.", { button: true });
    return;
  }
  const data = await response.json().catch(() => ({}));
  if (response.ok) {
    say(`Thank you: you are verified again (${data.method}).`);
  } else {
    pending = null;
    say(`That did not work (${data.reason || data.error || "error"}). Try again.`, { button: true });
  }
}

document.addEventListener("sandbox:session", (event) => {
  session = event.detail;
  poll();
});

window.addEventListener("message", (event) => {
  if (event.origin !== ORIGIN || event.source !== window.parent || !session) return;
  const message = event.data || {};
  if (message.type === "sandbox:stepup_proof") {
    if (typeof message.token === "string") handOver({ token: message.token });
    else if (message.authCode && typeof message.authCode === "object") handOver({ auth_code: message.authCode });
  } else if (message.type === "sandbox:stepup_failed") {
    say(message.detail || "Verification was not completed.", { button: true });
  }
});
