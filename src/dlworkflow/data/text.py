"""Texts and labels for ``task: text``: read a CSV, split, and turn text into token ids
with a Keras ``TextVectorization`` whose settings and vocabulary are plain JSON.

Texts are NFC-normalised and, when asked, lower-cased by Python (Unicode-aware) before
Keras sees them: Keras' own lower-casing folds ASCII only, which would keep ``Đẹp`` and
``đẹp`` apart. The record (:func:`fit_vocabulary`) is all prediction needs to replay
the exact same token ids (:func:`vectorize`); no pickle is involved.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dlworkflow.data.csv_rows import column, read_rows
from dlworkflow.data.dataset import Dataset, Split
from dlworkflow.data.preprocess import Preprocessing
from dlworkflow.data.sequence_spec import TextSpec
from dlworkflow.data.spec import DataSpec
from dlworkflow.errors import BadInput

_OPTIONS = {"text", "label"}


@dataclass
class TextData:
    """Texts (normalised) and integer labels per split, with the class names."""

    name: str
    texts: dict[str, list[str]]
    labels: dict[str, np.ndarray]
    class_names: list[str]


def load_texts(spec: DataSpec, seed: int) -> TextData:
    """Read ``csv:PATH`` (options ``text``, ``label``: the column names) and split it,
    stratified by label; every bad row is named by file, row and column."""
    unknown = sorted(set(spec.options) - _OPTIONS)
    if unknown:
        raise BadInput(
            f"data.options.{unknown[0]}: not an option of a text CSV (valid: text, label)"
        )
    kind, _, argument = spec.source.partition(":")
    path = Path(argument if kind == "csv" and argument else spec.source)
    if path.suffix.lower() != ".csv":
        raise BadInput(f"data.source: '{spec.source}' is not a text CSV; use csv:PATH")
    header, rows = read_rows(path)
    text_name, label_name = spec.options.get("text", "text"), spec.options.get("label", "label")
    text_index = column(header, text_name, path, "data.options.text")
    label_index = column(header, label_name, path, "data.options.label")
    texts, labels = [], []
    for number, row in enumerate(rows[: spec.limit] if spec.limit else rows, start=2):
        text = normalise(row[text_index]).strip()
        label = row[label_index].strip()
        for value, name in ((text, text_name), (label, label_name)):
            if not value:
                raise BadInput(
                    f"{path} row {number} column '{name}': empty; fill it or remove the row"
                )
        texts.append(text)
        labels.append(label)
    class_names = sorted(set(labels))
    if len(class_names) < 2:
        raise BadInput(f"{path} column '{label_name}': one label only ({class_names[0]}); need 2+")
    y = np.array([class_names.index(label) for label in labels], np.int64)
    parts = _split(len(y), y, spec, seed if spec.seed is None else spec.seed)
    return TextData(
        path.stem,
        {name: [texts[i] for i in index] for name, index in parts.items()},
        {name: y[index] for name, index in parts.items()},
        class_names,
    )


def _split(count: int, y: np.ndarray, spec: DataSpec, seed: int) -> dict[str, np.ndarray]:
    """Stratified when every class can be split, else plain random; seeded."""
    from sklearn.model_selection import train_test_split

    index = np.arange(count)
    parts: dict[str, np.ndarray] = {}
    rest = index
    for name, share in (("test", spec.split.test), ("val", spec.split.val)):
        size = int(round(count * share))
        if size == 0:
            continue
        labels = y[rest]
        stratify = labels if np.bincount(labels).min(initial=2) >= 2 else None
        try:
            rest, parts[name] = train_test_split(
                rest, test_size=size, random_state=seed, stratify=stratify
            )
        except ValueError:
            rest, parts[name] = train_test_split(rest, test_size=size, random_state=seed)
    return {"train": np.sort(rest), **{k: np.sort(v) for k, v in parts.items()}}


def normalise(text: str) -> str:
    """NFC, so a letter typed with combining marks matches its precomposed form."""
    return unicodedata.normalize("NFC", text)


def standardise(texts: list[str], mode: str) -> list[str]:
    """The Python half of standardisation (NFC, Unicode lower-casing)."""
    texts = [normalise(text) for text in texts]
    return [text.lower() for text in texts] if "lower" in mode else texts


def _keras_standardize(mode: str) -> str | None:
    return "strip_punctuation" if "strip_punctuation" in mode else None


def fit_vocabulary(texts: list[str], spec: TextSpec) -> dict:
    """Adapt a ``TextVectorization`` on the training texts; return its settings and
    vocabulary (most frequent first; 0 is padding, 1 out-of-vocabulary) as plain data."""
    import keras

    layer = keras.layers.TextVectorization(
        max_tokens=spec.max_tokens,
        output_sequence_length=spec.sequence_length,
        standardize=_keras_standardize(spec.standardize),
        split=spec.split,
    )
    layer.adapt(standardise(texts, spec.standardize), batch_size=1024)
    return {
        "max_tokens": spec.max_tokens,
        "sequence_length": spec.sequence_length,
        "standardize": spec.standardize,
        "split": spec.split,
        "vocabulary": [str(word) for word in layer.get_vocabulary()],
    }


def vectorize(texts: list[str], record: dict) -> np.ndarray:
    """Token ids (texts × sequence_length, int32), exactly as at training."""
    layer = _layer(
        tuple(record["vocabulary"]),
        record["sequence_length"],
        record["standardize"],
        record["split"],
    )
    standardised = standardise(list(texts), record["standardize"])
    if not standardised:
        return np.zeros((0, record["sequence_length"]), np.int32)
    return np.asarray(layer(np.array(standardised, dtype=object))).astype(np.int32)


@lru_cache(maxsize=4)
def _layer(vocabulary: tuple[str, ...], length: int, mode: str, split: str):
    import keras

    return keras.layers.TextVectorization(
        output_sequence_length=length,
        standardize=_keras_standardize(mode),
        split=split,
        vocabulary=list(vocabulary),
    )


def text_dataset(data: TextData, record: dict) -> Dataset:
    """Token ids and labels as a :class:`Dataset`, for training and ``data.json``."""
    splits = {
        name: Split(vectorize(texts, record), data.labels[name])
        for name, texts in data.texts.items()
    }
    return Dataset(
        name=data.name,
        task="binary" if len(data.class_names) == 2 else "multiclass",
        kind="text",
        class_names=data.class_names,
        train=splits["train"],
        val=splits.get("val"),
        test=splits.get("test"),
        preprocessing=Preprocessing("none", (0.0,), (1.0,)),
    )
