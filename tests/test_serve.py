"""``dlw predict``, ``dlw serve`` and ``dlw ui`` with the real parts: trained runs, a real
uvicorn on a free port, httpx clients, concurrent requests, headless Chromium."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import httpx
import numpy as np
import pytest
from PIL import Image

import dlworkflow
from dlworkflow.errors import BadInput
from dlworkflow.experiments.predict import Predictor
from dlworkflow.serve.common import Limits
from dlworkflow.serve.predict_app import create_predict_app
from dlworkflow.serve.ui_app import create_ui_app
from tests.browser import browser_page
from tests.conftest import run_dlw
from tests.servers import running

CONV = [
    {"Conv2D": {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}},
    {"MaxPooling2D": {"pool_size": 2}},
    "Flatten",
    {"Dense": {"units": 10, "activation": "softmax"}},
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """Two tiny digits runs (a CNN and the default MLP) in one runs folder."""
    runs = tmp_path_factory.mktemp("runs")
    for name, model in (("cnn", {"layers": CONV}), ("mlp", None)):
        config = {
            "name": name,
            "data": {"source": "digits", "limit": 300},
            "train": {"epochs": 2, "learnability": False},
            **({"model": model} if model else {}),
        }
        dlworkflow.run(config, runs_dir=runs)
    return runs


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> Path:
    """Eight pictures of other sizes and modes than the run's 8×8 grey digits."""
    folder = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for index in range(8):
        pixels = rng.integers(0, 255, (12 + index, 10 + 2 * index, 3), np.uint8)
        Image.fromarray(pixels).save(folder / f"p{index}.png")
    return folder


@pytest.fixture(scope="module")
def server(runs: Path):
    """The CNN run served with a 20 ms gathering window and a 1 MiB body limit."""
    app = create_predict_app(runs / "cnn", Limits(max_body_bytes=2**20), max_wait=0.02)
    with running(app) as url:
        yield url, app


def reference(run: Path, picture: Path) -> np.ndarray:
    """The class probabilities computed by hand: Keras on the picture as digits are scaled."""
    import keras

    grey = Image.open(picture).convert("L").resize((8, 8), Image.Resampling.BILINEAR)
    raw = np.asarray(grey, np.float32) * (16.0 / 255.0)  # digits run 0–16
    model = keras.saving.load_model(run / "model.keras")
    return model.predict((raw / 16.0)[None, ..., None], verbose=0)[0]


