// LivePerson authenticated web messaging: the "JS method" flavour of consumer authentication,
// answering with an RS256 JWT carrying the certified attributes as lp_sdes.
//
// Each call follows LivePerson's documentation:
// - the web tag: window.lpTag (site = the account id) and
//   https://lptag.liveperson.net/tag/tag.js?site=<accountId>
//   https://developers.liveperson.com/web-tag-overview.html (tag loaded once per page)
// - authenticated web messaging with a "JS Method Name" configured in the account's
//   authentication connector (default here lpGetAuthenticationToken): the Messaging window
//   calls window[<method>](callback) whenever it needs the consumer's token and the page
//   answers callback(<JWT>); it asks again when the token expired or was refused
//   https://knowledge.liveperson.com/messaging-channels-web-messaging-authenticated-web-messaging.html
//   https://developers.liveperson.com/messaging-window-api-tutorials-authentication.html
// Every call gets a fresh token from the portal. LivePerson has no "token refused" event on the
// page: a refused token shows as the method being called again at once. So a call within
// QUICK_REASK_MS of the previous answer counts as a rejection: the first is answered (one fresh
// retry), the next is shown as an error and not answered (docs/platforms.md: LivePerson documents an
// infinite renewal loop). Calls spaced further apart (expiry, an hour later) are ordinary
// refreshes, capped at 4 a minute. At logout the method is removed, so no later call can mint
// a token for the next person at this browser.

import { VendorAdapter, errorCode, loadScript } from "../common.js";

const QUICK_REASK_MS = 15000;

export default class LivePersonAdapter extends VendorAdapter {
  constructor(options) {
    super(options);
    this.method = options.vendor.authMethod || "lpGetAuthenticationToken";
    this.lastAnswer = 0;
    this.loaded = null;
  }

  async open() {
    this.halted = false;
    this.loggedOut = false;
    this.onStatus("connecting", "Opening the chat…");
    window[this.method] = (callback) => this.answer(callback);
    if (!this.loaded) {
      window.lpTag = window.lpTag || {};
      window.lpTag.site = this.vendor.accountId;
      window.lpTag.section = window.lpTag.section || [];
      this.loaded = loadScript(this.vendor.scriptUrl);
    }
    try {
      await this.loaded;
    } catch (err) {
      this.loaded = null;
      throw err;
    }
    if (!this.halted) this.onStatus("open", "The chat is ready: start it with the chat button.");
  }

  // LivePerson asks for the consumer's token: a fresh one, unless it keeps asking.
  async answer(callback) {
    if (this.halted || this.loggedOut) return;
    const quick = this.lastAnswer && Date.now() - this.lastAnswer < QUICK_REASK_MS;
    if (quick && !this.retry_.rejected()) {
      this.fail("rejected", "rejected");
      return;
    }
    if (!quick) this.retry_.accepted();
    if (!this.budget.take()) {
      this.fail("refresh_loop");
      return;
    }
    try {
      const token = await this.getToken();
      if (this.halted || this.loggedOut) return;
      this.lastAnswer = Date.now();
      callback(token);
      this.onStatus("open", "Your chat is open.");
    } catch (err) {
      this.fail(errorCode(err));
    }
  }

  retry() {
    this.lastAnswer = 0;
    return super.retry();
  }

  async logout() {
    this.loggedOut = true;
    delete window[this.method];
  }
}
