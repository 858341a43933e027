#!/usr/bin/env python
"""The streamed folder pipeline (data.stream) against Keras' own and the in-memory path.

Writes ``--images`` CIFAR-10 pictures as JPEGs into a temporary ``<class>/`` folder (and
the first ``--small`` of them into a second one), then:

1. throughput, images/s of one pass over the folder: our pipeline (read, decode, resize,
   scale, augment: ``epoch_batches`` over ``ImageFiles``) against
   ``keras.utils.image_dataset_from_directory`` with the same scaling and the same
   augmentation layers, the two sides alternating, ``--repeats`` times, medians;
2. peak memory, the max RSS of a fresh process that loads the folder and trains a tiny
   CNN for one epoch, streamed and in memory, at ``--small`` and ``--images`` images.

Targets: streamed ≥ 0.9× Keras' images/s; streamed peak RSS flat (within 200 MB) from
the small folder to the large one.

    DLW_DATA_HOME=/work/shared/datasets PYTHONPATH=src \\
        python benchmarks/data_pipeline.py [--images 20000] [--small 5000] [--size 64]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

AUGMENT = {"horizontal_flip": True, "rotation_range": 10, "zoom_range": 0.1}
BATCH = 32
SEED = 0


def write_jpegs(folder: Path, count: int) -> None:
    """The first ``count`` CIFAR-10 images (train, then test) as ``<class>/<i>.jpg``."""
    from PIL import Image

    from dlworkflow.data.sources import NAMED, data_home

    with np.load(data_home() / "cifar10.npz", allow_pickle=False) as saved:
        images = np.concatenate([saved["x_train"], saved["x_test"]])[:count]
        labels = np.concatenate([saved["y_train"], saved["y_test"]]).reshape(-1)[:count]
    if len(images) < count:
        sys.exit(f"cifar10.npz holds {len(images)} images; ask for at most that many")
    names = NAMED["cifar10"].class_names
    for name in names:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        Image.fromarray(image).save(folder / names[label] / f"{index:05d}.jpg", quality=90)


def load(folder: Path, size: int, stream: bool):
    from dlworkflow.data import load_dataset

    spec = {"source": f"folder:{folder}", "options": {"image_size": size}, "stream": stream,
            "split": {"val": 0.0, "test": 0.0}}  # fmt: skip
    return load_dataset(spec)


def augmenter(size: int):
    from dlworkflow.data.augment import AugmentSpec
    from dlworkflow.data.augment_layers import batch_augmenter

    return batch_augmenter(AugmentSpec.model_validate(AUGMENT), (size, size, 3), (0.0, 1.0), SEED)


def ours(folder: Path, size: int):
    """Our folder pipeline, as training reads it (the files were checked when loaded)."""
    from dlworkflow.train.order import epoch_batches

    dataset = load(folder, size, stream=True)
    x = dataset.preprocessing.apply(dataset.train.x)
    augment = augmenter(size)
    return lambda: epoch_batches(x, dataset.train.y, BATCH, SEED, 0, 1, augment)


def keras_side(folder: Path, size: int):
    import keras
    import tensorflow as tf

    augment = augmenter(size)

    def stream():
        data = keras.utils.image_dataset_from_directory(
            folder, image_size=(size, size), batch_size=BATCH, seed=SEED, verbose=False
        )
        return data.map(lambda x, y: (augment(x / 255.0), y)).prefetch(tf.data.AUTOTUNE)

    return stream


def images_per_second(make_stream) -> float:
    started, count = time.perf_counter(), 0
    for x, *_ in make_stream():
        count += int(x.shape[0])
    return count / (time.perf_counter() - started)


def throughput(folder: Path, size: int, repeats: int) -> None:
    sides = {"ours (stream)": ours(folder, size), "keras": keras_side(folder, size)}
    for make in sides.values():  # warm up: trace the maps, fill the OS file cache
        images_per_second(make)
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for repeat in range(repeats):
        order = list(sides) if repeat % 2 == 0 else list(reversed(sides))
        for name in order:
            rates[name].append(images_per_second(sides[name]))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, values in rates.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"  {name:14s} median {medians[name]:8,.0f} images/s   ({runs})")
    ratio = medians["ours (stream)"] / medians["keras"]
    print(f"  ratio ours/keras {ratio:.2f}  (target >= 0.9)")


def child(folder: Path, size: int, stream: bool) -> None:
    """One epoch of a tiny CNN in this fresh process; prints its peak RSS (MB) as JSON."""
    import keras

    from dlworkflow.train.order import epoch_batches, steps_per_epoch

    started = time.perf_counter()
    dataset = load(folder, size, stream)
    loaded = time.perf_counter() - started
    x = dataset.preprocessing.apply(dataset.train.x)
    y = dataset.train.y
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.Input((size, size, 3)),
        keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy")
    started = time.perf_counter()
    batches = epoch_batches(x, y, BATCH, SEED, 0, 1, augmenter(size))
    model.fit(batches, steps_per_epoch=steps_per_epoch(len(y), BATCH), epochs=1, verbose=0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB
    print(json.dumps({"peak_mb": peak_mb, "load_s": loaded,
                      "epoch_s": time.perf_counter() - started}))  # fmt: skip


def peak_memory(folders: dict[int, Path], size: int) -> None:
    peaks: dict[tuple[str, int], float] = {}
    for count, folder in folders.items():
        for mode in ("stream", "memory"):
            result = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(folder), "--size", str(size)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            record = json.loads(result.stdout.strip().splitlines()[-1])
            peaks[mode, count] = record["peak_mb"]
            print(
                f"  {mode:6s} {count:6,d} images: peak RSS {record['peak_mb']:7,.0f} MB   "
                f"(load {record['load_s']:.1f} s, epoch {record['epoch_s']:.1f} s)",
                flush=True,
            )
    small, large = sorted(folders)
    for mode in ("stream", "memory"):
        growth = peaks[mode, large] - peaks[mode, small]
        print(f"  {mode:6s} growth {small:,d} -> {large:,d} images: {growth:+,.0f} MB")
    stream_growth = peaks["stream", large] - peaks["stream", small]
    print(f"  streamed growth within 200 MB: {'yes' if abs(stream_growth) <= 200 else 'no'}; "
          f"memory/stream peak at {large:,d}: "
          f"{peaks['memory', large] / peaks['stream', large]:.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--small", type=int, default=5000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"))
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[1]), args.size, args.child[0] == "stream")
        return
    with tempfile.TemporaryDirectory() as work:
        folders = {args.small: Path(work) / "small", args.images: Path(work) / "large"}
        started = time.perf_counter()
        for count, folder in folders.items():
            write_jpegs(folder, count)
        print(f"wrote {args.small:,d} + {args.images:,d} CIFAR-10 JPEGs in "
              f"{time.perf_counter() - started:.0f} s; images resized to {args.size}")  # fmt: skip
        started = time.perf_counter()
        load(folders[args.images], args.size, stream=True)
        print(f"checking every file up front (streamed load of {args.images:,d}): "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        print(f"throughput, {args.images:,d} images (decode, resize, augment; batch {BATCH}):")
        throughput(folders[args.images], args.size, args.repeats)
        print("peak RSS of one training epoch (fresh process each):")
        peak_memory(folders, args.size)


if __name__ == "__main__":
    main()
