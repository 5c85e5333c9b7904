// What every browser adapter shares: errors with stable codes, the customer-facing messages,
// loading a vendor's documented snippet, and the bounds that keep refreshes from looping.
//
// The rules (docs/architecture.md "Refresh on demand"):
// - no token or code is minted at page load: only when the customer clicks Chat or the vendor
//   SDK asks for one (ready, expired, getAuthCode, jwtCallback, ...);
// - every vendor request gets a FRESH token from the portal (nothing is cached here);
// - after a rejection one fresh token is handed over once more, the next rejection is shown;
// - vendor-initiated refreshes are capped (RefreshBudget), so a vendor that keeps asking
//   (the documented LivePerson renewal loop, Genesys re-authenticate pop-ups) ends in a
//   visible error, never in an endless loop;
// - a failure is shown to the customer (onStatus("error", ...)); an adapter never starts an
//   anonymous chat instead.

export const SCRIPT_TIMEOUT_MS = 15000;
export const READY_TIMEOUT_MS = 20000;

// What the customer reads. Codes (the portal's and the platform's reasons, e.g. bad_signature)
// are for the agent console and the reports, never shown here.
const MESSAGES = {
  not_authenticated: "Your session has ended. Please log in again to chat.",
  mfa_required: "Please complete two-step verification again to chat.",
  csrf_failed: "Your session has ended. Please log in again to chat.",
  not_a_member: "You cannot chat with this brand from your account.",
  unknown_messenger: "This chat is not available right now.",
  throttled: "Too many chat requests. Please wait a minute and try again.",
  no_signing_key: "Verified chat is temporarily unavailable. Please try again shortly.",
  network: "We could not reach the portal. Check your connection and try again.",
  network_error: "We could not reach the chat service. Check your connection and try again.",
  timeout: "The chat did not answer in time. Please try again.",
  widget_unavailable: "The chat service could not be loaded. Please try again later.",
  unsupported: "This chat platform is not supported on this page.",
  refresh_loop: "The chat kept asking for your identity. Please try again in a minute.",
  expired: "Your secure sign-in for the chat expired before it arrived. Please try again.",
  step_up_required: "This chat needs a stronger or fresher proof of your identity.",
  step_up_cancelled: "This chat needs you to confirm it's you. Click Retry when you are ready.",
  passkey_needed:
    "This chat needs a passkey, and your account does not have one yet. Set one up in your security settings, then open the chat again.",
  jwks_unavailable: "The chat service cannot check your identity right now. Please try again in a minute.",
};

// Any other refusal by the chat platform (a verifier reason code): the customer cannot fix
// it, a fresh attempt sometimes can, and the agent console shows the code.
export const REFUSED =
  "The chat service could not confirm that it's you. Please try again; if it keeps happening, call us or write to us.";

export class TokenError extends Error {
  // retryAfter: seconds to wait (the API's Retry-After on 429 throttled), or null
  constructor(code, detail, status, retryAfter = null) {
    super(detail || code);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export function describe(reasonOrCode) {
  return MESSAGES[reasonOrCode] || REFUSED;
}

export function errorCode(err) {
  return (err && err.code) || "network";
}

// POST {"messenger": slug} to one of the portal's issuing endpoints (token or auth code).
// Resolves with the JSON body; rejects with TokenError(code) carrying the API's error code.
export function makePortalSource({ url, csrfToken, field, fetchImpl = window.fetch.bind(window) }) {
  return async function fetchFresh(messenger) {
    let response;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify({ messenger }),
      });
    } catch (err) {
      throw new TokenError("network", String(err), 0);
    }
    let body = {};
    try {
      body = await response.json();
    } catch (err) {
      body = {};
    }
    if (!response.ok || !body[field]) {
      const wait = Number.parseInt(response.headers.get("Retry-After") || "", 10);
      const error = new TokenError(
        body.error || `http_${response.status}`,
        body.detail,
        response.status,
        Number.isFinite(wait) && wait > 0 ? wait : null,
      );
      error.body = body; // what the caller may need to recover (step_up_required: stepup.js)
      throw error;
    }
    return body;
  };
}

