// The generic platform in production (sandbox off): the brand runs its own chat widget, which
// verifies the portal's generic JWT itself. There is no vendor SDK to call, so the glue offers
// a documented DOM hook the brand's widget consumes:
//
//   window.addEventListener("portalchat:open", (event) => {
//     const chat = event.detail;   // {messenger, brand, getToken, accepted, rejected}
//     chat.getToken()              // Promise<string>: a FRESH token from the portal, every call
//       .then((token) => myWidget.login(token))
//       .then(() => chat.accepted(), (err) => chat.rejected(err.code || "rejected"));
//   });
//   window.addEventListener("portalchat:logout", (event) => {
//     event.detail.waitUntil(myWidget.logout());   // the portal waits (at most 3 s) before posting
//   });
//
// If vendor.scriptUrl is set (a future generic setting) it is loaded first, like a vendor
// snippet. The same rules as every adapter apply: "portalchat:open" is dispatched only when
// the customer clicks Chat (or a chat was open before a reload); getToken is capped at 4 calls
// a minute; the first chat.rejected() dispatches "portalchat:open" once more (the widget gets a
// fresh token), the second is shown as an error; when no widget calls getToken within
// LISTEN_TIMEOUT_MS, or accepted/rejected never comes, the customer sees an error, never an
// anonymous chat.

import { VendorAdapter, errorCode, loadScript } from "../common.js";

const LISTEN_TIMEOUT_MS = 10000;
const VERDICT_TIMEOUT_MS = 20000;

export default class GenericAdapter extends VendorAdapter {
  constructor(options) {
    super(options);
  }

  async open() {
    this.halted = false;
    this.onStatus("connecting", "Connecting you to an agent…");
    if (this.vendor.scriptUrl) await loadScript(this.vendor.scriptUrl);
    this.dispatchOpen();
  }

  dispatchOpen() {
    const attempt = {}; // answers of an earlier dispatch are ignored
    this.attempt = attempt;
    let asked = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail("widget_unavailable"), LISTEN_TIMEOUT_MS);
    const detail = {
      messenger: this.messenger.slug,
      brand: this.messenger.brand,
      getToken: async () => {
        if (this.halted || this.attempt !== attempt) throw new Error("chat closed");
        if (!asked) {
          asked = true;
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.fail("timeout"), VERDICT_TIMEOUT_MS);
        }
        if (!this.budget.take()) {
          this.fail("refresh_loop");
          throw new Error("too many tokens requested");
        }
        try {
          return await this.getToken();
        } catch (err) {
          this.fail(errorCode(err));
          throw err;
        }
      },
      accepted: () => {
        if (this.halted || this.attempt !== attempt) return;
        clearTimeout(this.timer);
        this.retry_.accepted();
        this.onStatus("verified", "You are chatting as a verified customer.");
      },
      rejected: (reason) => {
        if (this.halted || this.attempt !== attempt) return;
        clearTimeout(this.timer);
        if (this.retry_.rejected()) this.dispatchOpen();
        else this.fail(reason || "rejected", reason || "rejected");
      },
    };
    window.dispatchEvent(new CustomEvent("portalchat:open", { detail }));
  }

  halt() {
    clearTimeout(this.timer);
  }

  async logout() {
    this.halted = true;
    clearTimeout(this.timer);
    const pending = [];
    const detail = { messenger: this.messenger.slug, waitUntil: (p) => pending.push(p) };
    window.dispatchEvent(new CustomEvent("portalchat:logout", { detail }));
    await Promise.allSettled(pending);
  }
}
