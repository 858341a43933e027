// dlw ui's live curves: poll the run's history and draw loss and metrics per epoch.
(() => {
  const status = document.getElementById("live-status");
  if (!status || !document.getElementById("loss")) return;
  const colours = ["#3b6fd8", "#d8733b", "#2f9e57", "#b03bd8", "#8a8f98", "#c9a227"];
  function draw(id, series) {
    const canvas = document.getElementById(id), context = canvas.getContext("2d");
    const legend = document.getElementById(`${id}-legend`);
    context.clearRect(0, 0, canvas.width, canvas.height);
    legend.replaceChildren();
    const values = Object.values(series).flat().filter(Number.isFinite);
    if (!values.length) return;
    const low = Math.min(...values), high = Math.max(...values), span = high - low || 1;
    const epochs = Math.max(...Object.values(series).map((s) => s.length));
    const pad = 40, width = canvas.width - 2 * pad, height = canvas.height - 2 * pad;
    context.strokeStyle = "#c3cad6";
    context.strokeRect(pad, pad, width, height);
    context.fillStyle = "#5a6475";
    context.font = "12px sans-serif";
    context.fillText(high.toPrecision(3), 2, pad + 4);
    context.fillText(low.toPrecision(3), 2, pad + height);
    context.fillText(`epoch ${epochs}`, pad + width - 50, pad + height + 16);
    Object.entries(series).forEach(([name, points], index) => {
      context.strokeStyle = colours[index % colours.length];
      context.lineWidth = 2;
      context.beginPath();
      points.forEach((value, epoch) => {
        const x = pad + (epochs > 1 ? (epoch / (epochs - 1)) * width : width / 2);
        const y = pad + height - ((value - low) / span) * height;
        if (epoch === 0) context.moveTo(x, y); else context.lineTo(x, y);
      });
      context.stroke();
      const key = document.createElement("span");
      key.style.color = context.strokeStyle;
      key.textContent = `${name}: ${points.length ? points[points.length - 1].toPrecision(4) : "—"}`;
      legend.append(key);
    });
  }
  async function poll() {
    const response = await fetch("history");
    if (!response.ok) { status.textContent = "this run is gone"; return; }
    const result = await response.json(), history = result.history;
    const pick = (test) => Object.fromEntries(Object.entries(history).filter(([name]) => test(name)));
    draw("loss", pick((name) => name.endsWith("loss")));
    draw("metric", pick((name) => !name.endsWith("loss") && name !== "lr" && name !== "epoch_seconds"));
    const epochs = (history.loss || []).length;
    status.textContent = `${result.status}: ${epochs} epoch(s)`;
    if (result.status === "running") setTimeout(poll, 1000 * Number(status.dataset.poll));
  }
  poll();
})();
