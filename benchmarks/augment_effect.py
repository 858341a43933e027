"""Does data.augment change training on a small flowers17 subset? Trains the same small
CNN with and without augmentation (same seed, split and epochs) and prints the best
validation accuracy, the last epoch's, and the test accuracy of each.

    PYTHONPATH=src python benchmarks/augment_effect.py [--limit 680] [--epochs 15]
"""

from __future__ import annotations

import argparse
import io
import tempfile

from rich.console import Console

import dlworkflow

AUGMENT = {"horizontal_flip": True, "rotation_range": 15, "width_shift_range": 0.1,
           "height_shift_range": 0.1, "zoom_range": 0.15}  # fmt: skip
LAYERS = [
    {"Conv2D": {"filters": 16, "kernel_size": 3, "activation": "relu"}},
    {"MaxPooling2D": {"pool_size": 2}},
    {"Conv2D": {"filters": 32, "kernel_size": 3, "activation": "relu"}},
    {"MaxPooling2D": {"pool_size": 2}},
    {"Conv2D": {"filters": 64, "kernel_size": 3, "activation": "relu"}},
    {"MaxPooling2D": {"pool_size": 2}},
    {"GlobalAveragePooling2D": {}},
    {"Dense": {"units": 17, "activation": "softmax"}},
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=680)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    for augment in (None, AUGMENT):
        config = {
            "name": "flowers-aug" if augment else "flowers-plain",
            "data": {"source": "flowers17", "limit": args.limit, "augment": augment},
            "model": {"layers": LAYERS},
            "train": {"epochs": args.epochs, "batch_size": 32, "learnability": False},
        }
        run = dlworkflow.run(config, tempfile.mkdtemp(), console=Console(file=io.StringIO()))
        val = run.history["val_accuracy"]
        print(
            f"{'augment' if augment else 'plain  '}  best val acc {max(val):.3f}  "
            f"last val acc {val[-1]:.3f}  last train acc {run.history['accuracy'][-1]:.3f}  "
            f"test acc {run.metrics['accuracy']:.3f}  train s {run.metrics['train_seconds']:.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
