"""The dataset object every later step receives: raw splits plus what they mean."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from dlworkflow.data.preprocess import Preprocessing

Task = Literal["binary", "multiclass", "multilabel", "regression"]
Kind = Literal["image", "tabular", "series", "text"]


@dataclass
class Split:
    """One split's raw inputs (as loaded, before scaling) and targets."""

    x: np.ndarray  # or image files read on demand (data/stream.py's ImageFiles)
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for array in (self.x, self.y):
            digest.update(str(array.shape).encode())
            fingerprint = getattr(array, "fingerprint", None)  # streamed: files, not pixels
            digest.update(fingerprint() if fingerprint else np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


class SplitsView:
    """What every dataset with ``class_names`` and train/val/test splits answers."""

    class_names: list[str]
    train: Split
    val: Split | None
    test: Split | None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.train.x.shape[1:])

    def splits(self) -> dict[str, Split]:
        named = {"train": self.train, "val": self.val, "test": self.test}
        return {name: split for name, split in named.items() if split is not None}


@dataclass
class Dataset(SplitsView):
    """Splits of one dataset with its task, class names and fitted preprocessing.

    Splits hold raw values so that surveys show what was loaded; models consume
    ``preprocessing.apply(split.x)``.  ``val`` and ``test`` are None when the split
    fractions leave them empty (tiny data such as the XOR table).
    """

    name: str
    task: Task
    kind: Kind
    class_names: list[str]
    train: Split
    val: Split | None
    test: Split | None
    preprocessing: Preprocessing
    feature_names: list[str] = field(default_factory=list)
    own_test_set: bool = False
    cleaning: dict = field(default_factory=dict)  # a CSV's dropped/imputed rows (csv_table)


    def describe(self) -> dict:
        """Plain description for ``data.json``: shapes, sizes, classes, checksums."""
        return {
            "name": self.name,
            "task": self.task,
            "kind": self.kind,
            "input_shape": list(self.input_shape),
            "class_names": self.class_names,
            "feature_names": self.feature_names,
            "own_test_set": self.own_test_set,
            "splits": {
                name: {
                    "size": len(split),
                    "x_shape": list(split.x.shape),
                    "x_dtype": str(split.x.dtype),
                    "sha256": split.checksum(),
                    **(
                        {"class_counts": class_counts(split.y, self.num_classes)}
                        if self.task != "regression"
                        else {}
                    ),
                }
                for name, split in self.splits().items()
            },
            "preprocessing": self.preprocessing.to_dict(),
            **({"cleaning": self.cleaning} if self.cleaning else {}),
        }


def class_counts(y: np.ndarray, num_classes: int) -> list[int]:
    """Samples per class; for multilabel ``(n, k)`` 0/1 rows, positives per label."""
    if y.ndim == 2:
        return y.sum(axis=0).astype(np.int64).tolist()
    return np.bincount(y.astype(np.int64), minlength=num_classes).tolist()
