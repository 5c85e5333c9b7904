// Step-up in place: the customer proves the second factor again without leaving the page, so
// the chat stays open (docs/decisions/passkeys-and-step-up.md).
//
// Two triggers:
// - the portal refuses a token or auth code with 403 step_up_required (the messenger's
//   assurance policy): withStepUp(fetchFresh) shows the prompt, then asks once more;
// - the agent asks for it (sandbox chat window -> {type: "sandbox:stepup"}): chat.js calls
//   stepUp() and hands the window a fresh token.
// The prompt is a modal <dialog> on the portal page: "Use my passkey" (PortalPasskeys from
// accounts/static/accounts/passkeys.js, user verification required) and/or a code form
// (POST /login/stepup/ {"code"}); when a passkey is required and the customer has none, a
// link to the security page to add one.

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

// Resolves once the session has proven its second factor again; rejects with
// TokenError("step_up_cancelled") when the customer closes the prompt.
export function stepUp({ detail = "", info = null } = {}) {
  const urls = { ...DEFAULTS, ...(info || {}) };
  const methods = (info && info.methods) || ["passkey", "otp"];
  const hasPasskey = !info || info.has_passkey !== false;
  return new Promise((resolve, reject) => {
    const error = el("p", { class: "error", role: "alert", id: "stepup-error", hidden: "" });
    const dialog = el(
      "dialog",
      { id: "stepup-dialog", class: "stepup-dialog", "aria-labelledby": "stepup-title" },
      el("h2", { id: "stepup-title", text: "Confirm it's you" }),
      el("p", { id: "stepup-detail", text: detail || "Please prove your second factor again to continue the chat." }),
      error,
    );
    const finish = (ok, err) => {
      dialog.close();
      dialog.remove();
      if (ok) resolve();
      else reject(err || new TokenError("step_up_cancelled", "Verification was not completed."));
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
      dialog.append(el("p", {}, button));
    }
    if (methods.includes("passkey") && !hasPasskey) {
      dialog.append(
        el(
          "p",
          { id: "stepup-enroll" },
          el("a", { href: urls.enroll_url, id: "stepup-enroll-link", text: "Go to your security settings" }),
          " to add one, then open the chat again.",
        ),
      );
    }
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
    const cancel = el("button", { type: "button", id: "stepup-cancel", class: "link", text: "Cancel" });
    cancel.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    dialog.append(el("p", {}, cancel));
    document.body.append(dialog);
    dialog.showModal();
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
