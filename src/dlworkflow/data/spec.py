"""What a user may say about data: the ``data:`` section of an experiment config."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from dlworkflow.data.augment import AugmentSpec
from dlworkflow.validation import StrictModel, shorthand


class SplitSpec(StrictModel):
    """Fractions of the whole pool held out; ``test`` is ignored when a source has its own.

    ``val_from: end`` takes the validation images from the end of the training data in
    file order, as the course's notebook does (``X_train[50000:]``), instead of a
    stratified random draw.
    """

    val: float = Field(0.1, ge=0.0, lt=1.0)
    test: float = Field(0.2, ge=0.0, lt=1.0)
    val_from: Literal["random", "end"] = "random"

    @model_validator(mode="after")
    def _leave_training_data(self) -> SplitSpec:
        if self.val + self.test >= 0.9:
            raise ValueError(
                f"val + test = {self.val + self.test:g} leaves almost nothing to train on; "
                "keep it below 0.9"
            )
        return self


class DataSpec(StrictModel):
    """A dataset and how to split and preprocess it.

    ``source`` is a bundled name (digits, diabetes, digits_traits, circles, moons, blobs), a
    named dataset (mnist, fashion_mnist, cifar10, flowers17), ``folder:PATH`` (class
    subfolders, or ``train/``, ``val/``, ``test/`` of them), ``list:PATH`` (a CSV/TSV of
    ``path,label`` rows, optional ``split``) or ``csv:PATH``.
    """

    source: str = "digits"
    options: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(None, gt=0)
    split: SplitSpec = Field(default_factory=SplitSpec)
    scale: Literal["auto", "unit", "symmetric", "standard", "none"] = "auto"
    flatten: Literal["auto"] | bool = "auto"
    target_scale: Literal["standard", "none"] = "standard"  # regression: standardised on train
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    augment: AugmentSpec | None = None  # image + mask together (task: segmentation)
    # image folders and listings: read on demand through tf.data (data/stream.py) instead
    # of into memory; auto streams when the float32 arrays would pass 1 GiB
    stream: Literal["auto"] | bool = "auto"
    cache: bool | str | None = None  # streamed: decoded images kept in this folder (true: tmp)

    _shorthand = model_validator(mode="before")(shorthand("source"))
