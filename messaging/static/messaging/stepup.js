// Step-up in place: the customer proves the second factor again without leaving the page, so
// the chat stays open (docs/decisions/passkeys-and-step-up.md).
//
// Two triggers:
// - the portal refuses a token or auth code with 403 step_up_required (the messenger's
//   assurance policy): withStepUp(fetchFresh) shows the prompt, then asks once more;
// - the agent asks for it (sandbox chat window -> {type: "sandbox:stepup"}): chat.js calls
//   stepUp() and hands the window a fresh token.
// The prompt is a card inside the chat window (a non-modal <dialog>, keyboard focus on its first
// control, Escape leaves it): "Use my passkey" (PortalPasskeys from
// accounts/static/accounts/passkeys.js, user verification required) and/or a code form
// (POST /login/stepup/ {"code"}); when a passkey is required and the customer has none, a
// link to the security page to set one up, and "Not now".

import { TokenError } from "./adapters/common.js";

const DEFAULTS = {
  verify_url: "/login/stepup/",
  enroll_url: "/security/",
  passkey_begin: "/login/passkey/begin/",
  passkey_complete: "/login/passkey/complete/",
};

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// Where the prompt appears: the chat window's body (configureStepUp, called by chat.js), so
// it reads as part of the messenger; reveal() opens that window first. Without a host (a page
// without the chat window) it is a card on the page.
// settle() runs when the prompt goes.
// hasPasskey: whether the customer has a passkey (the page says so in its chat config), for a
// prompt the agent asked for; a refused token's answer says so itself (info.has_passkey).
const place = { host: null, reveal: () => {}, settle: () => {}, hasPasskey: true };

export function configureStepUp({ host, reveal, settle, hasPasskey = true }) {
  place.host = host || null;
  place.hasPasskey = hasPasskey;
  place.reveal = reveal || (() => {});
  place.settle = settle || (() => {});
}

// Resolves once the session has proven its second factor again. Rejects with
// TokenError("passkey_needed") when the chat needs a passkey the customer has not set up and
// they leave the prompt, TokenError("step_up_cancelled") when they leave it otherwise.
export function stepUp({ detail = "", info = null } = {}) {
  const urls = { ...DEFAULTS, ...(info || {}) };
  const methods = (info && info.methods) || ["passkey", "otp"];
  const hasPasskey = info ? info.has_passkey !== false : place.hasPasskey;
  const needsEnrolment = methods.includes("passkey") && !hasPasskey && !methods.includes("otp");
  return new Promise((resolve, reject) => {
    document.getElementById("stepup-dialog")?.remove(); // one prompt at a time
    const host = place.host || document.body;
    const error = el("p", { class: "error", role: "alert", id: "stepup-error", hidden: "" });
    const actions = el("div", { class: "prompt-actions" });
    // a non-modal <dialog> inside the chat window: styled as the window's own card
    const dialog = el(
      "dialog",
      { id: "stepup-dialog", class: "chat-prompt", "aria-labelledby": "stepup-title", "aria-describedby": "stepup-detail" },
      el("h3", { id: "stepup-title", text: needsEnrolment ? "This chat needs a passkey" : "Confirm it's you" }),
      el("p", {
        id: "stepup-detail",
        text: needsEnrolment
          ? "You have not set up a passkey yet. Go to your security settings to add one, then open the chat again."
          : detail || "Please prove your second factor again to continue the chat.",
      }),
      error,
    );
    const finish = (ok, err) => {
      dialog.close();
      dialog.remove();
      host.classList.remove("prompting");
      place.settle();
      if (ok) resolve();
      else reject(err || new TokenError(
        needsEnrolment ? "passkey_needed" : "step_up_cancelled",
        "Verification was not completed.",
      ));
    };
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
    };

    if (methods.includes("passkey") && hasPasskey && window.PortalPasskeys) {
      const button = el("button", { type: "button", class: "primary", id: "stepup-passkey", text: "Use my passkey" });
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await window.PortalPasskeys.authenticate({
            begin: urls.passkey_begin,
            complete: urls.passkey_complete,
          });
          finish(true);
        } catch (err) {
          button.disabled = false;
          fail(err.message || "The passkey could not be used.");
        }
      });
      actions.append(button);
    }
    if (needsEnrolment) {
      actions.append(el("a", { href: urls.enroll_url, id: "stepup-enroll-link", class: "button primary", text: "Set up a passkey" }));
    }
    const cancel = el("button", { type: "button", id: "stepup-cancel", text: needsEnrolment ? "Not now" : "Cancel" });
    cancel.addEventListener("click", () => finish(false));
    dialog.append(actions);
    if (methods.includes("otp")) {
      const input = el("input", {
        id: "stepup-code",
        name: "code",
        inputmode: "numeric",
        autocomplete: "one-time-code",
        maxlength: "20",
      });
      const form = el(
        "form",
        { class: "stepup-code" },
        el("label", { for: "stepup-code", text: "Or a code from your authenticator app (or a backup code)" }),
        input,
        el("button", { type: "submit", text: "Verify code" }),
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        let response;
        try {
          response = await fetch(urls.verify_url, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify({ code: input.value }),
          });
        } catch {
          fail("We could not reach the portal. Try again.");
          return;
        }
        if (response.ok) {
          finish(true);
          return;
        }
        const body = await response.json().catch(() => ({}));
        fail(body.detail || "That code is not valid.");
      });
      dialog.append(form);
    }
    // leaving comes last: beside the way on when there is one thing to do, else on its own line
    if (actions.children.length && !methods.includes("otp")) actions.append(cancel);
    else dialog.append(el("div", { class: "prompt-actions" }, cancel));
    // Escape leaves the prompt (not the chat window around it)
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        finish(false);
      }
    });
    place.reveal();
    host.classList.add("prompting");
    host.append(dialog);
    dialog.show();
    (dialog.querySelector("#stepup-passkey, #stepup-enroll-link, #stepup-code") || cancel).focus();
  });
}

// Wraps a portal source (token or auth code): a 403 step_up_required shows the prompt with
// what the messenger needs, then asks once more. Other errors pass through unchanged.
export function withStepUp(fetchFresh) {
  return async function fetchWithStepUp(messenger) {
    try {
      return await fetchFresh(messenger);
    } catch (err) {
      if (!err || err.code !== "step_up_required") throw err;
      await stepUp({ detail: err.message, info: err.body || null });
      return fetchFresh(messenger);
    }
  };
}
