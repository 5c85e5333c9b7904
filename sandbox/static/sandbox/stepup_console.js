// Agent console: the assurance panel (sandbox/templates/sandbox/_assurance.html).
// Polls the conversation's assurance (verified from the customer's tokens by the server) and
// sends the agent's step-up request without a reload.
import { formatTime, zoneName } from "./times.js";

const panel = document.getElementById("assurance");
const POLL_MS = 3000;

if (panel) {
  const field = (name) => panel.querySelector(`[data-field="${name}"]`);
  const status = document.getElementById("stepup-status");
  const summary = document.getElementById("assurance-summary");
  const form = panel.querySelector(".stepup-form");
  const clock = (iso) => `${formatTime(new Date(iso), "seconds")} ${zoneName(new Date(iso))}`;
  let asked = null;

  const render = (a) => {
    if (a.authTime) {
      const strong = document.createElement("strong");
      strong.dataset.field = "method";
      strong.textContent = a.method;
      const ago = document.createElement("span");
      ago.dataset.field = "ago";
      ago.textContent = `${a.minutesAgo} minute${a.minutesAgo === 1 ? "" : "s"} ago`;
      summary.replaceChildren(strong, ", ", ago);
      field("auth-time").textContent = formatTime(new Date(a.authTime), "date-seconds");
    }
    field("acr").textContent = a.acr || "—";
    field("amr").textContent = (a.amr || []).join(" ") || "—";
    if (a.stepupRequestedAt) {
      asked = a.stepupRequestedAt;
      status.textContent = `Asked the customer to verify again at ${clock(a.stepupRequestedAt)}; waiting…`;
    } else if (asked) {
      status.textContent = `Verified again with a ${a.method} at ${clock(a.authTime)} (fresh token).`;
      status.dataset.state = "fresh";
      asked = null;
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(panel.dataset.assuranceUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) render(await response.json());
    } catch {
      // next tick
    }
    setTimeout(poll, POLL_MS);
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(panel.dataset.stepupUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
    });
    if (response.ok) {
      delete status.dataset.state;
      render(await response.json());
    } else {
      status.textContent = "The request could not be sent. Please try again.";
    }
  });

  setTimeout(poll, POLL_MS);
}
