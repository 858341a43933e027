"""``model:`` of the experiment config: a zoo name with options, or a list of layers."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from dlworkflow.validation import StrictModel, shorthand


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

    _shorthand = model_validator(mode="before")(shorthand("zoo"))
