// The sandbox adapter: the sandbox platform's chat window in an iframe, spoken to with
// postMessage (sandbox/static/sandbox/chat.js documents the protocol). Used by chat.js while
// the sandbox is served; it hands the window a fresh token (or auth code) at every turn, one
// automatic retry after a rejection, then the page's one Retry.

import { LOGIN_AGAIN, message } from "./adapters/common.js";
import { beacon } from "./beacons.js";
import { stepUp } from "./stepup.js";

const READY_TIMEOUT_MS = 10000;
const VERDICT_TIMEOUT_MS = 15000;
const MAX_EXPIRY_REFRESHES_PER_MINUTE = 3;

export class SandboxAdapter {
  constructor({ chatUrl }) {
    this.chatUrl = chatUrl;
  }

  // OpenID Connect messengers (Genesys) pass getAuthCode: the window gets a fresh one-time
  // code ({authCode, redirectUri, nonce, codeVerifier?}) instead of a token, every time.
  // restored: reopened by a page load, not by a click; the window then leaves the keyboard
  // focus where it is (a page that moves focus on load disorients screen-reader users).
  // onEscape: Escape was pressed inside the window (keys do not leave a frame by themselves).
  open({ container, messenger, clickedAt, getToken, getAuthCode, onStatus, restored = false, onEscape = () => {} }) {
    const frame = document.createElement("iframe");
    frame.title = "Chat with support";
    frame.src = `${this.chatUrl}?messenger=${encodeURIComponent(messenger)}`;
    let autoRetried = false;
    let verdictTimer = null;
    let expiryRefreshes = [];
    let closed = false;
    let verifiedOnce = false;

    const post = (message) => frame.contentWindow.postMessage(message, window.location.origin);
    // A frame that never opened a conversation has nothing to show after a failure: it is
    // hidden, and the status line under the button says what happened and what to do.
    // An ended portal session closes the window too: the conversation stays on the
    // platform and comes back after the customer logs in again (the log-in link).
    const fail = (code, err = null) => {
      clearTimeout(verdictTimer);
      // The frame goes out of sight whenever it has no conversation to show (never opened,
      // or showing a refusal): the window's status card says what happened, with one way on.
      if (LOGIN_AGAIN.has(code)) {
        handle.close();
        container.hidden = true;
      } else if (!verifiedOnce || frame.dataset.rejected) {
        container.hidden = true;
      }
      onStatus("error", message(code, err), undefined, code);
    };
    const sendFreshToken = async () => {
      clearTimeout(verdictTimer);
      onStatus("connecting", verifiedOnce ? "Checking it is still you…" : "Connecting you to an agent…");
      let proof;
      try {
        proof = getAuthCode ? await getAuthCode() : await getToken();
      } catch (err) {
        fail(err.code || "network", err);
        return;
      }
      if (closed) return;
      if (getAuthCode) {
        post({ type: "sandbox:authcode", authCode: proof, clickedAt, focus: !restored });
      } else {
        post({ type: "sandbox:token", token: proof, clickedAt, focus: !restored });
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
          clearTimeout(readyTimer);
          verifiedOnce = true;
          delete frame.dataset.rejected;
          container.hidden = false;
          onStatus("verified", "You are chatting as a verified customer.");
          break;
        case "sandbox:rejected":
          clearTimeout(verdictTimer);
          frame.dataset.rejected = "1"; // hidden if this ends in an error (fail)
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
        case "sandbox:escape":
          onEscape();
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
    const handle = {
      kind: "sandbox",
      slug: messenger,
      get closed() {
        return closed;
      },
      retry: sendFreshToken,
      focus() {
        restored = false; // the customer clicked Chat: the composer takes the focus
        container.hidden = false;
        frame.focus();
      },
      close() {
        closed = true;
        clearTimeout(readyTimer);
        clearTimeout(verdictTimer);
        window.removeEventListener("message", onMessage);
        frame.remove();
      },
    };
    return handle;
  }
}
