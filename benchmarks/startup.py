#!/usr/bin/env python
"""Start-up of the commands that do not train, each a fresh process, against baselines.

Commands: ``dlw report RUN``, ``dlw compare RUN RUN2``, ``dlw data`` on the course's
CSV and ``dlw gallery identify IMG`` (dlib embedder, a 2-person ORL gallery). Baselines:
``python -c "import keras"`` (what any of them would pay for opening the backend) and a
raw dlib script doing what identify does for one image (load the three models, detect,
align, 128-d descriptor). Every repeat runs all of them in turn, the order reversed on
odd repeats; medians and minimums of the wall times, and the ratios.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/startup.py [--repeats 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

DLW = [sys.executable, "-c", "from dlworkflow.cli import main; main()"]
RAW_DLIB = """
import sys, dlib, numpy as np
from PIL import Image
from dlworkflow.gallery.embedders import dlib_models
folder = dlib_models()
detector = dlib.get_frontal_face_detector()
landmarks = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
resnet = dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat"))
image = np.asarray(Image.open(sys.argv[1]).convert("RGB"))
for rect in detector(image, 0):
    chip = dlib.get_face_chip(image, landmarks(image, rect), 150, 0.25)
    print(np.asarray(resnet.compute_face_descriptor(chip))[:2])
"""


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[3:])} failed: {result.stderr.strip()[-500:]}")
    return seconds


def setup(work: Path) -> dict[str, list[str]]:
    """Two tiny finished runs and a 2-person gallery, made once outside the clock."""
    home = Path(os.environ["DLW_DATA_HOME"])
    orl = home / "faces_att"
    for seed in (1, 2):
        config = work / f"tiny{seed}.yaml"
        config.write_text(
            f"name: tiny{seed}\nseed: {seed}\ndata: {{limit: 300, seed: 0}}\ntrain: {{epochs: 1}}\n"
        )
        timed([*DLW, "run", str(config), "--runs-dir", str(work / "runs")], work)
    timed([*DLW, "gallery", "init"], work)
    timed([*DLW, "gallery", "enroll", "ann", str(orl / "s1/1.pgm"), str(orl / "s1/2.pgm")], work)
    timed([*DLW, "gallery", "enroll", "bob", str(orl / "s2/1.pgm")], work)
    runs = [str(work / "runs" / "tiny1"), str(work / "runs" / "tiny2")]
    return {
        "import keras": [sys.executable, "-c", "import keras"],
        "dlw report RUN": [*DLW, "report", runs[0]],
        "dlw compare RUN RUN2": [*DLW, "compare", *runs, "--out", str(work / "cmp")],
        "dlw data CSV": [
            *DLW,
            "data",
            f"csv:{home / 'course/L2/dataset.csv'}",
            "-o",
            "target=Cho vay",
            "--out",
            str(work / "survey"),
        ],
        "raw dlib script": [sys.executable, "-c", RAW_DLIB, str(orl / "s1/5.pgm")],
        "dlw gallery identify": [*DLW, "gallery", "identify", str(orl / "s1/5.pgm")],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    with tempfile.TemporaryDirectory(prefix="dlw-startup-") as tmp:
        work = Path(tmp)
        commands = setup(work)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for repeat in range(args.repeats):
            names = list(commands) if repeat % 2 == 0 else list(commands)[::-1]
            for name in names:
                times[name].append(timed(commands[name], work))
            print(f"repeat {repeat + 1} done, load average {os.getloadavg()[0]:.1f}")
    print(f"\n{'seconds':<24}{'median':>8}{'min':>8}   all")
    for name, values in times.items():
        listed = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:<24}{statistics.median(values):8.2f}{min(values):8.2f}   {listed}")
    keras_s = statistics.median(times["import keras"])
    print("\nratios (medians)")
    for name in ("dlw report RUN", "dlw compare RUN RUN2", "dlw data CSV"):
        print(f"{name} / import keras: {statistics.median(times[name]) / keras_s:.2f}")
    ratio = statistics.median(times["dlw gallery identify"]) / statistics.median(
        times["raw dlib script"]
    )
    print(f"dlw gallery identify / raw dlib script: {ratio:.2f} (target <= 1.1)")


if __name__ == "__main__":
    main()
