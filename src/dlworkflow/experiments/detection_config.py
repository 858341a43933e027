"""The experiment YAML of a detection run (``task: detection``); errors name the key."""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from dlworkflow.data.spec import SplitSpec
from dlworkflow.errors import BadInput
from dlworkflow.train.spec import CompileSpec, TrainSpec
from dlworkflow.transfer.spec import BackboneSpec
from dlworkflow.validation import StrictModel, first_error


class BoxDataSpec(StrictModel):
    """``source``: shapes, raccoon, yolo:PATH, voc:PATH or coco:FILE. Every image is
    resized to ``image_size`` (one number: square), its boxes with it."""

    source: str = "shapes"
    options: dict[str, Any] = Field(default_factory=dict)
    image_size: int | tuple[int, int] = 64
    split: SplitSpec = Field(default_factory=SplitSpec)
    flip: bool = False  # train on a mirrored copy of every training image as well

    @field_validator("image_size")
    @classmethod
    def _sizes(cls, value: int | tuple[int, int]) -> int | tuple[int, int]:
        sides = (value, value) if isinstance(value, int) else value
        if not all(16 <= side <= 1024 and side % 4 == 0 for side in sides):
            raise ValueError("sides must be multiples of 4 between 16 and 1024 pixels")
        return value

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        side = self.image_size
        return (side, side) if isinstance(side, int) else tuple(side)


class DetectorSpec(StrictModel):
    """The centre-based detector: its width (channels of its own conv stages and head)
    and, optionally, a pretrained ``backbone`` (as ``transfer.backbone``: a Keras
    Applications name, ``run:FOLDER`` or a ``.keras`` file) cut at the end of its conv
    base, run at the data's image size and frozen unless ``freeze: false``."""

    kind: Literal["centre"] = "centre"
    width: int = Field(32, ge=4, le=256)
    backbone: BackboneSpec | None = None
    freeze: bool = True


class PredictSpec(StrictModel):
    """How boxes are read off the model: per-class NMS, then a score threshold.

    mAP uses every box above ``map_score_threshold`` (a full precision–recall curve);
    the confusion matrix, the per-image mistakes and ``dlw predict`` use
    ``score_threshold``.
    """

    score_threshold: float = Field(0.3, gt=0, lt=1)
    map_score_threshold: float = Field(0.05, gt=0, lt=1)
    iou_threshold: float = Field(0.5, gt=0, le=1)
    max_boxes: int = Field(100, ge=1, le=1000)


class DetectionConfig(StrictModel):
    name: str = Field("shapes-detector", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    task: Literal["detection"] = "detection"
    seed: int = 42
    data: BoxDataSpec = Field(default_factory=BoxDataSpec)
    model: DetectorSpec = Field(default_factory=DetectorSpec)
    compile: CompileSpec = Field(default_factory=CompileSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    predict: PredictSpec = Field(default_factory=PredictSpec)

    @field_validator("compile")
    @classmethod
    def _own_loss(cls, value: CompileSpec) -> CompileSpec:
        if value.loss != "auto" or value.metrics:
            raise ValueError(
                "a detector trains on its own loss (heatmap focal loss + box L1) and is "
                "scored by mAP; leave loss at auto and metrics unset"
            )
        return value

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def is_detection(mapping: dict[str, Any]) -> bool:
    """Whether a raw config asks for the detection task."""
    return mapping.get("task") == "detection"


def load_detection_config(mapping: dict[str, Any], origin: str) -> DetectionConfig:
    try:
        return DetectionConfig.model_validate(mapping)
    except ValidationError as error:
        raise BadInput(f"{origin}: {first_error(error)}") from None
