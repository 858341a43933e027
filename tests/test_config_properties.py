"""Property tests of config validation: whatever a config file from someone else holds,
``load_config`` either accepts it or refuses it with one ``BadInput`` line — never
another exception, a traceback, or a message spread over several lines.

Each case starts from a shipped example (or the digits default) and replaces one or two
of its settings, or adds an unknown one, with an arbitrary YAML-like value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlworkflow.config import DEFAULT_EXPERIMENT, load_config
from dlworkflow.errors import BadInput
from dlworkflow.keypaths import flatten, with_overrides

from .conftest import REPO


def _bases() -> list[dict[str, Any]]:
    """The digits default and every shipped single-run example of the ordinary runner."""
    bases = [DEFAULT_EXPERIMENT]
    for path in sorted((REPO / "examples").glob("*.yaml")):
        mapping = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if "sweep" in mapping or mapping.get("task") == "detection":
            continue
        bases.append(mapping)
    return bases


BASES = _bases()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["auto", "relu", "adam", "unit", "best", "", "-1", "1e309", "none"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated_configs(draw) -> dict[str, Any]:
    base = draw(st.sampled_from(BASES))
    keys = sorted(flatten(base))
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True))
    config = with_overrides(base, {key: draw(values) for key in chosen})
    if draw(st.booleans()):  # an unknown key at the top or in a section
        section = draw(
            st.sampled_from([None, *[k for k, v in config.items() if isinstance(v, dict)]])
        )
        target = config if section is None else config[section]
        target[draw(st.text(min_size=1, max_size=10))] = draw(values)
    return config


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs())
def test_any_mutated_config_is_accepted_or_refused_in_one_line(config: dict[str, Any]) -> None:
    try:
        accepted = load_config(config)
    except BadInput as refusal:
        message = str(refusal)
        assert message.isprintable() and "Traceback" not in message  # one line, no escapes
        assert len(message) < 600
        return
    for name, value in flatten(accepted.model_dump()).items():  # nothing non-finite got in
        if isinstance(value, float):
            assert math.isfinite(value), name


@pytest.mark.parametrize("key", ["a\nb", "x\x1b[31mred", "tab\there"])
def test_an_unknown_key_with_control_characters_is_shown_escaped(key: str) -> None:
    with pytest.raises(BadInput) as refusal:
        load_config({**DEFAULT_EXPERIMENT, "data": {**DEFAULT_EXPERIMENT["data"], key: 1}})
    assert str(refusal.value).isprintable()
    assert repr(key) in str(refusal.value)


@pytest.mark.parametrize("base", range(len(BASES)))
def test_every_base_is_valid(base: int) -> None:
    """The mutations start from valid configs, so a refusal is the mutation's doing."""
    load_config(BASES[base])
