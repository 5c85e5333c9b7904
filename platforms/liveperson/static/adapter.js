// LivePerson authenticated web messaging: the "JS method" flavour of consumer authentication,
// answering with an RS256 JWT carrying the certified attributes as lp_sdes.
//
// Each call follows LivePerson's documentation:
// - the Web Tag: LivePerson's snippet defines window.lpTag (site = the account id, section,
//   and the queues the tag reads when it loads: vars, dbs, ctn, sdes, hooks, identities, ev;
//   _tagCount counts the snippets on the page) and loads
//   https://lptag.liveperson.net/tag/tag.js?site=<accountId> once per page.
//   loadWebTag() below does exactly that; a page that already ran the snippet keeps its lpTag.
//   https://developers.liveperson.com/web-tag-overview.html
// - identity on every authenticated page, before engagements are targeted:
//   lpTag.identities.push(identityFn), identityFn(callback) -> callback({iss, acr: "loa1", sub})
//   ("iss" the issuer of the account's authentication connector, "sub" the JWT's subject).
//   https://developers.liveperson.com/consumer-authentication-detailed-api-authentication-implementation-guide.html
// - authenticated web messaging with a "JS Method Name" configured in the account's
//   authentication connector (default here lpGetAuthenticationToken): the Messaging window
//   calls window[<method>](callback) whenever it needs the consumer's token and the page
//   answers callback(<JWT>); it asks again when the token expired or was refused
//   https://knowledge.liveperson.com/messaging-channels-web-messaging-authenticated-web-messaging.html
//   https://developers.liveperson.com/messaging-window-api-tutorials-authentication.html
// The tag, the identity function and the JS method are set up at every page load of the
// logged-in customer (identify(), entry.identifyOnLoad): no token is minted until LivePerson
// calls the method. Every call gets a fresh token from the portal. LivePerson has no "token
// refused" event on the page: a refused token shows as the method being called again at once.
// So a call within QUICK_REASK_MS of the previous answer counts as a rejection: the first is
// answered (one fresh retry), the next is shown as an error and not answered (LivePerson
// documents an infinite renewal loop). Calls spaced further apart (expiry, an hour later) are
// ordinary refreshes, capped at 4 a minute. At logout the method and the identity function
// are removed, so no later call can mint a token for, or name, the next person at this browser.

import { VendorAdapter, errorCode, loadScript } from "../common.js";

const QUICK_REASK_MS = 15000;
const TAG_QUEUES = ["vars", "dbs", "ctn", "sdes", "hooks", "identities", "ev"];

// LivePerson's Web Tag snippet, as its overview page describes it: one lpTag per page.
export function loadWebTag({ accountId, scriptUrl }) {
  const lpTag = (window.lpTag = window.lpTag || {});
  for (const queue of TAG_QUEUES) lpTag[queue] = lpTag[queue] || [];
  if (typeof lpTag._tagCount !== "undefined") {
    lpTag._tagCount += 1;
    return Promise.resolve(lpTag);
  }
  lpTag.site = accountId;
  lpTag.section = lpTag.section || "";
  lpTag.protocol = "https:";
  lpTag._tagCount = 1;
  return loadScript(scriptUrl).then(() => lpTag);
}

export default class LivePersonAdapter extends VendorAdapter {
  constructor(options) {
    super(options);
    this.method = options.vendor.authMethod || "lpGetAuthenticationToken";
    this.identity = options.messenger.identity || null;
    this.identityFn = (callback) => callback(this.loggedOut ? null : this.identity);
    this.lastAnswer = 0;
    this.loaded = null;
  }

  // Every authenticated page: the identity function and the JS method, then the Web Tag.
  async identify() {
    this.loggedOut = false;
    window[this.method] = (callback) => this.answer(callback);
    window.lpTag = window.lpTag || {};
    window.lpTag.identities = window.lpTag.identities || [];
    if (this.identity && !window.lpTag.identities.includes(this.identityFn)) {
      window.lpTag.identities.push(this.identityFn);
    }
    if (!this.loaded) this.loaded = loadWebTag(this.vendor);
    try {
      await this.loaded;
    } catch (err) {
      this.loaded = null;
      throw err;
    }
  }

  async open() {
    this.halted = false;
    this.onStatus("connecting", "Opening the chat…");
    await this.identify();
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
    const identities = window.lpTag && window.lpTag.identities;
    if (Array.isArray(identities)) {
      const at = identities.indexOf(this.identityFn);
      if (at >= 0) identities.splice(at, 1);
    }
  }
}
