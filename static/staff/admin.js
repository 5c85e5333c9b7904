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
