// Report beacons (docs/decisions/report-beacons.md): what only the browser sees, for the reports.
//
// beacon(kind, {messenger, reason, clickedAt}) posts {kind, messenger, reason?} to the portal's
// beacon API with the session cookie and the CSRF header, with `keepalive` so a beacon sent as
// the page goes away still arrives. kind: "chat_opened" (the Chat click), "platform_verified"
// (the adapter's vendor event said verified), "platform_rejected" (with the verifier's reason
// code). The server binds every beacon to the caller's own session and customer, and measures
// the click-to-verified time between its own timestamps, so `clickedAt` is not sent: the
// browser's clock can neither skew nor fake the figure. A beacon never throws and never
// delays the chat: failures are ignored (the reports then undercount, the chat still works).
// The beacons of one messenger go out one after the other, in the order they were made: a
// verdict that overtook its click would find no click to answer, and the report would count
// a verified chat as abandoned (the server reads a chat's events in order).

const BEACON_URL = "/api/v1/messaging/events";

function csrfToken() {
  const field = document.querySelector("[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

const inFlight = new Map(); // messenger -> the promise of its latest beacon

export function beacon(kind, { messenger, reason, clickedAt } = {}) {
  void clickedAt; // accepted for the adapters' convenience; the server measures (see above)
  const body = { kind, messenger };
  if (reason) body.reason = String(reason).toLowerCase().slice(0, 40);
  const previous = inFlight.get(messenger) || Promise.resolve();
  const sent = previous.then(() => send(body));
  inFlight.set(messenger, sent);
  return sent;
}

function send(body) {
  try {
    return fetch(BEACON_URL, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).catch(() => null);
  } catch (err) {
    return Promise.resolve(null);
  }
}
