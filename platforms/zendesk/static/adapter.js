// Zendesk messaging Web Widget: authenticated users with a JWT signed by the messenger's
// shared secret (HS256, header kid = the Zendesk key id).
//
// Each call follows Zendesk's documentation:
// - the Web Widget snippet: <script id="ze-snippet"
//   src="https://static.zdassets.com/ekr/snippet.js?key=<snippet key>"> (the id is part of the
//   snippet Zendesk hands out) https://developer.zendesk.com/api-reference/widget-messaging/introduction/
// - zE("messenger", "loginUser", jwtCallback, loginCallback): "jwtCallback: a callback function
//   to handle a new JWT generated during a user sign-in, or to manage an updated JWT when an
//   existing session is accessed"; loginCallback receives null on success or a LoginFailedError
//   {message, reason, type}. Every jwtCallback call gets a fresh token from the portal.
//   https://developer.zendesk.com/api-reference/widget-messaging/web/authentication/
// - zE("messenger", "logoutUser") at logout (same page); zE("messenger", "open") opens the
//   messaging window (core messenger API).
// - "When the end user logs in to the website or app, a request is made for the signed JWT",
//   and loginUser's jwtCallback also manages "an updated JWT when an existing session is
//   accessed" (authenticating-users-your-app; the authentication reference above): a page
//   load of a logged-in customer is such an access. identify() runs at every page load of the
//   logged-in customer (entry.identifyOnLoad) without opening the window, so the conversation
//   follows the customer across reloads; the Chat button then only opens it.
//   https://developer.zendesk.com/documentation/conversations/messaging-platform/users/authenticating-users-your-app/
// A failed login is retried once (a new loginUser: Zendesk asks jwtCallback again, which
// fetches a fresh token); the second failure is shown. Zendesk's asks are capped at 4 a minute
// (docs/platforms.md: an integration that failed every action until it refreshed the JWT).

import {
  READY_TIMEOUT_MS,
  TokenError,
  VendorAdapter,
  errorCode,
  loadScript,
  withTimeout,
} from "../common.js";

const VERDICT_TIMEOUT_MS = 20000;

function waitForZE() {
  return new Promise((resolve) => {
    const check = () => (typeof window.zE === "function" ? resolve(window.zE) : setTimeout(check, 50));
    check();
  });
}

export default class ZendeskAdapter extends VendorAdapter {
  constructor(options) {
    super(options);
    this.loaded = null;
    this.loggedIn = false;
  }

  async open() {
    this.loggedOut = false;
    this.halted = false;
    this.quiet = false;
    this.onStatus("connecting", "Connecting you to an agent…");
    await this.load();
    if (this.loggedIn) {
      this.verified();
      return;
    }
    if (this.pending) return; // the page load's login is under way: its result opens the window
    this.login();
  }

  // The snippet, once per page (a failed load is tried again at the next call).
  async load() {
    if (!this.loaded) {
      this.loaded = loadScript(this.vendor.scriptUrl, { id: "ze-snippet" }).then(waitForZE);
    }
    try {
      await withTimeout(this.loaded, READY_TIMEOUT_MS, "widget_unavailable");
    } catch (err) {
      this.loaded = null;
      throw err;
    }
  }

  // A page load of the logged-in customer: loginUser, the window stays closed.
  async identify() {
    this.loggedOut = false;
    this.halted = false;
    this.quiet = true;
    await this.load();
    if (!this.loggedIn && !this.pending) this.login();
  }

  login() {
    this.pending = true;
    clearTimeout(this.verdictTimer);
    this.verdictTimer = setTimeout(() => this.fail("timeout"), VERDICT_TIMEOUT_MS);
    window.zE(
      "messenger",
      "loginUser",
      (callback) => this.answerJwt(callback),
      (error) => this.loginResult(error),
    );
  }

  // Zendesk asks for a JWT (sign-in, or a session that needs an updated one): always fresh.
  async answerJwt(callback) {
    if (this.loggedOut || this.halted) return;
    if (!this.budget.take()) {
      this.fail("refresh_loop");
      return;
    }
    try {
      const token = await this.getToken();
      if (!this.loggedOut && !this.halted) callback(token);
    } catch (err) {
      this.fail(errorCode(err));
    }
  }

  loginResult(error) {
    this.pending = false;
    clearTimeout(this.verdictTimer);
    if (this.halted || this.loggedOut) return;
    if (!error) {
      this.retry_.accepted();
      this.loggedIn = true;
      if (!this.quiet) this.verified();
      return;
    }
    this.loggedIn = false;
    if (this.retry_.rejected()) {
      this.onStatus("connecting", "Verifying you again…");
      this.login();
      return;
    }
    this.fail(error.reason || error.type || "rejected", error.reason || error.type || "rejected");
  }

  verified() {
    this.onStatus("verified", "You are chatting as a verified customer.");
    window.zE("messenger", "open");
  }

  halt() {
    clearTimeout(this.verdictTimer);
  }

  async logout() {
    this.loggedOut = true;
    this.loggedIn = false;
    clearTimeout(this.verdictTimer);
    if (typeof window.zE !== "function") throw new TokenError("widget_unavailable");
    window.zE("messenger", "logoutUser");
  }
}
