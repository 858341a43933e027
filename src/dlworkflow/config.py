"""The experiment YAML as validated objects; every error names the key path.

Structural checks (types, ranges, unknown keys) happen here. Checks that need the
data and the built model (last activation vs loss vs label shape) happen in
:mod:`dlworkflow.train.components`, still before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from dlworkflow.data.sequence_spec import ForecastSpec, TextSpec
from dlworkflow.data.spec import DataSpec
from dlworkflow.errors import BadInput
from dlworkflow.transfer.spec import TransferSpec
from dlworkflow.validation import StrictModel, first_error


class ModelSpec(StrictModel):
    """Either a zoo name with options, or an explicit list of Keras layers."""

    zoo: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    layers: list[Any] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ModelSpec:
        if (self.zoo is None) == (self.layers is None):
            raise ValueError("give exactly one of 'zoo' (a model name) or 'layers' (a list)")
        if self.layers is not None and self.options:
            raise ValueError("'options' belong to a zoo model; put arguments in each layer")
        return self

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"zoo": value} if isinstance(value, str) else value


class OptimizerSpec(BaseModel):
    """A Keras optimizer by name; extra keys (momentum, weight_decay…) go to it as is."""

    model_config = ConfigDict(extra="allow")
    name: str = "adam"
    lr: float = Field(0.001, gt=0, le=100)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


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

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """Allow ``schedule: cosine`` as well as a mapping."""
        return {"kind": value} if isinstance(value, str) else value

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
    early_stopping: EarlyStoppingSpec | None = None
    checkpoint: CheckpointSpec = Field(default_factory=CheckpointSpec)
    reduce_lr: ReduceLRSpec | None = None

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


class ExperimentConfig(StrictModel):
    name: str = Field("digits-mlp", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    seed: int = 42
    data: DataSpec = Field(default_factory=DataSpec)
    model: ModelSpec = Field(default_factory=lambda: ModelSpec(zoo="mlp"))
    compile: CompileSpec = Field(default_factory=CompileSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    transfer: TransferSpec | None = None  # pretrained backbone: features or fine-tuning
    # auto: the data decides (classification or regression); forecast: windows of a time
    # series; text: text classification. The last two take their section below.
    task: Literal["auto", "forecast", "text"] = "auto"
    forecast: ForecastSpec | None = None
    text: TextSpec | None = None

    @model_validator(mode="after")
    def _sections_fit_the_task(self) -> ExperimentConfig:
        for section in ("forecast", "text"):
            given = getattr(self, section) is not None
            if given and self.task != section:
                raise ValueError(f"a '{section}:' section needs task: {section}")
            if self.task == section and not given:
                setattr(self, section, {"forecast": ForecastSpec, "text": TextSpec}[section]())
        if self.task != "auto" and self.transfer is not None:
            raise ValueError(f"transfer applies to image data, not task: {self.task}")
        if self.task != "auto" and "model" not in self.model_fields_set:
            self.model = ModelSpec(zoo="lstm" if self.task == "forecast" else "bilstm")
        return self

    def to_yaml(self) -> str:
        """The resolved config (defaults filled in), as written to ``config.yaml``."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


DEFAULT_EXPERIMENT: dict[str, Any] = {
    "name": "digits-mlp",
    "data": {"source": "digits"},
    "model": {"zoo": "mlp", "options": {"hidden": [128]}},
    "compile": {"optimizer": {"name": "adam", "lr": 0.002}},
    "train": {"epochs": 40, "batch_size": 32},
}


def load_config(
    source: str | Path | dict[str, Any] | ExperimentConfig | None = None,
) -> ExperimentConfig:
    """Read and validate a config from a YAML path, a mapping, or the digits default."""
    if isinstance(source, ExperimentConfig):
        return source
    mapping, origin = read_config_mapping(source)
    if "sweep" in mapping:
        raise BadInput(
            f"{origin}: sweep: this config is a sweep of many runs; run it with dlw run "
            "or dlworkflow.experiments.run_sweep"
        )
    try:
        return ExperimentConfig.model_validate(mapping)
    except ValidationError as error:
        raise BadInput(f"{origin}: {first_error(error)}") from None


def read_config_mapping(
    source: str | Path | dict[str, Any] | None,
) -> tuple[dict[str, Any], str]:
    """The raw mapping and how to name it in errors: a YAML file, a dict, or the default."""
    if source is None:
        return DEFAULT_EXPERIMENT, "default config"
    if isinstance(source, dict):
        return source, "config"
    return _read_yaml(Path(source)), str(source)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise BadInput(f"{path}: config file does not exist")
    try:
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise BadInput(f"{path}:{where}: not valid YAML ({problem})") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise BadInput(f"{path}: the top level must be a mapping of keys (name, data, model…)")
    return mapping
