// Agent console: live queue (filters, unread, previews) and live conversation, no reloads.
// Served as a file: the console keeps the portal's strict CSP (no inline scripts).
import { formatTime, localizeTimes } from "./times.js";

const root = document.querySelector(".console");

// Times in the agent's own zone, 24-hour, the zone named in the bar (docs/decisions/chat-times.md).
const showTimes = (scope = document) => {
  const zone = localizeTimes(scope);
  const note = document.querySelector("[data-times-note]");
  if (note) note.textContent = `Times in ${zone}, 24-hour`;
};
showTimes();

const getJSON = async (url) => {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  return { status: response.status, data: response.ok ? await response.json() : null };
};

const loginLink = () => {
  const link = document.createElement("a");
  const next = encodeURIComponent(window.location.pathname + window.location.search);
  link.href = `${root.dataset.loginUrl}?next=${next}`;
  link.textContent = "Log in again";
  return link;
};

// --- the queue ------------------------------------------------------------------------------
if (root && root.dataset.queueUrl) {
  const form = root.querySelector(".console-filters");
  const queue = document.getElementById("queue");
  const status = document.getElementById("queue-status");
  const brandSelect = document.getElementById("filter-brand");
  const seconds = Number(root.dataset.pollSeconds) || 5;
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  let lastUnread = null;
  let timer = null;
  let painted = null; // the server's rows last shown (the page shows them with local times)
  let latest = 0; // only the newest request may paint: filters changed quickly race their fetches

  root.classList.add("is-live");
  const query = () => new URLSearchParams(new FormData(form)).toString();

  // brands: [[slug, display name], ...]
  const syncBrands = (brands) => {
    const current = brandSelect.value;
    const known = [...brandSelect.options].slice(1).map((o) => `${o.value}\t${o.text}`);
    if (brands.map(([slug, name]) => `${slug}\t${name}`).join("\n") === known.join("\n")) return;
    brandSelect.length = 1;
    brands.forEach(([slug, name]) => brandSelect.add(new Option(name, slug, false, slug === current)));
  };

  const refresh = async () => {
    clearTimeout(timer);
    const ticket = ++latest;
    try {
      const { status: code, data } = await getJSON(`${root.dataset.queueUrl}?${query()}`);
      if (ticket !== latest) return; // a newer refresh (other filters) answers and reschedules
      if (code === 401) {
        status.replaceChildren("Your session has ended. ", loginLink());
        return; // stop polling until the agent logs in again
      }
      if (data) {
        if (painted !== data.html.trim()) {
          // keep keyboard focus on the same line across updates
          const focused = document.activeElement?.closest?.(".q-row")?.dataset.id;
          queue.innerHTML = data.html; // rendered and escaped by the server's template
          painted = data.html.trim();
          showTimes(queue);
          if (focused) queue.querySelector(`.q-row[data-id="${CSS.escape(focused)}"] .q-link`)?.focus();
        }
        syncBrands(data.brands);
        const text = `${data.count} in the queue${data.unread ? `, ${data.unread} unread` : ""}`;
        if (lastUnread !== null && data.unread > lastUnread) {
          status.textContent = `${text} (new activity)`;
        } else if (status.textContent !== text) {
          status.textContent = text;
        }
        lastUnread = data.unread;
        document.title = data.unread ? `(${data.unread}) ${baseTitle}` : baseTitle;
        root.dataset.updatedAt = new Date().toISOString();
      }
    } catch {
      // offline for a moment: try again at the next tick
      if (ticket !== latest) return;
    }
    timer = setTimeout(refresh, seconds * 1000);
  };

  // Filters apply at once; the URL keeps them, so a reload or a shared link shows the same queue.
  form.addEventListener("change", () => {
    history.replaceState(null, "", `?${query()}`);
    refresh();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `?${query()}`);
    refresh();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
  timer = setTimeout(refresh, seconds * 1000);
}

// --- one conversation -----------------------------------------------------------------------
if (root && root.dataset.messagesUrl) {
  const list = document.getElementById("messages");
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  const customerName = list.dataset.customer || "Customer";
  let lastId = Math.max(0, ...[...list.querySelectorAll("[data-id]")].map((li) => Number(li.dataset.id)));

  const time = (iso) => {
    const element = document.createElement("time");
    element.dateTime = iso;
    element.dataset.format = "clock";
    element.textContent = formatTime(new Date(iso), "clock");
    return element;
  };

  const render = (message) => {
    list.querySelector(".thread-empty")?.remove();
    const item = document.createElement("li");
    item.className = `msg ${message.sender}`;
    item.dataset.id = message.id;
    const who = document.createElement("span");
    who.className = "sender";
    who.textContent = message.sender === "agent" ? message.agent || "Agent" : customerName;
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = message.body;
    item.append(who, " ", body, " ", time(message.created_at));
    list.append(item);
    lastId = Math.max(lastId, message.id);
  };

  const markRead = () =>
    fetch(root.dataset.readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
    }).catch(() => {});

  const poll = async () => {
    try {
      const { data } = await getJSON(`${root.dataset.messagesUrl}?after=${lastId}`);
      if (data) {
        const typing = document.getElementById("customer-typing");
        if (typing) typing.textContent = data.typing?.customer ? `${customerName} is typing…` : "";
        const fresh = data.messages.filter((m) => m.id > lastId);
        fresh.forEach(render);
        if (fresh.length) {
          list.lastElementChild.scrollIntoView({ block: "nearest" });
          if (!document.hidden && fresh.some((m) => m.sender === "customer")) markRead();
        }
      }
    } catch {
      // try again at the next tick
    }
    setTimeout(poll, 3000);
  };
  // Replies go through the platform's messages API: no page reload, the text box clears and
  // keeps focus. Enter sends, Shift+Enter starts a new line. Any failure falls back to the
  // form's own POST, which reloads with the error shown.
  const form = root.querySelector("form.reply");
  const reply = document.getElementById("reply");
  const sendStatus = document.getElementById("reply-status");
  form.addEventListener("submit", async (event) => {
    const text = reply.value.trim();
    if (!text) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(root.dataset.messagesUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ body: text }),
      });
      if (!response.ok) throw new Error(String(response.status));
      const message = await response.json();
      if (message.id > lastId) render(message);
      list.lastElementChild.scrollIntoView({ block: "nearest" });
      reply.value = "";
      sendStatus.textContent = "Reply sent.";
    } catch {
      form.submit();
      return;
    } finally {
      button.disabled = false;
    }
    reply.focus();
  });
  // "The agent is typing…" in the customer's window: at most one notice every 3 s while
  // the agent types; it lapses by itself on the platform (sandbox/services.py TYPING_SECONDS).
  let typingSent = 0;
  reply.addEventListener("input", () => {
    if (!root.dataset.typingUrl || !reply.value.trim() || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    fetch(root.dataset.typingUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
    }).catch(() => {});
  });
  reply.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  list.lastElementChild?.scrollIntoView({ block: "nearest" });
  setTimeout(poll, 3000);
}
