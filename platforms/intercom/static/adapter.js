// Intercom Messenger with Messenger security: a JWT (HS256, the workspace's Messenger API
// secret) carrying user_id, handed over as intercom_user_jwt.
//
// Each call follows Intercom's documentation:
// - the JavaScript snippet: a command queue `window.Intercom` (i.q / i.c) and the widget script
//   https://widget.intercom.io/widget/<app_id>; the official npm loader
//   (@intercom/messenger-js-sdk, dist/instance-manager.js) installs the same queue and script
//   https://developers.intercom.com/installing-intercom/web/installation
// - Intercom("boot", {api_base, app_id, intercom_user_jwt}) and, for a fresh token,
//   Intercom("update", {intercom_user_jwt}): "If you set an expiry, periodically provide fresh
//   tokens to the Intercom SDK" https://developers.intercom.com/installing-intercom/web/identity-verification
//   https://www.intercom.com/help/en/articles/10589769-authenticating-users-in-the-messenger-with-json-web-tokens-jwts
// - Intercom("show"), Intercom("onShow"/"onHide", cb), Intercom("shutdown") at logout
//   https://developers.intercom.com/installing-intercom/web/methods
// - "Token Expiration: Set token expiration times that match your app's session length"
//   (identity-verification, best practices): the portal signs Intercom tokens until its own
//   session ends (at most BRANDS_MAX_TOKEN_LIFETIME, messaging/services.py), and while the page
//   is open the glue hands Intercom a fresh one shortly before the current one expires, whether
//   the Messenger is shown or hidden (a hidden Messenger with an expired token would lose the
//   customer's identity until it is reopened).
// Refresh on demand: a fresh token at every Chat click, and one shortly before the current one
// expires while the page is open. Intercom documents no client-side rejection callback: with Messenger security
// enforced it refuses requests without a valid JWT, so a refused token cannot turn into an
// anonymous chat; the glue only shows errors it can observe (the portal's refusals).

import { VendorAdapter, errorCode, loadScript } from "../common.js";

const RENEW_BEFORE_EXPIRY_MS = 60000;

function installQueue() {
  if (typeof window.Intercom === "function") return;
  const i = function () {
    i.c(arguments);
  };
  i.q = [];
  i.c = function (args) {
    i.q.push(args);
  };
  window.Intercom = i;
}

function expiresAt(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const exp = JSON.parse(atob(payload)).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch (err) {
    return null;
  }
}

export default class IntercomAdapter extends VendorAdapter {
  constructor(options) {
    super(options);
    this.booted = false;
    this.shown = false;
    this.expiry = null;
  }

  async open() {
    this.halted = false;
    this.loggedOut = false;
    this.onStatus("connecting", "Connecting you to an agent…");
    const token = await this.freshToken();
    if (!token) return;
    if (!this.booted) {
      installQueue();
      await loadScript(this.vendor.scriptUrl); // a failed load queues nothing twice
      window.Intercom("boot", {
        api_base: this.vendor.apiBase,
        app_id: this.vendor.appId,
        intercom_user_jwt: token,
      });
      if (!this.listening) {
        this.listening = true;
        window.Intercom("onShow", () => this.onShow());
        window.Intercom("onHide", () => this.onHide());
      }
      this.booted = true;
    } else {
      window.Intercom("update", { intercom_user_jwt: token });
    }
    this.renewLater(token);
    window.Intercom("show");
    this.onStatus("open", "Your chat is open.");
  }

  async freshToken() {
    if (!this.budget.take()) {
      this.fail("refresh_loop");
      return null;
    }
    try {
      return await this.getToken();
    } catch (err) {
      this.fail(errorCode(err));
      return null;
    }
  }

  // Schedules Intercom("update") with a fresh token shortly before `token` (or the current
  // one) expires, shown or hidden.
  renewLater(token) {
    clearTimeout(this.renewTimer);
    if (token) this.expiry = expiresAt(token);
    if (!this.expiry) return;
    const wait = Math.max(this.expiry - Date.now() - RENEW_BEFORE_EXPIRY_MS, 1000);
    this.renewTimer = setTimeout(() => this.renew(), wait);
  }

  async renew() {
    if (this.halted || this.loggedOut) return;
    const token = await this.freshToken();
    if (!token || this.halted || this.loggedOut) return;
    window.Intercom("update", { intercom_user_jwt: token });
    this.renewLater(token);
  }

  onShow() {
    this.shown = true;
    if (!this.expiry || this.expiry - Date.now() < RENEW_BEFORE_EXPIRY_MS) this.renew();
    else this.renewLater(null);
  }

  onHide() {
    this.shown = false;
  }

  halt() {
    clearTimeout(this.renewTimer);
  }

  async logout() {
    this.loggedOut = true;
    clearTimeout(this.renewTimer);
    if (this.booted && typeof window.Intercom === "function") window.Intercom("shutdown");
    this.booted = false;
  }
}
