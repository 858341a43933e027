"""``dlw serve``'s dynamic batching against a bare FastAPI endpoint calling ``model.predict``
per request, and ``dlw gallery serve``'s ``/identify`` against the in-process pipeline.

Both prediction servers run the same MNIST CNN run in their own uvicorn process; an
asyncio client sends single 28×28 PNGs at concurrency 1, 8 and 32 for a fixed time,
the two sides alternating, and prints requests/s, p50 and p95 latency and the ratios.

    DLW_DATA_HOME=/work/shared/datasets PYTHONPATH=src python benchmarks/serve.py
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import FastAPI, File, UploadFile  # the baseline's names, resolved at module level

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import check_mnist, mnist_cnn_config  # noqa: E402

SIDES = ("baseline", "batched")


def baseline_app(run: str):
    """The naive server: one ``model.predict`` per request (FastAPI's thread pool)."""
    from dlworkflow.experiments.inputs import decode_image
    from dlworkflow.experiments.predict import Predictor

    predictor = Predictor.open(run)
    app = FastAPI()

    @app.post("/predict")
    def predict(files: Annotated[list[UploadFile], File()]) -> dict:
        raw = np.stack([decode_image(f.file.read(), f.filename, predictor.spec) for f in files])
        y = predictor.model.predict(predictor.prepare(raw), verbose=0)
        names = [f.filename or "" for f in files]
        return {"predictions": predictor.answers(names, predictor.finish(y))}

    return app


def serve(side: str, run: str, port: int) -> None:
    import uvicorn

    if side == "baseline":
        app = baseline_app(run)
    else:
        from dlworkflow.serve.predict_app import create_predict_app

        app = create_predict_app(run, max_batch=64, max_wait=0.002)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(side: str, run: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", side, "--run", run, "--port", str(port)],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(url + "/docs", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{side} server did not start")


async def load(url: str, images: list[bytes], concurrency: int, seconds: float) -> list[float]:
    """Latencies (s) of requests sent by ``concurrency`` clients for ``seconds``."""
    import httpx

    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def worker(offset: int) -> None:
            index = offset
            while time.perf_counter() < stop:
                body = images[index % len(images)]
                began = time.perf_counter()
                response = await client.post(
                    "/predict", files=[("files", ("digit.png", body, "image/png"))]
                )
                response.raise_for_status()
                latencies.append(time.perf_counter() - began)
                index += concurrency

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies


def mnist_pngs(count: int) -> list[bytes]:
    from PIL import Image

    x = np.load(Path(os.environ["DLW_DATA_HOME"]) / "mnist.npz")["x_test"][:count]
    pngs = []
    for image in x:
        buffer = io.BytesIO()
        Image.fromarray(image.astype(np.uint8)).save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    return pngs


def train_run(folder: Path) -> str:
    import dlworkflow

    config = mnist_cnn_config(epochs=1, limit=2000)
    config["train"]["learnability"] = False
    return str(dlworkflow.run(config, runs_dir=folder).folder)


def bench_predict(run: str, levels: list[int], seconds: float, rounds: int) -> None:
    images = mnist_pngs(256)
    servers = {side: start(side, run) for side in SIDES}
    try:
        for _, url in servers.values():  # warm up: traces, thread pools, connections
            asyncio.run(load(url, images, 8, 1.0))
        print(f"{'concurrency':>11} {'side':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
        for concurrency in levels:
            measured: dict[str, list[float]] = {side: [] for side in SIDES}
            counted = {side: 0.0 for side in SIDES}
            for _ in range(rounds):
                for side in SIDES:  # alternating, so drift hits both
                    latencies = asyncio.run(load(servers[side][1], images, concurrency, seconds))
                    measured[side] += latencies
                    counted[side] += len(latencies) / seconds / rounds
            for side in SIDES:
                p50, p95 = np.percentile(measured[side], [50, 95]) * 1000
                print(f"{concurrency:>11} {side:>9} {counted[side]:>8.1f} {p50:>8.2f} {p95:>8.2f}")
            base_p95 = np.percentile(measured["baseline"], 95)
            ratio_p95 = np.percentile(measured["batched"], 95) / base_p95
            print(
                f"{concurrency:>11} {'ratio':>9} {counted['batched'] / counted['baseline']:>7.2f}x"
                f" {'':>8} {ratio_p95:>7.2f}x  (batched / baseline)"
            )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)


def bench_identify(folder: Path, repeats: int) -> None:
    """Server latency of /identify vs identify_files in process, and req/s at concurrency 8."""
    import httpx
    from tests.servers import running

    from dlworkflow.gallery import Gallery
    from dlworkflow.gallery.embedders import DlibFaces
    from dlworkflow.gallery.operations import enroll_files, identify_files
    from dlworkflow.serve.gallery_app import create_gallery_app

    orl = Path(os.environ["DLW_DATA_HOME"]) / "faces_att"
    embedder = DlibFaces()
    db = folder / "faces.db"
    gallery = Gallery.create(db, embedder.name, embedder.spec(), embedder.dim, 0.6)
    for person in range(1, 11):
        enroll_files(
            gallery, embedder, f"s{person}", [orl / f"s{person}" / f"{i}.pgm" for i in (1, 2)]
        )
    paths = [orl / f"s{p}" / "5.pgm" for p in range(1, 11)]
    probes = [path.read_bytes() for path in paths]
    local, served = [], []
    with running(create_gallery_app(db)) as url, httpx.Client(base_url=url, timeout=60) as client:
        client.post("/identify", files=[("files", ("p.pgm", probes[0], "image/x-pgm"))])
        for _ in range(repeats):
            for index, probe in enumerate(probes):  # alternating
                began = time.perf_counter()
                identify_files(gallery, embedder, [paths[index]])  # reads and decodes too
                local.append(time.perf_counter() - began)
                began = time.perf_counter()
                response = client.post(
                    "/identify", files=[("files", ("p.pgm", probe, "image/x-pgm"))]
                )
                response.raise_for_status()
                served.append(time.perf_counter() - began)

        async def burst(seconds: float = 5.0) -> float:
            done = 0
            stop = time.perf_counter() + seconds
            async with httpx.AsyncClient(base_url=url, timeout=60) as aclient:

                async def worker(offset: int) -> None:
                    nonlocal done
                    while time.perf_counter() < stop:
                        body = probes[(offset + done) % len(probes)]
                        files = [("files", ("p.pgm", body, "image/x-pgm"))]
                        (await aclient.post("/identify", files=files)).raise_for_status()
                        done += 1

                await asyncio.gather(*(worker(i) for i in range(8)))
            return done / seconds

        rate = asyncio.run(burst())
    gallery.close()
    local_ms, served_ms = np.median(local) * 1000, np.median(served) * 1000
    print(f"/identify (ORL, 10 people enrolled): identify_files in process {local_ms:.1f} ms, "
          f"server {served_ms:.1f} ms (median), ratio {served_ms / local_ms:.2f}x; "
          f"{rate:.1f} requests/s at concurrency 8")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--run", help="A finished MNIST run (default: train one, 1 epoch).")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=3.0, help="Per side, level and round.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-predict", action="store_true")
    parser.add_argument("--skip-identify", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.run, args.port)
        return
    check_mnist()
    with tempfile.TemporaryDirectory() as scratch:
        if not args.skip_predict:
            run = args.run or train_run(Path(scratch))
            bench_predict(run, args.levels, args.seconds, args.rounds)
        if not args.skip_identify:
            bench_identify(Path(scratch), repeats=3)


if __name__ == "__main__":
    main()
