// Salesforce Messaging for In-App and Web (enhanced web chat): user verification with a JWT.
//
// Each call follows Salesforce's documentation:
// - the deployment's code snippet: load <siteUrl>/assets/js/bootstrap.min.js, then
//   embeddedservice_bootstrap.init(orgId, deploymentName, siteUrl, {scrt2URL})
//   https://developer.salesforce.com/docs/service/messaging-web/guide/web-deployment-code.html
// - "After you receive an onEmbeddedMessagingReady event, pass your identity token to the API
//   by using the setIdentityToken method ... you must call this method after a page refresh":
//   embeddedservice_bootstrap.userVerificationAPI.setIdentityToken({identityTokenType: "JWT",
//   identityToken}) https://developer.salesforce.com/docs/service/messaging-web/guide/user-verification.html
//   https://developer.salesforce.com/docs/service/messaging-web/references/m4w-reference/userVerificationAPI.html
// - onEmbeddedMessagingIdentityTokenExpired: "renew the token and send it ... using the
//   setIdentityToken method in the event handler. The messaging session and user data are
//   cleared automatically if you don't respond within 30 seconds" (event-listeners.html).
//   Here a fresh token is fetched at once and handed over within EXPIRED_ANSWER_MS (25 s).
// - userVerificationAPI.clearSession(true) at logout ("ends the session for authenticated
//   conversations"); it resolves or rejects a Promise (userVerificationAPI.html).
// - utilAPI.launchChat() opens the conversation window once the identity is set (the customer
//   already clicked our Chat button).
// - "set the identity token in every tab and after every reload": identify() runs at every page
//   load of the logged-in customer (entry.identifyOnLoad): the snippet, init and
//   setIdentityToken, without launchChat, so a conversation going on survives the reload.
// Salesforce documents no "token rejected" event: setIdentityToken returning false or throwing
// is treated as a rejection (one fresh token, one retry, then a visible error); an expired event
// that keeps coming back (more than 3 a minute) ends in a visible error, not a loop.

import {
  READY_TIMEOUT_MS,
  TokenError,
  VendorAdapter,
  errorCode,
  loadScript,
  withTimeout,
} from "../common.js";

const EXPIRED_ANSWER_MS = 25000;

export default class SalesforceAdapter extends VendorAdapter {
  constructor(options) {
    super(options, { maxRefreshes: 3 });
    this.ready = null;
    this.loggedOut = false;
    this.launched = false;
  }

  api() {
    return window.embeddedservice_bootstrap;
  }

  async open() {
    this.onStatus("connecting", "Connecting you to an agent…");
    await this.identify();
    if (this.identitySet) await this.launch();
  }

  // A page load of the logged-in customer: the identity is set, the window stays closed.
  async identify() {
    this.loggedOut = false;
    this.halted = false;
    if (!this.ready) this.ready = this.boot();
    try {
      await withTimeout(this.ready, READY_TIMEOUT_MS);
    } catch (err) {
      this.ready = null;
      throw err;
    }
    await this.ensureIdentity();
  }

  // Loads the snippet and calls init; resolves at the first onEmbeddedMessagingReady.
  boot() {
    if (!this.listening) {
      this.listening = true;
      window.addEventListener("onEmbeddedMessagingReady", () => {
        // Every ready event (page load, after clearSession) wants the identity again,
        // except after the customer logged out of the portal.
        this.identitySet = false;
        if (this.loggedOut) return;
        if (this.resolveReady) this.resolveReady();
        if (this.launched) this.sendFreshToken();
      });
      window.addEventListener("onEmbeddedMessagingIdentityTokenExpired", () => this.onExpired());
    }
    return new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      loadScript(this.vendor.scriptUrl)
        .then(() => {
          const api = this.api();
          if (!api || typeof api.init !== "function") {
            throw new TokenError("widget_unavailable", "embeddedservice_bootstrap missing");
          }
          api.settings = api.settings || {};
          api.settings.language = document.documentElement.lang || "en";
          api.init(this.vendor.orgId, this.vendor.deploymentName, this.vendor.siteUrl, {
            scrt2URL: this.vendor.scrt2Url,
          });
        })
        .catch(reject);
    });
  }

  // The identity once: a page-load hand-over still under way is waited for, not repeated.
  ensureIdentity() {
    if (this.identitySet) return Promise.resolve(true);
    if (!this.sending) {
      this.sending = this.sendFreshToken().finally(() => {
        this.sending = null;
      });
    }
    return this.sending;
  }

  // Fetches a fresh token and hands it over; a rejection gets exactly one fresh retry.
  async sendFreshToken() {
    let token;
    try {
      token = await this.getToken();
    } catch (err) {
      this.fail(errorCode(err));
      return false;
    }
    if (this.loggedOut || this.halted) return false;
    let accepted;
    try {
      accepted = this.api().userVerificationAPI.setIdentityToken({
        identityTokenType: "JWT",
        identityToken: token,
      });
      if (accepted && typeof accepted.then === "function") accepted = await accepted;
    } catch (err) {
      accepted = false;
    }
    if (accepted === false) {
      if (this.retry_.rejected()) return this.sendFreshToken();
      this.fail("rejected", "rejected");
      return false;
    }
    this.retry_.accepted();
    this.identitySet = true;
    return true;
  }

  async onExpired() {
    if (this.loggedOut || this.halted) return;
    if (!this.budget.take()) {
      this.fail("refresh_loop");
      return;
    }
    this.onStatus("connecting", "Renewing your verified session…");
    try {
      const ok = await withTimeout(this.sendFreshToken(), EXPIRED_ANSWER_MS);
      if (ok && !this.halted) this.onStatus("verified", "You are chatting as a verified customer.");
    } catch (err) {
      this.fail(errorCode(err));
    }
  }

  async launch() {
    this.launched = true;
    try {
      const util = this.api().utilAPI;
      if (util && typeof util.launchChat === "function") await util.launchChat();
      this.onStatus("verified", "You are chatting as a verified customer.");
    } catch (err) {
      this.fail("widget_unavailable");
    }
  }

  // Stops handing tokens over until the customer clicks Chat or Retry again.
  async logout() {
    this.loggedOut = true;
    this.identitySet = false;
    const api = this.api();
    if (api && api.userVerificationAPI) await api.userVerificationAPI.clearSession(true);
  }
}
