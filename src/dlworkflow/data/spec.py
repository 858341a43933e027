"""What a user may say about data: the ``data:`` section of an experiment config."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dlworkflow.data.augment import AugmentSpec


class SplitSpec(BaseModel):
    """Fractions of the whole pool held out; ``test`` is ignored when a source has its own."""

    model_config = ConfigDict(extra="forbid")
    val: float = Field(0.1, ge=0.0, lt=1.0)
    test: float = Field(0.2, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _leave_training_data(self) -> SplitSpec:
        if self.val + self.test >= 0.9:
            raise ValueError(
                f"val + test = {self.val + self.test:g} leaves almost nothing to train on; "
                "keep it below 0.9"
            )
        return self


class DataSpec(BaseModel):
    """A dataset and how to split and preprocess it.

    ``source`` is a bundled name (digits, circles, moons, blobs), a named dataset
    (mnist, fashion_mnist, cifar10, flowers17), ``folder:PATH`` or ``csv:PATH``.
    """

    model_config = ConfigDict(extra="forbid")
    source: str = "digits"
    options: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(None, gt=0)
    split: SplitSpec = Field(default_factory=SplitSpec)
    scale: Literal["auto", "unit", "symmetric", "standard", "none"] = "auto"
    flatten: Literal["auto"] | bool = "auto"
    seed: int | None = None
    augment: AugmentSpec | None = None  # image + mask together (task: segmentation)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """Allow ``data: digits`` as well as a mapping."""
        return {"source": value} if isinstance(value, str) else value
