"""``compile:`` and ``train:`` of the experiment config: optimizer, loss, metrics,
epochs, batches, callbacks and the learning-rate schedule."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from dlworkflow.train.precision import Precision
from dlworkflow.validation import StrictModel, shorthand


class OptimizerSpec(BaseModel):
    """A Keras optimizer by name; extra keys (momentum, weight_decay…) go to it as is."""

    model_config = ConfigDict(extra="allow")
    name: str = "adam"
    lr: float = Field(0.001, gt=0, le=100)

    _shorthand = model_validator(mode="before")(shorthand("name"))


class CompileSpec(StrictModel):
    loss: str = "auto"
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    metrics: list[str] | None = None  # None: accuracy for classification, mae for regression


class EarlyStoppingSpec(StrictModel):
    monitor: str = "val_loss"
    patience: int = Field(5, ge=1)
    min_delta: float = Field(0.0, ge=0)


class CheckpointSpec(StrictModel):
    monitor: str = "val_loss"


class ReduceLRSpec(StrictModel):
    monitor: str = "val_loss"
    factor: float = Field(0.5, gt=0, lt=1)
    patience: int = Field(3, ge=1)
    min_lr: float = Field(1e-6, ge=0)


DistributeMode = Literal["auto", "none", "mirrored"]  # see train/distribute.py
ScheduleKind = Literal["constant", "step", "exponential", "cosine", "one_cycle"]


class ScheduleSpec(StrictModel):
    """How the learning rate moves over the epochs, from the base LR (see ``TrainSpec.lr``).

    step: ``lr·factor^floor(epoch/every)``; exponential: ``lr·factor^(epoch/every)``
    (``factor: 10, every: 20`` from ``lr: 1e-4`` is seed 002's range test); cosine: down
    to ``min_lr`` at the last epoch; one_cycle (per batch): from ``lr·start_factor`` up
    to ``lr`` over the first ``warmup`` of training, then down to ``min_lr``.
    ``train.reduce_lr`` is the plateau-driven alternative and excludes a schedule.
    """

    kind: ScheduleKind = "constant"
    every: int = Field(10, ge=1)
    factor: float = Field(0.5, gt=0, le=100)
    min_lr: float = Field(0.0, ge=0)
    warmup: float = Field(0.3, gt=0, lt=1)
    start_factor: float = Field(0.04, gt=0, le=1)

    KEYS: ClassVar[dict[str, tuple[str, ...]]] = {
        "constant": (),
        "step": ("every", "factor"),
        "exponential": ("every", "factor"),
        "cosine": ("min_lr",),
        "one_cycle": ("warmup", "start_factor", "min_lr"),
    }

    _shorthand = model_validator(mode="before")(shorthand("kind"))

    @model_validator(mode="after")
    def _keys_fit_the_kind(self) -> ScheduleSpec:
        for key in sorted(self.model_fields_set - {"kind"}):
            if key not in self.KEYS[self.kind]:
                users = [kind for kind, keys in self.KEYS.items() if key in keys]
                raise ValueError(
                    f"'{key}' applies to kind {' or '.join(users)}, not {self.kind} "
                    f"(keys of {self.kind}: {', '.join(self.KEYS[self.kind]) or 'none'})"
                )
        return self

    @model_serializer(mode="wrap")
    def _only_the_kinds_keys(self, handler: Any) -> dict[str, Any]:
        """The resolved config shows the parameters the kind uses, and reloads as is."""
        return {k: v for k, v in handler(self).items() if k == "kind" or k in self.KEYS[self.kind]}


class TrainSpec(StrictModel):
    """Training. The base learning rate is ``train.lr`` when a number, the LR range
    test's recommendation when ``auto``, else ``compile.optimizer.lr``; the schedule
    starts from it."""

    epochs: int = Field(20, ge=1, le=100_000)
    batch_size: int = Field(32, ge=1)
    shuffle: bool = True
    lr: float | Literal["auto"] | None = None
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)
    learnability: bool = True  # overfit one batch before training (workflow step 5)
    precision: Precision = "float32"  # Keras dtype policy; auto: bfloat16 where native
    early_stopping: EarlyStoppingSpec | None = None
    checkpoint: CheckpointSpec = Field(default_factory=CheckpointSpec)
    reduce_lr: ReduceLRSpec | None = None
    keep: Literal["best", "last"] = "best"  # the weights tested: best checkpoint or last epoch
    distribute: DistributeMode = "auto"  # several devices: batch_size is the global batch

    @field_validator("early_stopping", "reduce_lr", mode="before")
    @classmethod
    def _true_means_defaults(cls, value: Any) -> Any:
        """``early_stopping: true`` switches it on with the defaults."""
        if value is True:
            return {}
        return None if value is False else value

    @field_validator("lr", mode="before")
    @classmethod
    def _number_auto_or_null(cls, value: Any) -> Any:
        """One clear message instead of pydantic's three union branches."""
        if value is None or value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
            raise ValueError(
                "must be a learning rate in (0, 100], auto (the LR range test's suggestion) "
                "or null (compile.optimizer.lr)"
            )
        return float(value)

    @model_validator(mode="after")
    def _one_lr_controller(self) -> TrainSpec:
        """A schedule would overwrite reduce_lr's reductions at every epoch."""
        if self.reduce_lr is not None and self.schedule.kind != "constant":
            raise ValueError(
                f"reduce_lr and schedule kind {self.schedule.kind} both set the learning rate; "
                "keep one of them"
            )
        return self
