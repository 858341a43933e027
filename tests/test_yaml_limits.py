"""Configs from someone else: YAML read within limits, empty and out-of-range refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlworkflow.config import load_config
from dlworkflow.errors import BadInput
from dlworkflow.runfolder import read_yaml

BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    + ["data: {options: {bomb: *a11}}"]
)

CASES = {
    "empty file": ("", "the config is empty"),
    "only a comment": ("# nothing here\n", "the config is empty"),
    "alias bomb in a section": (BOMB, "once its aliases are expanded"),
    "deep nesting": ("data: {options: {x: " + "[" * 200 + "]" * 200 + "}}", "nested deeper"),
    "huge file": ("name: x\n" + "# " + "y" * 1_100_000 + "\n", "larger than"),
    "negative seed": ("seed: -1\n", "seed"),
    "huge seed": ("seed: 99999999999999\n", "seed"),
    "negative data seed": ("data: {source: digits, seed: -5}\n", "data.seed"),
    "not a mapping": ("- a\n- b\n", "top level must be a mapping"),
    "bad YAML": ("name: [unclosed\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_configs_are_refused_in_one_line(case: str, tmp_path: Path):
    text, message = CASES[case]
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=message) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]  # nothing written


def test_a_crafted_run_folder_config_is_read_within_the_same_limits(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(BOMB, encoding="utf-8")
    with pytest.raises(BadInput, match="aliases are expanded"):
        read_yaml(path)


def test_a_legal_config_with_aliases_still_loads(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "name: a\ncompile: {optimizer: {name: adam, lr: &lr 0.01}}\ntrain: {lr: *lr}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.train.lr == config.compile.optimizer.lr == 0.01
