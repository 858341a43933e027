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
  // Delete and rename (only on a server started with an API key), each confirmed first.
  const key = document.getElementById("key"), note = document.getElementById("change-status");
  async function change(method, path, body) {
    const response = await fetch(path, {
      method, body: body && JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-API-Key": key ? key.value : ""},
    });
    if (response.ok) { window.location.reload(); return; }
    note.textContent = (await response.json()).error;
  }
  table.addEventListener("click", (event) => {
    const target = event.target, name = target.dataset && target.dataset.name;
    if (!name) return;
    const path = `runs/${name.split("/").map(encodeURIComponent).join("/")}`;
    if (target.classList.contains("delete") && window.confirm(`Delete ${name} and all its files?`)) {
      change("DELETE", path);
    } else if (target.classList.contains("rename")) {
      const renamed = window.prompt(`New name for ${name}:`, name.split("/").pop());
      if (renamed) change("POST", `${path}/rename`, {new: renamed});
    }
  });
  button.addEventListener("click", () => {
    const query = ticked().map((name) => `run=${encodeURIComponent(name)}`).join("&");
    window.location.href = `compare?${query}`;
  });
})();
