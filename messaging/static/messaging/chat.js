// Widget glue: carries a fresh, verified identity into the chat, however long the page is open.
//
// Refresh on demand: no token is requested at page load. A fresh token is fetched when the
// customer clicks Chat and whenever the platform adapter asks (token expired, rejection).
// After a rejection it fetches one fresh token and retries once, then shows a clear message
// with a Retry button. It never waits forever and never falls back to an anonymous chat.
//
// Adapters. Each messenger of the chat config names one (messaging_tags.py):
//   "sandbox"  the sandbox chat window (below; only while the sandbox is served and the
//              messenger's vendor setting "sandbox" is not false); Genesys messengers get a
//              fresh auth code instead of a token;
//   anything else: the ES module adapters/<name>/adapter.js (platforms/<name>/static/), imported
//              on the first Chat click. It
//              loads the vendor's documented snippet from vendor.scriptUrl and hands the
//              identity over exactly as that vendor documents (see each module's header).
//   "generic" in production: the documented portalchat:open / portalchat:logout DOM hook that
//              the brand's own widget consumes (platforms/generic/static/adapter.js).
// Sandbox adapter (sandbox_adapter.js):  adapter.open({container, messenger, clickedAt,
//                   getToken, getAuthCode, onStatus, onEscape}) -> {retry, close, focus}
// Vendor adapters:  new Adapter({messenger, vendor, container, getToken, getAuthCode, onStatus})
//                   .open({resumed}) -> Promise, .retry(), .logout() -> Promise
//   getToken() -> Promise<string>: always a fresh token from the portal
//   getAuthCode() -> Promise<{authCode, redirectUri, nonce, codeVerifier?}>: always a fresh code
//   onStatus(state, text): state is "connecting" | "verified" | "open" | "error"
//
// Vendor widgets keep their conversation across page loads (Salesforce asks for the token
// "after every reload"). So while a vendor chat is open, localStorage holds its messenger slug
// (never a token); a page load with that mark restores the widget, which then asks for a fresh
// token itself. A fresh page without the mark mints nothing. Logging out of the portal logs out
// of the vendor widget first (adapter.logout(), at most LOGOUT_TIMEOUT_MS) and clears the mark.
// Identity at page load: a vendor that documents setting the identity on every page load of a
// logged-in customer (Salesforce: "after every reload"; Zendesk: loginUser at login; LivePerson:
// an identity function on every authenticated page) has identifyOnLoad in its entry, and its
// adapter's identify() runs at page load, so an ongoing conversation survives a reload. Other
// vendors mint nothing at page load.
// Limits: a portal session that simply expires (no Log out click) cannot log out of the vendor
// widget; pages without the chat panel do not load chat.js, so their Log out posts directly
// (the vendor widget is not loaded on those pages either).

import { LOGIN_AGAIN, TokenError, describe, makePortalSource, message, waitText, withTimeout } from "./adapters/common.js";
import { beacon } from "./beacons.js";
import { SandboxAdapter } from "./sandbox_adapter.js";
import { configureStepUp, withStepUp } from "./stepup.js";

export { SandboxAdapter, TokenError, describe, message, waitText };

const LOGOUT_TIMEOUT_MS = 3000;
// A platform package's adapter (platforms/<name>/static/adapter.js, served under
// adapters/<name>/): the server names it from the platform registry; "unsupported" (no profile)
// and anything that is not a plain package name load nothing.
const ADAPTER_NAME = /^[a-z][a-z0-9_]{0,39}$/;

// The portal's token API, or (field "authCode") its auth-code API: same request, same errors.
export function makeTokenSource({
  tokenUrl,
  csrfToken,
  field = "token",
  fetchImpl = window.fetch.bind(window),
}) {
  return makePortalSource({ url: tokenUrl, csrfToken, field, fetchImpl });
}

// Errors a retry cannot fix: the way out is elsewhere (a link), or closing the window.
const NO_RETRY = new Set(["passkey_needed", "not_a_member", "unknown_messenger", "unsupported"]);

// --- the page ------------------------------------------------------------------------------

// Marks the page keeps between loads: [storage area, key]. Storage may be disabled (private
// modes, policies): then reading gives null, writing does nothing, and a reload restores no
// chat at all.
// A vendor widget open on this site (localStorage: it restores itself at the next page load).
const OPEN = ["localStorage", "portalChat.open"];
// The sandbox chat open in this tab (sessionStorage: per tab, survives a reload, ends with
// the tab), so a reload shows the same conversation again.
const TAB = ["sessionStorage", "portalChat.sandbox"];
// Whether its window was open: a reload restores it as it was, except on a phone, where the
// window fills the screen: there the page comes first and the launcher brings the chat back.
const WINDOW = ["sessionStorage", "portalChat.window"];
const PHONE = "(max-width: 480px)"; // widget.css: the window is full screen below this

