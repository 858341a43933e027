"""The ``transfer:`` section of an experiment config: backbone, method and their settings.

Structural checks live here; checks that need the data or the loaded backbone (a cut
layer that does not exist, a backbone whose input does not fit the images, a grid the
head does not accept) happen in :func:`dlworkflow.experiments.transfer_run.prepare_transfer`,
still before anything is written.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from dlworkflow.train.spec import OptimizerSpec
from dlworkflow.validation import StrictModel, check_grid, shorthand

Pooling = Literal["flatten", "avg", "max"]
PreprocessMode = Literal["caffe", "tf", "torch", "unit", "none"]
HeadKind = Literal["logistic_regression", "linear_svm", "knn", "dense"]

DEFAULT_GRIDS: dict[str, dict[str, list[Any]]] = {
    "logistic_regression": {"C": [0.1, 1.0, 10.0, 100.0]},  # the notes' grid
    "linear_svm": {"C": [0.01, 0.1, 1.0]},
    "knn": {"n_neighbors": [1, 3, 5, 9]},
    "dense": {"units": [64, 256]},  # Dense relu → Dropout 0.5 → softmax, 30 epochs of Adam
}


class BackboneSpec(StrictModel):
    """Where the pretrained layers come from and how images reach them.

    ``source``: a Keras Applications name (``vgg16``, ``resnet50``, ``mobilenetv2``,
    ``efficientnetb0``…), ``run:PATH`` (a finished dlworkflow run folder) or the path of
    a saved ``.keras`` model. ``weights`` (Applications only; default imagenet) is
    downloaded by Keras itself. ``cut``: the layer whose output are the features
    (default: the end of the convolutional base, i.e. before the head). ``input_size``
    resizes the images inside the model, so ``dlw evaluate`` replays it.
    ``preprocessing`` overrides what the backbone expects (Applications: their own
    ``preprocess_input`` mode; runs: their recorded scaling; saved models: ``unit``).
    ``pretrained_on`` names the backbone's source data for the four-way advice.
    """

    source: str
    weights: Literal["imagenet", "none"] | None = None
    cut: str | None = None
    input_size: tuple[int, int] | None = None
    pooling: Pooling = "flatten"
    preprocessing: PreprocessMode | None = None
    pretrained_on: str | None = None

    _shorthand = model_validator(mode="before")(shorthand("source"))

    @field_validator("input_size", mode="before")
    @classmethod
    def _square(cls, value: Any) -> Any:
        """``input_size: 64`` means 64×64."""
        return [value, value] if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("input_size")
    @classmethod
    def _positive(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and min(value) < 1:
            raise ValueError("must be [height, width] in pixels, both at least 1")
        return value


class FeatureSpec(StrictModel):
    """Features → optional standardisation and PCA → a scikit-learn head, grid-searched.

    ``pca``: an int keeps that many components, a float in (0, 1) the components that
    retain that share of the variance. ``grid``: the head's parameters to search (the
    head's default grid when empty), e.g. ``{C: [0.1, 1, 10, 100]}``.
    """

    head: HeadKind = "logistic_regression"
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    cv: int = Field(3, ge=2, le=20)
    pca: int | float | None = None
    standardize: bool = False
    batch_size: int = Field(32, ge=1)

    @field_validator("pca")
    @classmethod
    def _components_or_share(cls, value: int | float | None) -> int | float | None:
        if value is None:
            return None
        if isinstance(value, bool) or (isinstance(value, float) and not 0 < value < 1):
            raise ValueError(
                "give a number of components (e.g. 50) or a share in (0, 1), e.g. 0.95"
            )
        if isinstance(value, int) and value < 1:
            raise ValueError("needs at least 1 component")
        return value

    _non_empty_lists = field_validator("grid")(check_grid)

    def search_grid(self) -> dict[str, list[Any]]:
        return self.grid or DEFAULT_GRIDS[self.head]


class StageTwoSpec(StrictModel):
    """Stage 2 of fine-tuning: unfreeze the end of the base and train on, more gently.

    ``unfreeze``: the last N layers of the base, or a layer name: that layer and every
    one after it (``block5_conv1`` is the notes' ``layers[15:]`` of VGG16), or a block
    name, its first layer on (``block5``: the same).
    """

    epochs: int = Field(10, ge=0, le=100_000)
    unfreeze: int | str = 4
    optimizer: OptimizerSpec = Field(
        default_factory=lambda: OptimizerSpec(name="sgd", lr=0.001)
    )

    @field_validator("unfreeze")
    @classmethod
    def _count_or_name(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("unfreeze at least 1 layer, or name the first layer to unfreeze")
        return value


class FineTuneSpec(StrictModel):
    """The notes' new head (Flatten → Dense 256 relu → Dropout 0.5 → softmax); stage 1
    trains it on the frozen base with ``compile`` and ``train`` of the config."""

    dense: int = Field(256, ge=1)
    dropout: float = Field(0.5, ge=0, lt=1)
    stage2: StageTwoSpec = Field(default_factory=StageTwoSpec)


class TransferSpec(StrictModel):
    """``method: features`` (extract once, fit a scikit-learn head) or ``fine_tune``.

    ``similar`` says whether the data resembles the backbone's source data, for the
    four-way advice when the names alone cannot tell.
    """

    backbone: BackboneSpec
    method: Literal["features", "fine_tune"] = "features"
    features: FeatureSpec = Field(default_factory=FeatureSpec)
    fine_tune: FineTuneSpec = Field(default_factory=FineTuneSpec)
    similar: bool | None = None
