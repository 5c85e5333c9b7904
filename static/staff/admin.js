// Staff admin pages on a phone: a wide table (a change list, the rotation timeline) becomes one
// card per row, each value under its column's name. The names come from the table's header,
// copied onto each cell as data-label for static/staff/admin.css; nothing else changes.
const label = (table) => {
  const headers = [...table.querySelectorAll("thead th")].map((th) => th.innerText.trim());
  table.querySelectorAll("tbody tr").forEach((row) => {
    [...row.children].forEach((cell, index) => {
      const name = headers[index];
      if (name && !cell.classList.contains("action-checkbox")) cell.dataset.label = name;
    });
  });
};
document.querySelectorAll("#result_list, table.stack-on-phone").forEach(label);

// A change list is sorted from its header, which a phone does not show: its sortable columns
// are offered again as a "Sort by" row above the cards (static/staff/admin.css shows it on
// phones only). Each link is the header's own, so the ordering and its URL stay Django's.
const sortBar = (table) => {
  const links = [...table.querySelectorAll("thead th.sortable")].flatMap((th) => {
    const header = th.querySelector(".text a");
    if (!header) return [];
    const name = header.textContent.trim();
    const link = document.createElement("a");
    link.href = header.getAttribute("href");
    link.textContent = name;
    // the column the list is sorted by first (Django keeps earlier choices as later keys)
    const priority = th.querySelector(".sortpriority")?.textContent.trim() || "1";
    if (th.classList.contains("sorted") && priority === "1") {
      const direction = th.classList.contains("descending") ? "descending" : "ascending";
      link.textContent += direction === "descending" ? " ↓" : " ↑";
      link.setAttribute("aria-current", "true");
      link.setAttribute("aria-label", `${name}, sorted ${direction}`);
    }
    return [link];
  });
  if (!links.length) return;
  const bar = document.createElement("nav");
  bar.className = "phone-sort";
  bar.setAttribute("aria-label", "Sort the list");
  const title = document.createElement("span");
  title.textContent = "Sort by";
  bar.append(title, ...links);
  table.before(bar);
};
document.querySelectorAll("#result_list").forEach(sortBar);

// A tabular inline (a brand's messengers) labels its inputs only by the column header, which
// screen readers do not connect to them: each field is named after its column.
const nameInlineFields = (table) => {
  if (!table) return;
  const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  table.querySelectorAll("tbody tr").forEach((row) => {
    [...row.children].forEach((cell, index) => {
      cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach((field) => {
        if (field.labels?.length || field.hasAttribute("aria-label")) return;
        const name = headers[index] || (cell.classList.contains("delete") ? "Delete?" : "");
        if (name) field.setAttribute("aria-label", name);
      });
    });
  });
};
document.querySelectorAll(".inline-group .tabular table").forEach(nameInlineFields);
document.addEventListener("formset:added", (event) => nameInlineFields(event.target.closest("table")));
