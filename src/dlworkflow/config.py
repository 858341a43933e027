"""The experiment YAML as validated objects; every error names the key path.

Each section's schema lives beside its step (``data.spec``, ``models.spec``,
``train.spec``, ``transfer.spec``); this module composes them and reads YAML.
Structural checks (types, ranges, unknown keys) happen there. Checks that need the
data and the built model (last activation vs loss vs label shape) happen in
:mod:`dlworkflow.train.components`, still before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from dlworkflow.data.sequence_spec import ForecastSpec, TextSpec
from dlworkflow.data.spec import DataSpec
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.multilabel_spec import MultilabelSpec
from dlworkflow.models.spec import ModelSpec
from dlworkflow.train.spec import CompileSpec, TrainSpec
from dlworkflow.transfer.spec import TransferSpec
from dlworkflow.validation import StrictModel, first_error
from dlworkflow.yamlfile import MAX_BYTES, load_yaml


class ExperimentConfig(StrictModel):
    name: str = Field("digits-mlp", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    seed: int = Field(42, ge=0, le=2**32 - 1)  # NumPy's and Keras' seed range
    # auto: the data decides (binary, multiclass or regression); segmentation: images with
    # masks; forecast: windows of a time series; text: text classification (the last two
    # take their section below); multilabel: several 0/1 target columns (auto finds it too).
    task: Literal["auto", "segmentation", "forecast", "text", "multilabel"] = "auto"
    data: DataSpec = Field(default_factory=DataSpec)
    model: ModelSpec = Field(default_factory=lambda: ModelSpec(zoo="mlp"))
    compile: CompileSpec = Field(default_factory=CompileSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    transfer: TransferSpec | None = None  # pretrained backbone: features or fine-tuning
    forecast: ForecastSpec | None = None
    text: TextSpec | None = None
    multilabel: MultilabelSpec | None = None  # per-label thresholds (task: multilabel or auto)

    @model_validator(mode="after")
    def _sections_fit_the_task(self) -> ExperimentConfig:
        for section in ("forecast", "text"):
            given = getattr(self, section) is not None
            if given and self.task != section:
                raise ValueError(f"a '{section}:' section needs task: {section}")
            if self.task == section and not given:
                setattr(self, section, {"forecast": ForecastSpec, "text": TextSpec}[section]())
        if self.multilabel is not None and self.task not in ("auto", "multilabel"):
            raise ValueError(f"a 'multilabel:' section needs task: multilabel, not {self.task}")
        if self.task != "auto" and self.transfer is not None:
            raise ValueError(f"transfer applies to classification images, not task: {self.task}")
        if self.data.augment is not None and (
            self.task in ("forecast", "text") or self.transfer is not None
        ):
            raise ValueError(
                "data.augment applies to image classification and segmentation "
                f"({'transfer' if self.transfer is not None else 'task: ' + self.task} "
                "does not use it)"
            )
        if self.data.augment is not None:
            self.data.augment.check_task(self.task == "segmentation")
        if self.task in ("forecast", "text") and "model" not in self.model_fields_set:
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
    if path.stat().st_size > MAX_BYTES:
        raise BadInput(f"{path}: larger than {MAX_BYTES:,} bytes; not a config")
    try:
        mapping = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    if mapping is None:
        raise BadInput(
            f"{path}: the config is empty; give at least a name and data (or run dlw run "
            "without a config for the digits default)"
        )
    if not isinstance(mapping, dict):
        raise BadInput(f"{path}: the top level must be a mapping of keys (name, data, model…)")
    return mapping
