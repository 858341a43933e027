// Click a header to sort its table by that column (numbers by value, missing last).
document.querySelectorAll("table.sortable th").forEach((th) => {
  th.addEventListener("click", () => {
    const column = th.cellIndex, body = th.closest("table").tBodies[0];
    const ascending = th.dataset.order !== "asc";
    th.parentElement.querySelectorAll("th").forEach((h) => delete h.dataset.order);
    th.dataset.order = ascending ? "asc" : "desc";
    const key = (row) => {
      const cell = row.cells[column], raw = cell.dataset.sort ?? cell.textContent.trim();
      return raw === "" ? null : (isNaN(Number(raw)) ? raw : Number(raw));
    };
    const rows = [...body.rows].sort((a, b) => {
      const x = key(a), y = key(b);
      if (x === null || y === null) return (x === null) - (y === null);
      const order = typeof x === "number" && typeof y === "number"
        ? x - y : String(x).localeCompare(String(y), undefined, {numeric: true});
      return ascending ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
  });
});
