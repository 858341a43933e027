// dlw ui's run table: filter rows by text, tick finished runs and open their comparison.
(() => {
  const table = document.getElementById("runs"), filter = document.getElementById("filter");
  const button = document.getElementById("compare");
  if (!table || !filter || !button) return;
  const ticked = () => [...table.querySelectorAll("input.pick:checked")].map((box) => box.value);
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of table.tBodies[0].rows) {
      const text = row.textContent.toLowerCase();
      row.hidden = !words.every((word) => text.includes(word));
    }
  });
  table.addEventListener("change", () => { button.disabled = ticked().length < 2; });
  button.addEventListener("click", () => {
    const query = ticked().map((name) => `run=${encodeURIComponent(name)}`).join("&");
    window.location.href = `compare?${query}`;
  });
})();