function readMark([area, key]) {
  try {
    return window[area].getItem(key);
  } catch (err) {
    return null;
  }
}

// ``value`` null (or empty) removes the mark.
function writeMark([area, key], value) {
  try {
    if (value) window[area].setItem(key, value);
    else window[area].removeItem(key);
  } catch (err) {
    // storage disabled: nothing is restored after a reload
  }
}

function boot() {
  const configElement = document.getElementById("chat-config");
  const form = document.getElementById("chat-form");
  if (!configElement || !form) return;
  const config = JSON.parse(configElement.textContent);
  const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  // A 429 writes nothing on the server (docs/decisions/throttled-attempts-counted-by-beacon.md):
  // the chat says so in one beacon (rate-limited like every beacon) so the report can count it.
  const beaconOn429 = (source) => async (slug) => {
    try {
      return await source(slug);
    } catch (err) {
      if (err && err.code === "throttled") beacon("throttled", { messenger: slug });
      throw err;
    }
  };
  const fetchToken = beaconOn429(withStepUp(makeTokenSource({ tokenUrl: config.tokenUrl, csrfToken })));
  const fetchAuthCode = beaconOn429(
    withStepUp(makeTokenSource({ tokenUrl: config.authCodeUrl, csrfToken, field: "authCode" })),
  );
  const sandbox = config.sandboxChatUrl ? new SandboxAdapter({ chatUrl: config.sandboxChatUrl }) : null;
  const vendorSessions = new Map(); // slug -> vendor adapter instance (widgets are page-global)
  const status = document.getElementById("chat-status");
  const container = document.getElementById("chat-container");
  const button = document.getElementById("chat-button");
  const loginUrl = form.dataset.loginUrl || "/login/";
  const enrollUrl = form.dataset.enrollUrl || "/security/";
  const launcher = document.getElementById("chat-launcher");
  const chatWindow = document.getElementById("chat-window");
  const windowTitle = document.getElementById("chat-window-title");
  const windowSub = document.getElementById("chat-window-sub");
  const windowAvatar = chatWindow.querySelector(".chat-window-avatar");
  let session = null;
  let current = null; // slug of the chat the status line speaks about

  // --- the floating window and its launcher bubble ---
  const windowOpen = () => !chatWindow.hidden;
  // Restoring a chat after a reload: its "connecting" does not open the window by itself.
  let restoring = false;
  const openWindow = () => {
    restoring = false;
    writeMark(WINDOW, "open");
    chatWindow.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    document.getElementById("chat-launcher-label").textContent = "Close the chat window";
  };
  // Closing hides the window; the conversation goes on and the launcher brings it back.
  const closeWindow = ({ focusLauncher = true } = {}) => {
    writeMark(WINDOW, "closed");
    chatWindow.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    document.getElementById("chat-launcher-label").textContent = "Chat with support";
    if (focusLauncher) launcher.focus();
  };
  const focusWindow = () => {
    const target = chatWindow.querySelector(
      "#stepup-dialog button, #stepup-dialog a, #chat-status a, #chat-status button",
    );
    if (target) target.focus();
    else if (!container.hidden && container.querySelector("iframe")) container.querySelector("iframe").focus();
    else document.getElementById("chat-close").focus();
  };
  const brandOf = (slug) => {
    const messenger = config.messengers.find((m) => m.slug === slug);
    if (!messenger) return;
    windowTitle.textContent = messenger.brandName;
    windowAvatar.textContent = (messenger.brandName || "S").slice(0, 1).toUpperCase();
  };
  chatWindow.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      closeWindow();
    }
  });
  document.getElementById("chat-close").addEventListener("click", () => closeWindow());
  launcher.addEventListener("click", () => {
    if (windowOpen()) {
      closeWindow();
    } else if (session && session.kind === "sandbox" && !session.closed) {
      openWindow();
      focusWindow();
    } else {
      start({ slug: current || undefined });
    }
  });
  // Vendor widgets bring their own launcher and window: ours is for the sandbox's chat window,
  // and a vendor chat's status line stays in the Support card, under the button.
  launcher.hidden = !config.messengers.some((m) => m.adapter === "sandbox");
  const windowBody = document.getElementById("chat-window-body");
  const statusIn = (where) => {
    if (where === "window" && status.parentElement !== windowBody) windowBody.prepend(status);
    if (where === "card" && status.parentElement !== form.parentElement) form.after(status);
  };
  const inWindow = () => status.parentElement === windowBody;
  configureStepUp({
    host: document.getElementById("chat-window-body"),
    hasPasskey: config.stepUp?.hasPasskey !== false,
    reveal: () => {
      openWindow();
      windowSub.dataset.before = windowSub.textContent;
      windowSub.textContent = "Waiting for you to confirm it's you";
    },
    settle: () => {
      windowSub.textContent = windowSub.dataset.before || windowSub.textContent;
    },
  });

  // ``code``: the error's stable code when known. An ended session offers a log-in link that
  // comes back to this chat (?next=/?chat=<slug>); other errors offer Retry.
  // In the window: "connecting" and "verified" are said by the header's second line (and to
  // screen readers by the status line); an error is a card with one way on.
  const onStatus = (state, text, code = null) => {
    const inFrame = !container.hidden && container.querySelector("iframe");
    status.className = `chat-status ${state === "error" ? "error" : ""} ${state !== "error" && inFrame ? "quiet" : ""}`;
    status.dataset.state = state;
    status.replaceChildren(text);
    button.disabled = state === "connecting";
    windowSub.textContent =
      state === "verified" || state === "open"
        ? "Verified: the agent knows it's you"
        : state === "error"
          ? "Not connected"
          : "Connecting…";
    if (inWindow() && (state === "error" || (state === "connecting" && !restoring))) openWindow();
    if (state === "error") {
      status.setAttribute("role", "alert");
      status.setAttribute("aria-live", "assertive");
      const actions = document.createElement("span");
      actions.className = "actions";
      const close = document.createElement("button");
      close.type = "button";
      close.id = "chat-error-close";
      close.textContent = "Close";
      close.addEventListener("click", () => closeWindow());
      if (code === "passkey_needed") {
        const link = document.createElement("a");
        link.id = "chat-enroll";
        link.className = "button primary";
        link.href = enrollUrl;
        link.textContent = "Set up a passkey";
        actions.append(link, close);
      } else if (NO_RETRY.has(code)) {
        actions.append(close);
      } else if (LOGIN_AGAIN.has(code)) {
        const back = `/?${new URLSearchParams({ chat: current || "" })}`;
        const link = document.createElement("a");
        link.id = "chat-login";
        link.className = "button primary";
        link.href = `${loginUrl}?${new URLSearchParams({ next: back })}`;
        link.textContent = "Log in again";
        actions.append(link, close);
      } else {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.id = "chat-retry";
        retry.textContent = "Retry";
        retry.addEventListener("click", () =>
          Promise.resolve()
            .then(() => (session ? session.retry() : start()))
            .catch((err) => onStatus("error", message(err.code || "widget_unavailable", err))),
        );
        retry.className = "primary";
        actions.append(retry, close);
      }
      status.append(" ", actions);
    } else {
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
    }
  };

  // Report beacons (beacons.js): the platform's verdict, per messenger. An adapter that knows
  // the verifier's reason passes it as a third argument of an "error" (the sandbox adapter
  // reports every rejection itself, including the one its automatic retry hides).
  const reportingStatus = (slug) => (state, text, reason, code = null) => {
    if (state === "verified") beacon("platform_verified", { messenger: slug });
    if (state === "error" && reason) beacon("platform_rejected", { messenger: slug, reason });
    onStatus(state, text, code);
  };

  // One adapter per messenger and page, however many callers ask at once (the page load's
  // identify and an early click must not load the widget twice).
  const adapterLoads = new Map();
  const vendorAdapter = (messenger) => {
    if (!adapterLoads.has(messenger.slug)) {
      const loading = loadVendorAdapter(messenger);
      adapterLoads.set(messenger.slug, loading);
      loading.catch(() => adapterLoads.delete(messenger.slug));
    }
    return adapterLoads.get(messenger.slug);
  };
  const loadVendorAdapter = async (messenger) => {
    if (messenger.adapter === "unsupported" || !ADAPTER_NAME.test(messenger.adapter || "")) {
      throw new TokenError("unsupported");
    }
    let module;
    try {
      module = await import(`./adapters/${messenger.adapter}/adapter.js`);
    } catch (err) {
      throw new TokenError("widget_unavailable", String(err));
    }
    const Adapter = module.default;
    const adapter = new Adapter({
      messenger,
      vendor: messenger.vendor || {},
      container,
      getToken: async () => (await fetchToken(messenger.slug)).token,
      getAuthCode: () => fetchAuthCode(messenger.slug),
      onStatus: reportingStatus(messenger.slug),
    });
    vendorSessions.set(messenger.slug, adapter);
    return adapter;
  };

  const start = async ({ slug, resumed = false } = {}) => {
    // the picker's choice; a chat opened from a link (?chat=) that the picker does not list
    // stays the current one
    const picked = document.getElementById("chat-messenger").value;
    const chosen = slug || picked || current;
    const messenger = config.messengers.find((m) => m.slug === chosen);
    if (!messenger) return;
    const clickedAt = Date.now();
    current = chosen;
    brandOf(chosen);
    if (messenger.adapter === "sandbox") {
      statusIn("window");
      if (!resumed) openWindow();
    } else {
      statusIn("card");
      if (windowOpen()) closeWindow({ focusLauncher: false });
    }
    if (!resumed) beacon("chat_opened", { messenger: chosen, clickedAt });
    if (messenger.adapter === "sandbox") {
      if (!sandbox) {
        onStatus("error", describe("unsupported"));
        return;
      }
      writeMark(TAB, chosen);
      if (session && session.kind === "sandbox" && session.slug === chosen && !session.closed) {
        // the same chat again: the same window and conversation, with a fresh proof that
        // the customer is still logged in (an ended session shows the log-in link)
        session.focus();
        session.retry();
        return;
      }
      if (session && session.close) session.close();
      container.hidden = false;
      session = sandbox.open({
        container,
        messenger: chosen,
        restored: resumed,
        clickedAt,
        getToken: async () => (await fetchToken(chosen)).token,
        getAuthCode: messenger.oidc ? () => fetchAuthCode(chosen) : null,
        onStatus: reportingStatus(chosen),
        onEscape: () => closeWindow(),
      });
      return;
    }
    writeMark(TAB, null); // a vendor widget restores itself (the localStorage mark below)
    onStatus("connecting", "Opening the chat…");
    let adapter;
    try {
      adapter = await vendorAdapter(messenger);
    } catch (err) {
      onStatus("error", message(err.code || "widget_unavailable", err), err.code);
      return;
    }
    if (session && session !== adapter && session.close) session.close();
    session = adapter;
    container.hidden = true; // vendor widgets draw their own window
    writeMark(OPEN, chosen);
    try {
      await adapter.open({ resumed });
    } catch (err) {
      writeMark(OPEN, null); // a widget that could not open is not restored at the next page load
      onStatus("error", message(err.code || "widget_unavailable", err), err.code);
    }
  };

  // The portal's Log out also logs out of the vendor widget, before the form posts.
  const logoutForms = [...document.querySelectorAll("form")].filter(
    (f) => config.logoutUrl && new URL(f.action, window.location.href).pathname === config.logoutUrl,
  );
  for (const logoutForm of logoutForms) {
    logoutForm.addEventListener("submit", async (event) => {
      writeMark(OPEN, null);
      writeMark(TAB, null);
      if (vendorSessions.size === 0) return; // nothing to log out of: the form posts as usual
      event.preventDefault();
      const logouts = [...vendorSessions.values()].map((a) =>
        withTimeout(Promise.resolve().then(() => a.logout()), LOGOUT_TIMEOUT_MS).catch(() => null),
      );
      await Promise.all(logouts);
      logoutForm.submit(); // submit() fires no submit event: no second round
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start();
  });
  button.disabled = false; // the template renders it disabled until the glue listens

  // A vendor chat that was open before this page load is restored: its widget asks for a token.
  const mark = readMark(OPEN);
  const marked = mark && config.messengers.find((m) => m.slug === mark);
  // The log-in link of an ended session comes back with ?chat=<slug>: the customer asked to
  // chat, so the chat opens (and the address loses the parameter).
  const params = new URLSearchParams(window.location.search);
  const asked = params.get("chat");
  const askedFor = asked && config.messengers.find((m) => m.slug === asked);
  if (asked) {
    params.delete("chat");
    const rest = params.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${rest ? `?${rest}` : ""}${window.location.hash}`);
  }
  // The sandbox chat that was open in this tab before a reload comes back with its
  // conversation (the window resumes it with a fresh token).
  const tabMark = readMark(TAB);
  const tabMarked = tabMark && config.messengers.find((m) => m.slug === tabMark && m.adapter === "sandbox");
  if (askedFor) {
    const picker = document.getElementById("chat-messenger");
    if (picker) picker.value = askedFor.slug;
    start({ slug: askedFor.slug });
  } else if (tabMarked) {
    const reopen = readMark(WINDOW) !== "closed" && !window.matchMedia(PHONE).matches;
    restoring = !reopen;
    if (reopen) openWindow();
    start({ slug: tabMark, resumed: true });
  }
  if (marked && marked.adapter !== "sandbox") {
    if (!askedFor) start({ slug: mark, resumed: true });
  } else if (mark) {
    writeMark(OPEN, null);
  }
  // Vendors that want the identity at every page load (identifyOnLoad) get it now, without
  // opening their window; a failure here shows when the customer clicks Chat.
  for (const messenger of config.messengers) {
    if (!messenger.identifyOnLoad || messenger.adapter === "sandbox") continue;
    if (messenger.slug === askedFor?.slug || messenger.slug === marked?.slug) continue;
    vendorAdapter(messenger)
      .then((adapter) => adapter.identify())
      .catch(() => null);
  }
}

boot();