def png_bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` pixels, in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def png(picture: Path) -> tuple[str, bytes, str]:
    return (picture.name, picture.read_bytes(), "image/png")


# -- dlw predict and dlworkflow.predict ---------------------------------------------------


def test_predict_cli_matches_the_api_and_a_hand_reference(runs: Path, pictures: Path, tmp_path):
    run = runs / "cnn"
    np.save(tmp_path / "batch.npy", np.full((2, 8, 8, 1), 8.0, np.float32))
    (tmp_path / "rows.csv").write_text("\n".join([",".join(["4"] * 64)] * 3) + "\n")
    inputs = [str(pictures), str(tmp_path / "batch.npy"), str(tmp_path / "rows.csv")]
    result = run_dlw(
        "predict", str(run), *inputs, "--json", "-k", "2", "--csv", "out.csv", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert len(printed) == 8 + 2 + 3 and all(len(a["top"]) == 2 for a in printed)
    api = dlworkflow.predict(run, inputs, top_k=2)
    assert [a["class"] for a in api] == [a["class"] for a in printed]
    np.testing.assert_allclose(
        [a["probability"] for a in api], [a["probability"] for a in printed], rtol=1e-5
    )
    by_name = {Path(a["input"]).name: a for a in printed}
    for picture in sorted(pictures.iterdir())[:3]:
        expected = reference(run, picture)
        answer = by_name[picture.name]
        assert answer["class"] == str(int(expected.argmax()))
        assert answer["probability"] == pytest.approx(float(expected.max()), rel=1e-4)
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0].startswith("input,class,probability,top1_class") and len(lines) == 14


def test_a_regression_run_answers_values_from_named_csv_columns(tmp_path: Path):
    """A header names the run's feature columns (in any order, extra columns ignored)."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    rows = ["a,b,y"] + [f"{a:.4f},{b:.4f},{2 * a - b:.4f}" for a, b in x]
    (tmp_path / "table.csv").write_text("\n".join(rows) + "\n")
    config = {
        "name": "reg",
        "data": {"source": f"csv:{tmp_path / 'table.csv'}", "options": {"target": "y"}},
        "model": {"layers": [{"Dense": {"units": 1}}]},
        "train": {"epochs": 2, "learnability": False},
    }
    run = dlworkflow.run(config, runs_dir=tmp_path / "runs").folder
    (tmp_path / "new.csv").write_text("note,b,a\nx,1.0,0.5\ny,-2.0,3.0\n")
    answers = dlworkflow.predict(run, tmp_path / "new.csv")
    record = Predictor.open(run).record
    model = keras.saving.load_model(run / "model.keras")
    by_hand = model.predict(
        record.preprocessing.apply(np.array([[0.5, 1.0], [3.0, -2.0]])), verbose=0
    )
    assert [a["value"] for a in answers] == pytest.approx(by_hand[:, 0].tolist(), rel=1e-5)
    with pytest.raises(BadInput, match="columns a missing"):
        dlworkflow.predict(run, [_written(tmp_path / "bad.csv", "b,c\n1,2\n")])


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_exif_orientation_is_applied(runs: Path):
    from dlworkflow.experiments.inputs import decode_image

    upright = Image.fromarray(np.random.default_rng(1).integers(0, 255, (16, 8), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned left; viewers turn it 90° clockwise
    tagged, plain = io.BytesIO(), io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(tagged, format="PNG", exif=exif)
    upright.save(plain, format="PNG")
    spec = Predictor.open(runs / "cnn").spec
    turned = decode_image(tagged.getvalue(), "tagged.png", spec)
    np.testing.assert_array_equal(turned, decode_image(plain.getvalue(), "plain.png", spec))


def write_bad(kind: str, folder: Path) -> Path:
    path = folder / {"npy-pickle": "x.npy", "csv-width": "x.csv", "csv-text": "y.csv"}.get(
        kind, f"{kind}.png"
    )
    if kind == "corrupt":
        path.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    elif kind == "bomb":
        path.write_bytes(png_bomb(40_000, 40_000))
    elif kind == "over-cap":
        path.write_bytes(png_bomb(5_000, 5_000))
    elif kind == "npy-pickle":
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif kind == "csv-width":
        path.write_text("1,2,3\n")
    elif kind == "csv-text":
        path.write_text(",".join(["x"] * 64) + "\n")
    return path


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("corrupt", "not a readable image"),
        ("bomb", "pixels"),
        ("over-cap", "over the cap"),
        ("npy-pickle", "not a readable .npy"),
        ("csv-width", "3 values; the model takes 64"),
        ("csv-text", "no named features"),
        ("missing", "no such file"),
    ],
)
def test_bad_inputs_are_refused_naming_the_file(runs: Path, tmp_path: Path, kind: str, says: str):
    path = write_bad(kind, tmp_path) if kind != "missing" else tmp_path / "gone.png"
    predictor = Predictor.open(runs / "cnn")
    with pytest.raises(BadInput, match=says) as caught:
        predictor.predict([path], max_pixels=16_000_000)
    assert path.name in str(caught.value) and "\n" not in str(caught.value)


def test_a_knn_transfer_run_is_refused(runs: Path, tmp_path: Path):
    """Its head is outside model.keras: the model gives features, which are no answer."""
    import shutil

    copy = tmp_path / "knn"
    shutil.copytree(runs / "mlp", copy)
    (copy / "transfer.json").write_text(json.dumps({"head": {"kind": "knn", "in_model": False}}))
    with pytest.raises(BadInput, match="k-NN head is kept outside model.keras"):
        Predictor.open(copy)


def test_predict_cli_bad_input_exits_2(runs: Path, tmp_path: Path):
    bomb = write_bad("bomb", tmp_path)
    result = run_dlw("predict", str(runs / "cnn"), str(bomb), cwd=tmp_path)
    assert result.returncode == 2 and "bomb.png" in result.stderr
    assert "Traceback" not in result.stderr


# -- dlw serve ----------------------------------------------------------------------------


def test_dlw_serve_command_serves_the_run(runs: Path, pictures: Path, tmp_path: Path):
    import subprocess
    import sys
    import time

    from tests.servers import free_port

    port = free_port()
    command = "from dlworkflow.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "serve", str(runs / "mlp"), "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        picture = sorted(pictures.iterdir())[0]
        got = httpx.post(url + "/predict", files=[("files", png(picture))], timeout=60).json()
        want = dlworkflow.predict(runs / "mlp", [picture])[0]
        assert got["predictions"][0]["class"] == want["class"]
        assert got["predictions"][0]["probability"] == pytest.approx(want["probability"], rel=1e-5)
    finally:
        process.terminate()
        assert process.wait(timeout=60) in (0, -15)


def test_concurrent_requests_are_batched_and_equal_dlw_predict(server, runs, pictures):
    url, app = server
    files = sorted(pictures.iterdir())
    expected = {a["input"]: a for a in dlworkflow.predict(runs / "cnn", files, top_k=3)}
    calls_before = app.state.batcher.stats.calls
    jobs = [files[i % len(files)] for i in range(32)]
    start = Barrier(len(jobs))

    def ask(picture: Path) -> tuple[Path, httpx.Response]:
        with httpx.Client(base_url=url, timeout=60) as client:
            start.wait()
            return picture, client.post("/predict", files=[("files", png(picture))])

    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(ask, jobs))
    assert [response.status_code for _, response in answers] == [200] * len(jobs)
    for picture, response in answers:
        (got,) = response.json()["predictions"]
        want = expected[str(picture)]
        assert got["class"] == want["class"] and got["input"] == picture.name
        assert got["probability"] == pytest.approx(want["probability"], rel=1e-5)
        assert response.json()["latency_ms"] > 0
    stats = app.state.batcher.stats
    assert stats.calls - calls_before < len(jobs) and stats.largest > 1  # gathered


def test_json_and_csv_bodies(server):
    url, _ = server
    sample = np.linspace(0, 16, 64).reshape(8, 8).tolist()
    with httpx.Client(base_url=url, timeout=60) as client:
        by_json = client.post("/predict", json={"inputs": [sample, sample]}).json()
        flat = ",".join(str(v) for row in sample for v in row)
        by_csv = client.post(
            "/predict", content=f"{flat}\n", headers={"content-type": "text/csv"}
        ).json()
    assert len(by_json["predictions"]) == 2
    assert by_csv["predictions"][0]["class"] == by_json["predictions"][0]["class"]


def test_explain_model_health_and_docs(server, pictures):
    url, _ = server
    picture = sorted(pictures.iterdir())[0]
    with httpx.Client(base_url=url, timeout=60) as client:
        heat = client.post("/explain", files=[("files", png(picture))])
        assert heat.status_code == 200 and heat.content.startswith(b"\x89PNG")
        assert heat.headers["x-method"] == "gradcam" and heat.headers["x-class"] in map(
            str, range(10)
        )
        assert Image.open(io.BytesIO(heat.content)).size == (224, 224)
        described = client.get("/model").json()
        assert described["input_shape"] == [8, 8, 1] and described["classes"][3] == "3"
        assert [layer["type"] for layer in described["table"]["layers"]][0] == "Conv2D"
        assert client.get("/health").json()["status"] == "ok"
        assert "/predict" in client.get("/openapi.json").json()["paths"]


BAD_REQUESTS = [
    ("wrong type", {"content": b"<x/>", "headers": {"content-type": "application/xml"}}, 415),
    ("not an image part", {"files": [("files", ("a.txt", b"hello", "text/plain"))]}, 415),
    ("corrupt image", {"files": [("files", ("a.png", b"\x89PNGbroken", "image/png"))]}, 400),
    ("bomb", {"files": [("files", ("b.png", png_bomb(40_000, 40_000), "image/png"))]}, 400),
    ("huge upload", {"files": [("files", ("h.png", b"\0" * (2 * 2**20), "image/png"))]}, 413),
    ("bad JSON", {"content": b"{", "headers": {"content-type": "application/json"}}, 400),
    ("wrong shape", {"json": [[1, 2, 3]]}, 400),
    ("NaN", {"content": b"[NaN]", "headers": {"content-type": "application/json"}}, 400),
    ("no files", {"data": {"x": "1"}, "files": []}, 415),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "request_", "status"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS]
)
def test_bad_requests_get_4xx_with_one_line(server, case, request_, status):
    url, app = server
    calls = app.state.batcher.stats.calls
    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.post("/predict", **request_)
        assert response.status_code == status, response.text
        message = response.json()["error"]
        assert message and "\n" not in message
        assert client.get("/health").status_code == 200  # still serving
    assert app.state.batcher.stats.calls == calls  # the model never ran


def test_the_page_shows_the_prediction_and_heatmap(server, pictures):
    url, _ = server
    picture = sorted(pictures.iterdir())[2]
    with httpx.Client(base_url=url, timeout=60) as client:
        want = client.post("/predict", files=[("files", png(picture))]).json()["predictions"][0]
    with browser_page() as tab:
        errors = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.goto(url + "/")
        tab.set_input_files("#files", str(picture))
        tab.wait_for_selector(".answer .class")
        assert tab.inner_text(".answer .class") == want["class"]
        assert len(tab.query_selector_all(".answer .bar")) == 5
        tab.wait_for_selector(".answer img.heatmap")
        assert errors == []  # nothing refused by the page's policy


def test_the_page_captures_from_the_camera(server):
    """Chromium's fake camera stands in for a webcam."""
    from tests.browser import browser_page, start_camera

    url, _ = server
    with browser_page(camera=True) as tab:
        start_camera(tab, url, "#capture")
        tab.click("#capture")
        tab.wait_for_selector(".answer .class")
        assert tab.get_attribute(".answer", "data-input").startswith("camera-")
        assert tab.inner_text(".answer .class") in map(str, range(10))


# -- dlw ui -------------------------------------------------------------------------------


def test_ui_lists_runs_with_status_and_refuses_traversal(runs: Path, tmp_path: Path):
    live = runs / "training-now"
    live.mkdir(exist_ok=True)
    (live / "config.yaml").write_text("name: training-now\ndata: {source: digits}\n")
    (live / "history.csv").write_text("epoch,loss,val_loss\n1,2.0,2.1\n2,1.5,1.7\n")
    (live / ".lock").write_text(str(os.getpid()))
    dead = runs / "killed"
    dead.mkdir(exist_ok=True)
    (dead / "config.yaml").write_text("name: killed\n")
    (dead / ".lock").write_text("999999999")
    try:
        with running(create_ui_app(runs)) as url, httpx.Client(base_url=url, timeout=120) as c:
            rows = {row["name"]: row for row in c.get("/api/runs").json()}
            assert {n: r["status"] for n, r in rows.items()} == {
                "cnn": "finished", "mlp": "finished", "training-now": "running",
                "killed": "cut off",
            }  # fmt: skip
            assert rows["cnn"]["params"] > 0 and rows["cnn"]["epochs"] == 2
            assert rows["training-now"]["best_val_loss"] == 1.7
            curves = c.get("/runs/training-now/history").json()
            assert curves["status"] == "running" and curves["history"]["loss"] == [2.0, 1.5]
            assert c.get("/runs/cnn/report").text.startswith("<!DOCTYPE html>")
            for bad in ("/runs/..%2F..%2Fetc/report", "/runs/nope/report", "/runs/%2E%2E/history"):
                response = c.get(bad)
                assert response.status_code == 404 and "error" in response.json()
            assert c.get("/compare", params={"run": ["cnn", "/etc"]}).status_code == 404
    finally:
        for folder in (live, dead):
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()
    assert sorted(p.name for p in runs.iterdir()) == ["cnn", "mlp"]  # nothing written


def test_ui_page_ticks_two_runs_and_opens_their_comparison(runs: Path):
    with running(create_ui_app(runs)) as url, browser_page() as tab:
        tab.goto(url + "/")
        assert tab.is_disabled("#compare")
        tab.fill("#filter", "cnn")
        assert tab.is_hidden("tr[data-name='mlp']")
        tab.fill("#filter", "")
        tab.check("input.pick[value='cnn']")
        tab.check("input.pick[value='mlp']")
        tab.click("#compare")
        tab.wait_for_selector("#run-table", timeout=120_000)
        assert "Comparison: 2 runs" in tab.inner_text("h1")
        names = tab.inner_text("#run-table")
        assert "cnn" in names and "mlp" in names


@pytest.fixture
def spare(runs: Path):
    """A copy of the MLP run to rename and delete; whatever is left of it goes after."""
    import shutil

    shutil.copytree(runs / "mlp", runs / "spare")
    yield runs / "spare"
    for name in ("spare", "kept"):
        shutil.rmtree(runs / name, ignore_errors=True)


def test_ui_changes_need_the_key_and_an_idle_run(runs: Path, spare: Path):
    with running(create_ui_app(runs)) as url, httpx.Client(base_url=url) as client:
        assert client.delete("/runs/spare", headers={"X-API-Key": "k"}).status_code == 403
    key = {"X-API-Key": "k3y"}
    with running(create_ui_app(runs, "k3y")) as url, httpx.Client(base_url=url) as client:
        assert client.delete("/runs/spare").status_code == 401
        assert client.delete("/runs/spare", headers={"X-API-Key": "wrong"}).status_code == 401
        for new, status in (("../escaped", 400), ("a/b", 400), ("cnn", 409)):
            response = client.post("/runs/spare/rename", json={"new": new}, headers=key)
            assert response.status_code == status, response.text
        assert client.delete("/runs/..%2Fcnn", headers=key).status_code == 404
        (spare / ".lock").write_text(str(os.getpid()))
        assert client.delete("/runs/spare", headers=key).status_code == 409
        (spare / ".lock").unlink()
        assert sorted(p.name for p in runs.iterdir()) == ["cnn", "mlp", "spare"]  # untouched
        renamed = client.post("/runs/spare/rename", json={"new": "kept"}, headers=key)
        assert renamed.json() == {"old": "spare", "new": "kept"}
        assert client.delete("/runs/kept", headers=key).json() == {"deleted": "kept"}
    assert sorted(p.name for p in runs.iterdir()) == ["cnn", "mlp"]


def test_ui_page_renames_and_deletes_after_confirming(runs: Path, spare: Path):
    with running(create_ui_app(runs, "k3y")) as url, browser_page() as tab:
        answers = iter(["kept", None])  # the prompt's new name, then the confirmation
        tab.on("dialog", lambda dialog: dialog.accept(next(answers) or ""))
        tab.goto(url + "/")
        tab.fill("#key", "k3y")
        tab.click("button.rename[data-name='spare']")
        tab.wait_for_selector("tr[data-name='kept']")
        tab.fill("#key", "k3y")
        tab.click("button.delete[data-name='kept']")
        tab.wait_for_selector("tr[data-name='kept']", state="detached")
    assert sorted(p.name for p in runs.iterdir()) == ["cnn", "mlp"]
