"""``load_dataset``: a data spec in, a split and fitted :class:`Dataset` out."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ValidationError

from dlworkflow.data.dataset import Dataset, Split
from dlworkflow.data.multilabel import check_label_columns
from dlworkflow.data.preprocess import fit_preprocessing
from dlworkflow.data.sources import load_source
from dlworkflow.data.spec import DataSpec
from dlworkflow.data.splits import split_indices, stratified_subset, tail_indices
from dlworkflow.data.stream import bounded_sample, take
from dlworkflow.errors import BadInput
from dlworkflow.validation import first_error

DEFAULT_SEED = 42


def load_dataset(
    spec: DataSpec | dict[str, Any] | str = "digits", seed: int | None = None
) -> Dataset:
    """Load, subset (``limit``; a source's own test set in proportion), split and fit
    preprocessing on the training split.

    ``seed`` (or ``spec.seed``, then 42) makes every subset and split reproducible.
    """
    if not isinstance(spec, DataSpec):
        try:
            spec = DataSpec.model_validate(spec)
        except ValidationError as error:
            raise BadInput(first_error(error, prefix="data")) from None
    seed = spec.seed if spec.seed is not None else (DEFAULT_SEED if seed is None else seed)
    raw = load_source(spec.source, dict(spec.options), spec.stream, spec.cache)
    classify = raw.task != "regression"
    stratify = raw.task in ("binary", "multiclass")  # label sets: random splits
    if classify and len(np.unique(raw.y)) < 2:
        raise BadInput(f"data.source: '{spec.source}' has fewer than 2 classes")

    x, y = raw.x, raw.y
    if spec.limit is not None:
        keep = stratified_subset(y, spec.limit, seed, stratify)
        x, y = take(x, keep), y[keep]

    def own(x_own: Any, y_own: np.ndarray, offset: int) -> Split:
        """A source's own split; with ``limit`` it shrinks in proportion."""
        if spec.limit is None:
            return Split(x_own, y_own)
        share = round(spec.limit * len(y_own) / len(raw.y))
        least = len(np.unique(y_own)) if stratify else 1  # one of each class
        keep = stratified_subset(y_own, max(least, share), seed + offset, stratify)
        return Split(take(x_own, keep), y_own[keep])

    test: Split | None
    if raw.x_test is not None:
        test = own(raw.x_test, raw.y_test, 2)
    else:
        kept, held = split_indices(y, spec.split.test, seed, stratify, "test")
        test = Split(take(x, held), y[held]) if len(held) else None
        x, y = take(x, kept), y[kept]

    val_fraction = (
        spec.split.val if raw.x_test is not None else spec.split.val / (1 - spec.split.test)
    )
    val: Split | None
    if raw.x_val is not None:  # pre-split folders and listings: as given
        val, train = own(raw.x_val, raw.y_val, 3), Split(x, y)
    else:
        if spec.split.val_from == "end":
            kept, held = tail_indices(len(y), val_fraction)
        else:
            kept, held = split_indices(y, val_fraction, seed + 1, stratify, "val")
        val = Split(take(x, held), y[held]) if len(held) else None
        train = Split(take(x, kept), y[kept])
    if raw.task == "multilabel":
        given = "data.source" if spec.source.startswith("list:") else "data.options.target"
        check_label_columns(train.y, raw.class_names, given)

    if raw.impute is not None:  # a CSV's blanks, filled from training statistics only
        from dlworkflow.data.csv_table import impute_splits

        filled = impute_splits(raw.impute, train.x, *(s and s.x for s in (val, test)))
        train = Split(filled[0], train.y)
        val = Split(filled[1], val.y) if val is not None else None
        test = Split(filled[2], test.y) if test is not None else None

    scale = spec.scale
    if scale == "auto":
        scale = "unit" if raw.kind == "image" else "standard"
    preprocessing = fit_preprocessing(bounded_sample(train.x), scale, raw.value_max)
    if spec.flatten is True:
        preprocessing = preprocessing.with_flatten(True)
    if raw.task == "regression" and spec.target_scale == "standard":
        preprocessing = preprocessing.with_target_scale(train.y)
    return Dataset(
        name=raw.name,
        task=raw.task,
        kind=raw.kind,
        class_names=raw.class_names,
        train=train,
        val=val,
        test=test,
        preprocessing=preprocessing,
        feature_names=raw.feature_names,
        own_test_set=raw.x_test is not None,
        cleaning=raw.cleaning,
    )
