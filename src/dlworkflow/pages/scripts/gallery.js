// dlw gallery serve's page: enroll, identify with boxes drawn, identities, attendance,
// calibration. Talks only to its own server; the API key goes in the X-API-Key header.
(() => {
  if (!document.getElementById("enroll")) return;
  const $ = (id) => document.getElementById(id);
  const headers = () => ($("key").value ? {"X-API-Key": $("key").value} : {});
  const failure = async (response) => {
    try { return (await response.json()).error; } catch (e) { return response.statusText; }
  };
  const fill = (table, rows) => {
    const body = $(table).tBodies[0];
    body.replaceChildren(...rows.map((cells) => {
      const row = document.createElement("tr");
      cells.forEach((value, index) => {
        const cell = document.createElement("td");
        cell.textContent = value;
        if (typeof value === "string" && index < 2) cell.className = "text";
        row.append(cell);
      });
      return row;
    }));
  };
  async function refresh() {
    const [identities, attendance, calibration] = await Promise.all([
      fetch("identities").then((r) => r.json()),
      fetch(`attendance${$("since").value ? `?since=${$("since").value}` : ""}`).then((r) => r.json()),
      fetch("calibration").then((r) => r.json()),
    ]);
    fill("identities", identities.map((i) => [i.name, i.samples]));
    fill("attendance", attendance.map((a) => [a.day, a.name, a.first_seen, a.last_seen, a.sightings,
                                              a.best_distance]));
    const far = calibration.far === null || calibration.far === undefined ? "—" : calibration.far;
    const tar = calibration.tar === null || calibration.tar === undefined ? "—" : calibration.tar;
    $("calibration").textContent = `threshold ${Number(calibration.threshold).toFixed(4)} (${calibration.method}), ` +
      `target FAR ${calibration.target_far}, measured FAR ${far}, TAR ${tar}, ` +
      `${calibration.genuine_pairs} genuine / ${calibration.impostor_pairs} impostor pairs. ${calibration.note || ""}`;
  }
  async function enroll(files) {
    const data = new FormData();
    data.append("name", $("enroll-name").value);
    for (const file of files) data.append("files", file, file.name);
    const response = await fetch("enroll", {method: "POST", body: data, headers: headers()});
    const status = $("enroll-status");
    if (response.ok) {
      const result = await response.json();
      status.className = "ok";
      status.textContent = `enrolled ${result.name}: ${result.samples} sample(s)`;
    } else {
      status.className = "error";
      status.textContent = await failure(response);
    }
    refresh();
  }
  async function identify(file) {
    const data = new FormData();
    data.append("files", file, file.name);
    const log = $("identify-log").checked;
    const response = await fetch(`identify?k=3&log=${log}`, {method: "POST", body: data, headers: headers()});
    const status = $("identify-status");
    if (!response.ok) { status.className = "error"; status.textContent = await failure(response); return; }
    const faces = (await response.json()).faces;
    status.className = "ok";
    status.textContent = `${faces.length} face(s): ` +
      faces.map((f) => f.name ?? "unknown").join(", ");
    const picture = new Image();
    picture.src = URL.createObjectURL(file);
    await picture.decode();
    const canvas = $("picture"), context = canvas.getContext("2d");
    canvas.width = picture.naturalWidth;
    canvas.height = picture.naturalHeight;
    context.drawImage(picture, 0, 0);
    context.lineWidth = Math.max(2, canvas.width / 200);
    context.font = `${Math.max(12, canvas.width / 30)}px sans-serif`;
    faces.forEach((face) => {
      const [left, top, right, bottom] = face.box;
      context.strokeStyle = face.name ? "#1b7a32" : "#b00020";
      context.strokeRect(left, top, right - left, bottom - top);
      context.fillStyle = context.strokeStyle;
      context.fillText(face.name ?? "unknown", left, Math.max(12, top - 4));
    });
    fill("faces", faces.map((f, index) => [index + 1, f.name ?? "unknown", f.distance.toFixed(4),
                                           f.box.join(",")]));
    if (log) refresh();
  }
  $("enroll").addEventListener("submit", (event) => {
    event.preventDefault();
    enroll($("enroll-files").files);
  });
  $("identify").addEventListener("submit", (event) => {
    event.preventDefault();
    identify($("identify-files").files[0]);
  });
  // The webcam, where the browser allows it: a captured frame is enrolled or identified.
  const video = $("video");
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) $("camera").hidden = false;
  $("camera").addEventListener("click", async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({video: true});
    } catch (error) { $("identify-status").textContent = `camera: ${error.message}`; return; }
    video.hidden = $("capture-enroll").hidden = $("capture-identify").hidden = false;
  });
  const frame = () => new Promise((resolve) => {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    const stamp = new Date().toISOString().slice(11, 19).replaceAll(":", "");
    canvas.toBlob((blob) => resolve(new File([blob], `camera-${stamp}.png`, {type: "image/png"})),
                  "image/png");
  });
  $("capture-enroll").addEventListener("click", async () => enroll([await frame()]));
  $("capture-identify").addEventListener("click", async () => identify(await frame()));
  $("attendance-form").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  refresh();
})();
