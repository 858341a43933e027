#!/usr/bin/env python
"""Transfer learning: feature-extraction speed per backbone, and the measured example.

Default: images per second through each Keras Applications backbone (untrained weights:
speed does not depend on them) at its own input size, from the shared flowers17 images
resized inside the model, against VGG16 (the notes' backbone) as the baseline, and the
time of a cache hit against a fresh extraction.

``--example``: the offline comparison for the README. A small CNN is pretrained on the
shared CIFAR-10 subset, saved as a run, then used as the backbone on flowers17 at 64×64;
on the same splits (1,360 images: 952 train, 136 validation, 272 test) and the same
epoch budget it compares (a) the same network trained from scratch, (b) its features
with a grid-searched logistic regression, (c) two-stage fine-tuning. Prints test
accuracy, macro F1 and the time of each stage.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/transfer.py [--images 64]
    DLW_DATA_HOME=/work/shared/datasets python benchmarks/transfer.py --example
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import dlworkflow
from dlworkflow.data import load_dataset
from dlworkflow.transfer.backbone import APPLICATIONS, feature_model, load_backbone
from dlworkflow.transfer.features import cached_features
from dlworkflow.transfer.spec import BackboneSpec

BACKBONES = ("vgg16", "resnet50", "mobilenetv2", "efficientnetb0")
SPLIT = {"val": 0.1, "test": 0.2}
SIZE = 64  # flowers17 side for the example: what a 2-core CPU trains in minutes

# The pretrained network: three conv blocks; the cut is after the last pooling layer.
CONV_BASE = [
    {"Conv2D": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}},
    {"Conv2D": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}},
    {"MaxPooling2D": {}},
    {"Conv2D": {"filters": 64, "kernel_size": 3, "padding": "same", "activation": "relu"}},
    {"Conv2D": {"filters": 64, "kernel_size": 3, "padding": "same", "activation": "relu"}},
    {"MaxPooling2D": {}},
    {"Conv2D": {"filters": 128, "kernel_size": 3, "padding": "same", "activation": "relu"}},
    {"MaxPooling2D": {}},
]
HEAD = [
    "Flatten",
    {"Dense": {"units": 256, "activation": "relu"}},
    {"Dropout": {"rate": 0.5}},
]


def check_data(*files: str) -> None:
    home = os.environ.get("DLW_DATA_HOME")
    missing = [name for name in files if not home or not (Path(home) / name).is_file()]
    if missing:
        sys.exit(
            f"{', '.join(missing)} not found in DLW_DATA_HOME ({home or 'unset'}); run with "
            "DLW_DATA_HOME=/work/shared/datasets"
        )


def extraction_speed(images: int) -> None:
    dataset = load_dataset(
        {"source": "flowers17", "limit": images, "split": {"val": 0.0, "test": 0.0}}
    )
    x = dataset.train.x
    print(
        f"feature extraction, {len(x)} flowers17 images (128×128, resized in the model), "
        "batch 16, untrained weights"
    )
    print(f"{'backbone':<16}{'input':>10}{'features':>10}{'images/s':>10}{'vs vgg16':>10}")
    baseline = None
    for name in BACKBONES:
        side = APPLICATIONS[name][2]
        spec = BackboneSpec(source=name, weights="none", input_size=(side, side), pooling="avg")
        backbone = load_backbone(spec, dataset.input_shape, seed=0)
        model = feature_model(backbone, dataset.input_shape, "avg")
        model.predict_on_batch(x[:16].astype("float32"))  # build and trace outside the timing
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            found = cached_features(model, dataset, "bench", Path(folder), Path(folder), 16)
            fresh = time.perf_counter() - started
            started = time.perf_counter()
            cached_features(model, dataset, "bench", Path(folder), Path(folder), 16)
            hit = time.perf_counter() - started
        rate = len(x) / fresh
        baseline = baseline or rate
        print(
            f"{name:<16}{side:>7}×{side:<3}{found.splits['train'].shape[1]:>9,}"
            f"{rate:>10.1f}{rate / baseline:>9.2f}×   cache hit {hit:.3f} s "
            f"({fresh / hit:,.0f}× faster)"
        )


def _summary(run) -> dict:
    evaluation = run.metrics["evaluation"]
    return {
        "accuracy": evaluation["accuracy"],
        "macro_f1": evaluation["report"]["macro avg"]["f1-score"],
        "seconds": run.metrics["train_seconds"],
    }


def measured_example(
    runs: Path, pretrain_limit: int, pretrain_epochs: int, epochs: tuple[int, int]
) -> None:
    stage1, stage2 = epochs
    train = {"batch_size": 32, "learnability": False}
    started = time.perf_counter()
    pretrained = dlworkflow.run(
        {
            "name": "cifar10-cnn",
            "data": {"source": "cifar10", "limit": pretrain_limit, "split": {"val": 0.1}},
            "model": {
                "layers": [
                    *CONV_BASE,
                    *HEAD,
                    {"Dense": {"units": 10}},
                    {"Activation": {"activation": "softmax"}},
                ]
            },
            "train": {**train, "epochs": pretrain_epochs},
        },
        runs_dir=runs,
    )
    pretrain_seconds = time.perf_counter() - started
    flowers = {"source": "flowers17", "split": SPLIT}
    backbone = {"source": f"run:{pretrained.folder}", "input_size": [SIZE, SIZE]}
    scratch = dlworkflow.run(
        {
            "name": "flowers-scratch",
            "data": flowers,
            "model": {
                "layers": [
                    {"Resizing": {"height": SIZE, "width": SIZE}},
                    *CONV_BASE,
                    *HEAD,
                    {"Dense": {"units": 17, "activation": "softmax"}},
                ]
            },
            "train": {**train, "epochs": stage1 + stage2},
        },
        runs_dir=runs,
    )
    features = dlworkflow.run(
        {
            "name": "flowers-features",
            "data": flowers,
            "transfer": {"backbone": backbone, "features": {"cv": 3}},
        },
        runs_dir=runs,
    )
    tuned = dlworkflow.run(
        {
            "name": "flowers-finetune",
            "data": flowers,
            "train": {**train, "epochs": stage1},
            "transfer": {
                "backbone": backbone,
                "method": "fine_tune",
                "fine_tune": {
                    "stage2": {
                        "epochs": stage2,
                        "unfreeze": 2,
                        "optimizer": {"name": "sgd", "lr": 0.001},
                    }
                },
            },
        },
        runs_dir=runs,
    )
    record = json.loads((features.folder / "transfer.json").read_text())
    stages = json.loads((tuned.folder / "transfer.json").read_text())["stages"]["seconds"]
    print(
        f"\npretraining on CIFAR-10 ({pretrain_limit:,} images, {pretrain_epochs} epochs): "
        f"{pretrain_seconds:.0f} s, test accuracy {pretrained.metrics['accuracy']:.3f}"
    )
    print(
        f"flowers17 at {SIZE}×{SIZE}: {len(scratch.dataset.train)} train, "
        f"{len(scratch.dataset.val)} validation, {len(scratch.dataset.test)} test images\n"
    )
    print("| method | test accuracy | macro F1 | time (s) |\n|---|---|---|---|")
    rows = [
        (f"(a) from scratch, {stage1 + stage2} epochs", _summary(scratch)),
        (
            f"(b) CIFAR-10 features + logistic regression (C={record['head']['best_params']['C']})",
            _summary(features),
        ),
        (f"(c) fine-tuning, {stage1} + {stage2} epochs", _summary(tuned)),
    ]
    for label, row in rows:
        print(f"| {label} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} | {row['seconds']:.0f} |")
    print(
        f"\nstages: feature extraction {record['features']['extract_seconds']:.1f} s, "
        f"grid search {record['head']['fit_seconds']:.1f} s; fine-tuning stage 1 "
        f"{stages[0]:.1f} s, stage 2 {stages[1]:.1f} s; from scratch "
        f"{scratch.metrics['train_seconds']:.1f} s"
    )
    print(f"runs in {runs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", action="store_true", help="the measured comparison")
    parser.add_argument("--images", type=int, default=64, help="images per backbone")
    parser.add_argument("--pretrain-limit", type=int, default=6000)
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--epochs", type=int, nargs=2, default=(8, 8), metavar=("S1", "S2"))
    parser.add_argument("--runs-dir", type=Path, default=None)
    args = parser.parse_args()
    check_data("flowers17.npz", "cifar10.npz")
    if not args.example:
        extraction_speed(args.images)
        return
    runs = args.runs_dir or Path(tempfile.mkdtemp(prefix="dlw-transfer-"))
    measured_example(runs, args.pretrain_limit, args.pretrain_epochs, tuple(args.epochs))


if __name__ == "__main__":
    main()
