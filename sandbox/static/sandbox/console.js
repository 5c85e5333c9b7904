// Agent console: refresh the queue now and then; poll a conversation's new messages.
const root = document.querySelector(".console");

if (root && root.dataset.autorefresh) {
  const seconds = Number(root.dataset.autorefresh) || 15;
  setTimeout(() => window.location.reload(), seconds * 1000);
}

if (root && root.dataset.messagesUrl) {
  const list = document.getElementById("messages");
  let lastId = Math.max(0, ...[...list.querySelectorAll("[data-id]")].map((li) => Number(li.dataset.id)));

  const render = (message) => {
    const item = document.createElement("li");
    item.className = `msg ${message.sender}`;
    item.dataset.id = message.id;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = message.sender === "agent" ? message.agent || "Agent" : "Customer";
    item.append(who, " ", message.body);
    list.append(item);
    lastId = Math.max(lastId, message.id);
  };

  const poll = async () => {
    try {
      const response = await fetch(`${root.dataset.messagesUrl}?after=${lastId}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        data.messages.filter((m) => m.id > lastId).forEach(render);
      }
    } catch {
      // try again at the next tick
    }
    setTimeout(poll, 3000);
  };
  setTimeout(poll, 3000);
}
