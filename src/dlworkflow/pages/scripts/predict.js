// dlw serve's page: send picked or dropped images to POST /predict, draw the top-k bars,
// then ask POST /explain for the heatmap. Talks only to its own server.
(() => {
  const drop = document.getElementById("drop");
  if (!drop || !document.getElementById("files")) return;
  const answers = document.getElementById("answers"), status = document.getElementById("status");
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const form = (file) => { const data = new FormData(); data.append("files", file, file.name); return data; };
  const failure = async (response) => {
    try { return (await response.json()).error; } catch (e) { return response.statusText; }
  };
  async function show(file) {
    const row = el("div", "answer"), picture = el("img"), bars = el("div", "bars");
    row.dataset.input = file.name;
    picture.alt = file.name;
    picture.src = URL.createObjectURL(file);
    row.append(picture, bars);
    answers.prepend(row);
    bars.append(el("b", "name", file.name));
    const response = await fetch("predict?top_k=5", {method: "POST", body: form(file)});
    if (!response.ok) { bars.append(el("p", "error", await failure(response))); return; }
    const result = await response.json(), answer = result.predictions[0];
    const verdict = el("p", "verdict");
    verdict.append("predicted ", el("b", "class", answer.class),
                   ` (p = ${answer.probability.toFixed(3)}, ${result.latency_ms.toFixed(1)} ms)`);
    bars.append(verdict);
    for (const top of answer.top) {
      const bar = el("div", "bar"), track = el("div", "track"), fill = el("div", "fill");
      fill.style.width = `${(100 * top.probability).toFixed(1)}%`;
      track.append(fill);
      bar.append(el("span", "label", top.class), track, el("span", "value", top.probability.toFixed(3)));
      bars.append(bar);
    }
    if (!document.getElementById("heat").checked) return;
    const heat = await fetch("explain", {method: "POST", body: form(file)});
    if (!heat.ok) { bars.append(el("p", "error", `heatmap: ${await failure(heat)}`)); return; }
    const overlay = el("img", "heatmap");
    overlay.alt = `${heat.headers.get("X-Method")} for ${heat.headers.get("X-Class")}`;
    overlay.title = overlay.alt;
    overlay.src = URL.createObjectURL(await heat.blob());
    row.insertBefore(overlay, bars);
  }
  async function send(files) {
    status.textContent = `sending ${files.length} image(s)…`;
    await Promise.all([...files].map(show));
    status.textContent = "";
  }
  document.getElementById("files").addEventListener("change", (event) => send(event.target.files));
  // The webcam, where the browser allows it (a secure context such as localhost).
  const camera = document.getElementById("camera"), capture = document.getElementById("capture");
  const video = document.getElementById("video");
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) camera.hidden = false;
  camera.addEventListener("click", async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({video: true});
    } catch (error) { status.textContent = `camera: ${error.message}`; return; }
    video.hidden = false;
    capture.hidden = false;
  });
  capture.addEventListener("click", () => {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      const stamp = new Date().toISOString().slice(11, 19).replaceAll(":", "");
      send([new File([blob], `camera-${stamp}.png`, {type: "image/png"})]);
    }, "image/png");
  });
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    send(event.dataTransfer.files);
  });
})();
