// Microsoft Dynamics 365 Contact Center (Omnichannel live chat widget): authenticated chat with
// an RS256 JWT from an auth token provider.
//
// Each call follows Microsoft's documentation:
// - the chat widget snippet: <script id="Microsoft_Omnichannel_LCWidget"
//   src=".../livechatwidget/scripts/LiveChatBootstrapper.js" data-app-id data-org-id
//   data-org-url> (the bootstrapper reads its settings from that element); data-hide-chat-button
//   because the portal's own Chat button starts the chat
//   https://learn.microsoft.com/dynamics365/customer-service/administer/add-chat-widget
// - "The live chat SDK methods should be invoked after the lcw:ready event is raised";
//   Microsoft.Omnichannel.LiveChatWidget.SDK.setAuthTokenProvider(provider), where the provider
//   is called with a callback and calls it with a JWT; "to avoid timeouts, the authTokenProvider
//   function ... must respond within 10 seconds"; "the authentication token provider would be
//   invoked by live chat widget when starting a new chat"; then SDK.startChat()
//   https://learn.microsoft.com/dynamics365/customer-service/develop/send-auth-token-starting-chat
//   https://learn.microsoft.com/dynamics365/customer-service/develop/reference/methods/setauthtokenprovider
// - lcw:error (detail.errorCode, detail.errorDescription): an error during the chat; after a
//   token was handed over it is taken as a rejection: one more startChat (the widget asks the
//   provider again, a fresh token), then a visible error
//   https://learn.microsoft.com/dynamics365/customer-service/develop/reference/events/lcw-error
// - at logout: SDK.closeChat() and SDK.removeAuthTokenProvider() (Microsoft documents no
//   separate sign-out for the widget) .../reference/methods/closechat, .../removeauthtokenprovider
// Each provider call fetches a fresh token; a token not there in PROVIDER_DEADLINE_MS (9 s,
// inside Microsoft's 10 s) becomes a visible "did not answer in time" instead.

import { READY_TIMEOUT_MS, VendorAdapter, errorCode, loadScript, withTimeout } from "../common.js";

const PROVIDER_DEADLINE_MS = 9000;

function sdk() {
  const ms = window.Microsoft;
  return ms && ms.Omnichannel && ms.Omnichannel.LiveChatWidget && ms.Omnichannel.LiveChatWidget.SDK;
}

export default class D365Adapter extends VendorAdapter {
  constructor(options) {
    super(options);
    this.ready = null;
    this.providerSet = false;
  }

  async open() {
    this.halted = false;
    this.loggedOut = false;
    this.onStatus("connecting", "Connecting you to an agent…");
    if (!this.ready) this.ready = this.boot();
    try {
      await withTimeout(this.ready, READY_TIMEOUT_MS, "widget_unavailable");
    } catch (err) {
      this.ready = null;
      throw err;
    }
    if (!this.providerSet) {
      sdk().setAuthTokenProvider((callback) => this.provide(callback));
      this.providerSet = true;
    }
    this.tokenHandedOver = false;
    await sdk().startChat();
  }

  boot() {
    if (!this.listening) {
      this.listening = true;
      window.addEventListener("lcw:ready", () => this.resolveReady && this.resolveReady());
      window.addEventListener("lcw:error", (event) => this.onError(event));
    }
    return new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      loadScript(this.vendor.scriptUrl, {
        id: "Microsoft_Omnichannel_LCWidget",
        attributes: {
          "data-app-id": this.vendor.appId,
          "data-org-id": this.vendor.orgId,
          "data-org-url": this.vendor.orgUrl,
          "data-hide-chat-button": "true",
        },
      }).catch(reject);
    });
  }

  // The widget asks for a token (a new chat is starting): a fresh one, within the deadline.
  async provide(callback) {
    if (this.halted || this.loggedOut) return;
    if (!this.budget.take()) {
      this.fail("refresh_loop");
      return;
    }
    try {
      const token = await withTimeout(this.getToken(), PROVIDER_DEADLINE_MS);
      if (this.halted || this.loggedOut) return;
      callback(token);
      this.tokenHandedOver = true;
      this.onStatus("open", "Your chat is open.");
    } catch (err) {
      this.fail(errorCode(err));
    }
  }

  onError(event) {
    if (this.halted || this.loggedOut || !this.tokenHandedOver) return;
    const detail = (event && event.detail) || {};
    this.tokenHandedOver = false;
    if (this.retry_.rejected()) {
      this.onStatus("connecting", "Verifying you again…");
      Promise.resolve(sdk().startChat()).catch(() => this.fail("widget_unavailable"));
      return;
    }
    this.fail(detail.errorCode || "rejected", detail.errorCode || "rejected");
  }

  async logout() {
    this.loggedOut = true;
    const api = sdk();
    if (!api) return;
    try {
      await api.closeChat();
    } finally {
      api.removeAuthTokenProvider();
      this.providerSet = false;
    }
  }
}
