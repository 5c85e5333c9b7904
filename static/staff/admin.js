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
