// Genesys Cloud Web Messaging: authenticated Messenger through the brand's OpenID Connect
// provider. The page never hands Genesys a token: its AuthProvider plugin answers getAuthCode
// with a one-time authorization code that Genesys's servers redeem at the brand's token endpoint.
//
// Each call follows Genesys's documentation:
// - the deployment snippet: a `Genesys` command queue (window._genesysJs, Genesys.q, Genesys.t,
//   Genesys.c = {environment, deploymentId}) and the script
//   https://apps.<domain>/genesys-bootstrap/genesys.min.js
//   https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/
// - Genesys("registerPlugin", "AuthProvider", (AuthProvider) => {...}) with the mandatory
//   command getAuthCode, resolved with {authCode, redirectUri, nonce?, codeVerifier?, iss?}, and
//   reAuthenticate; AuthProvider.subscribe(...) for Auth events; AuthProvider.ready()
//   https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/authenticatedMessenger
// - "The Auth plugin can call this command repeatedly as needed to fetch the latest authCode
//   ... this command must always resolve with the latest authCode": every getAuthCode is a new
//   POST to the portal's auth-code API; nothing is cached.
//   https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/SDKCommandsEvents/authProviderPlugin
// - reAuthenticate "when current refreshToken and/or authCode are no more valid ... After a
//   successful re-login, calling the getAuthCode command is taken care internally": the
//   customer is still logged into the portal, so the first reAuthenticate resolves (Genesys
//   asks for one fresh code); a second one in a row is shown as an error (no pop-up loops).
// - Auth plugin events Auth.authenticated, Auth.authError, Auth.tokenError, Auth.error,
//   Auth.signInFailed, Auth.loggedOut, and the command Auth.logout ("use this command in the
//   logout handling section of your website")
//   https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/SDKCommandsEvents/authPlugin
// - Messenger.open opens the Messenger window (the customer clicked our Chat button)
//   https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/SDKCommandsEvents/messengerPlugin

import { READY_TIMEOUT_MS, VendorAdapter, errorCode, loadScript, withTimeout } from "../common.js";

const VERDICT_TIMEOUT_MS = 20000;
const AUTH_FAILURES = ["Auth.authError", "Auth.tokenError", "Auth.error", "Auth.signInFailed"];

// The deployment snippet's command queue, installed once per page.
function installQueue({ environment, deploymentId }) {
  if (window.Genesys) return;
  window._genesysJs = "Genesys";
  const genesys = function () {
    (genesys.q = genesys.q || []).push(arguments);
  };
  genesys.t = 1 * new Date();
  genesys.c = { environment, deploymentId };
  window.Genesys = genesys;
}

export default class GenesysAdapter extends VendorAdapter {
  constructor(options) {
    super(options);
    this.provider = null;
    this.registered = null;
    this.verdictTimer = null;
  }

  async open({ resumed = false } = {}) {
    this.loggedOut = false;
    this.halted = false;
    this.onStatus("connecting", "Connecting you to an agent…");
    if (!this.registered) this.registered = this.boot();
    try {
      await withTimeout(this.registered, READY_TIMEOUT_MS);
    } catch (err) {
      this.registered = null;
      throw err;
    }
    if (this.isAuthenticated) {
      this.onStatus("verified", "You are chatting as a verified customer.");
    } else if (!resumed) {
      this.awaitVerdict(); // Messenger authenticates (getAuthCode) before it opens
    } else {
      this.onStatus("open", "Your chat is open.");
    }
    if (!resumed) {
      Promise.resolve(window.Genesys("command", "Messenger.open")).catch(() => null);
    }
  }

  boot() {
    return new Promise((resolve, reject) => {
      installQueue(this.vendor);
      if (this.pluginQueued) {
        // an earlier attempt queued the plugin already: only the script is missing
        this.resolveRegistered = resolve;
        loadScript(this.vendor.scriptUrl, { attributes: { charset: "utf-8" } }).catch(reject);
        return;
      }
      this.pluginQueued = true;
      this.resolveRegistered = resolve;
      window.Genesys("registerPlugin", "AuthProvider", (AuthProvider) => {
        this.provider = AuthProvider;
        AuthProvider.registerCommand("getAuthCode", (e) => this.answerGetAuthCode(e));
        AuthProvider.registerCommand("reAuthenticate", (e) => this.answerReAuthenticate(e));
        AuthProvider.subscribe("Auth.authenticated", () => this.authenticated());
        for (const name of AUTH_FAILURES) {
          AuthProvider.subscribe(name, (event) => this.authFailed(name, event));
        }
        AuthProvider.subscribe("Auth.loggedOut", () => {
          this.isAuthenticated = false;
          this.clearVerdict();
          if (!this.loggedOut) this.fail("not_authenticated");
        });
        AuthProvider.ready();
        this.resolveRegistered();
      });
      loadScript(this.vendor.scriptUrl, { attributes: { charset: "utf-8" } }).catch(reject);
    });
  }

  // getAuthCode: always a fresh code from the portal, never a cached one.
  async answerGetAuthCode(e) {
    if (this.loggedOut || this.halted) {
      e.reject(new Error("not signed in to the portal"));
      return;
    }
    if (!this.budget.take()) {
      this.fail("refresh_loop");
      e.reject(new Error("too many authorization codes requested"));
      return;
    }
    let body;
    try {
      body = await this.getAuthCode();
    } catch (err) {
      this.fail(errorCode(err));
      e.reject(err);
      return;
    }
    const answer = { authCode: body.authCode, redirectUri: body.redirectUri };
    if (body.nonce) answer.nonce = body.nonce;
    if (body.codeVerifier) answer.codeVerifier = body.codeVerifier;
    // RFC 9207: the provider's discovery announces authorization_response_iss_parameter_supported,
    // so the answer names the issuer (Genesys's getAuthCode takes an optional iss).
    if (body.iss) answer.iss = body.iss;
    e.resolve(answer);
    this.awaitVerdict();
  }

  // reAuthenticate: the code or refresh token was refused. Once: resolve, Genesys asks for a
  // fresh code itself. Twice in a row: a visible error, not a pop-up loop.
  answerReAuthenticate(e) {
    if (!this.loggedOut && !this.halted && this.retry_.rejected()) {
      this.onStatus("connecting", "Verifying you again…");
      e.resolve();
      return;
    }
    this.fail(this.lastFailure || "rejected", this.lastFailure || "rejected");
    e.reject(new Error("re-authentication refused"));
  }

  authenticated() {
    this.isAuthenticated = true;
    this.clearVerdict();
    this.retry_.accepted();
    this.lastFailure = null;
    if (!this.halted) this.onStatus("verified", "You are chatting as a verified customer.");
  }

  authFailed(name, event) {
    const data = (event && event.data) || {};
    this.lastFailure = data.reason || data.error || "rejected";
    // The first failure is followed by reAuthenticate (one retry); after the retry it is final.
    if (this.retry_.retried) this.fail(this.lastFailure, this.lastFailure);
  }

  awaitVerdict() {
    this.clearVerdict();
    this.verdictTimer = setTimeout(() => this.fail("timeout"), VERDICT_TIMEOUT_MS);
  }

  clearVerdict() {
    clearTimeout(this.verdictTimer);
    this.verdictTimer = null;
  }

  halt() {
    this.isAuthenticated = false;
    this.clearVerdict();
  }

  async logout() {
    this.loggedOut = true;
    this.clearVerdict();
    if (this.provider) await this.provider.command("Auth.logout");
    else if (window.Genesys) await window.Genesys("command", "Auth.logout");
  }
}