// Rejects with TokenError(code) when `promise` has not settled after `ms`.
export function withTimeout(promise, ms, code = "timeout") {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TokenError(code, `no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// Loads a vendor's documented snippet once per page. `attributes` are set on the <script>
// element before it is inserted (Zendesk and Dynamics 365 read their settings from it).
const loading = new Map();
export function loadScript(src, { id, attributes = {}, timeoutMs = SCRIPT_TIMEOUT_MS } = {}) {
  if (!src) return Promise.reject(new TokenError("widget_unavailable", "no script URL"));
  if (loading.has(src)) return loading.get(src);
  const promise = withTimeout(
    new Promise((resolve, reject) => {
      const script = document.createElement("script");
      if (id) script.id = id;
      for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
      script.src = src;
      script.async = true;
      script.addEventListener("load", () => resolve(script));
      script.addEventListener("error", () =>
        reject(new TokenError("widget_unavailable", `could not load ${src}`)),
      );
      document.head.appendChild(script);
    }),
    timeoutMs,
    "widget_unavailable",
  );
  promise.catch(() => loading.delete(src)); // a later click may try again
  loading.set(src, promise);
  return promise;
}

// At most `max` vendor-initiated refreshes within `windowMs`; take() says whether one more
// is allowed. Uses Date.now(), so Playwright's clock moves it like the real one.
export class RefreshBudget {
  constructor({ max = 3, windowMs = 60000 } = {}) {
    this.max = max;
    this.windowMs = windowMs;
    this.times = [];
  }

  take() {
    const now = Date.now();
    this.times = this.times.filter((t) => now - t < this.windowMs);
    if (this.times.length >= this.max) return false;
    this.times.push(now);
    return true;
  }
}

// One retry after a rejection: rejected() is true the first time (hand over a fresh token
// once more) and false after that (show the error). accepted() re-arms it.
export class RetryOnce {
  constructor() {
    this.retried = false;
  }

  rejected() {
    if (this.retried) return false;
    this.retried = true;
    return true;
  }

  accepted() {
    this.retried = false;
  }
}

// What every vendor adapter shares: its inputs, the refresh budget, the one-retry rule, and
// how it stops (fail) and starts again (retry). A subclass clears its own timers in halt().
// ``rejectedBy`` in fail(): the platform's refusal reason, reported to the portal (reports)
// as a platform rejection; portal errors, timeouts and widget failures are not rejections.
export class VendorAdapter {
  constructor({ messenger, vendor, getToken, getAuthCode, onStatus }, { maxRefreshes = 4 } = {}) {
    this.messenger = messenger;
    this.vendor = vendor;
    this.getToken = getToken;
    this.getAuthCode = getAuthCode;
    this.onStatus = onStatus;
    this.budget = new RefreshBudget({ max: maxRefreshes, windowMs: 60000 });
    this.retry_ = new RetryOnce();
  }

  halt() {}

  // A page load of a logged-in customer, for vendors that document setting the identity on
  // every page (entry.identifyOnLoad): load the widget and hand the identity over without
  // opening the conversation window. Vendors that do not override it do nothing here.
  async identify() {}

  // Stops handing tokens over until the customer clicks Chat or Retry again.
  fail(code, rejectedBy = null) {
    this.halt();
    this.halted = true;
    this.onStatus("error", describe(code), rejectedBy);
  }

  retry() {
    this.retry_.accepted();
    return this.open();
  }
}

// The customer-facing text of a failure; a throttled request says how long to wait.
export function message(code, err = null) {
  if (code === "throttled" && err && err.retryAfter) return `Too many chat requests. ${waitText(err.retryAfter)}`;
  return describe(code);
}

// "Try again in 40 seconds." / "Try again in 3 minutes." (as config/throttling.py words it)
export function waitText(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `Try again in ${s} second${s === 1 ? "" : "s"}.`;
  const m = Math.ceil(s / 60);
  return `Try again in ${m} minute${m === 1 ? "" : "s"}.`;
}

// Errors the customer fixes by logging in again (the session ended, or lost its second step).
export const LOGIN_AGAIN = new Set(["not_authenticated", "mfa_required", "csrf_failed"]);
