from pathlib import Path

import pytest

from dlworkflow.config import load_config
from dlworkflow.errors import BadInput


def test_default_config_is_the_digits_experiment():
    config = load_config()
    assert config.data.source == "digits"
    assert config.model.zoo == "mlp"
    assert "source: digits" in config.to_yaml()


def test_shorthands_expand():
    config = load_config(
        {
            "data": "circles",
            "model": "mlp",
            "compile": {"optimizer": "sgd"},
            "train": {"early_stopping": True},
        }
    )
    assert config.data.source == "circles"
    assert config.compile.optimizer.name == "sgd"
    assert config.train.early_stopping.patience == 5


def test_resolved_yaml_round_trips(tmp_path: Path):
    config = load_config({"name": "x", "data": {"source": "moons", "limit": 50}})
    path = tmp_path / "c.yaml"
    path.write_text(config.to_yaml())
    assert load_config(path) == config


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"epochs": 3}, "config: epochs: unknown key"),
        ({"train": {"epochs": 0}}, "train.epochs: Input should be greater than or equal to 1"),
        ({"train": {"batch_size": "big"}}, "train.batch_size"),
        ({"model": {"zoo": "mlp", "layers": [{"Dense": {"units": 1}}]}}, "model: give exactly one"),
        ({"model": {"layers": ["Flatten"], "options": {"x": 1}}}, "'options' belong to a zoo"),
        ({"compile": {"optimizer": {"lr": 0}}}, "compile.optimizer.lr"),
        ({"data": {"split": {"val": 0.5, "test": 0.45}}}, "data.split: val + test"),
        ({"data": {"scale": "minmax"}}, "data.scale"),
        ({"data": {"sorce": "digits"}}, "data.sorce: unknown key"),
        ({"name": "my run"}, "name: String should match pattern"),
        ({"train": {"reduce_lr": {"factor": 2}}}, "train.reduce_lr.factor"),
    ],
)
def test_errors_name_the_key(mapping, expected):
    with pytest.raises(BadInput) as error:
        load_config(mapping)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(BadInput, match="config file does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ndata:\n  source: [digits\n")
    with pytest.raises(BadInput) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert "line" in str(error.value)


def test_top_level_must_be_a_mapping(tmp_path: Path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(BadInput, match="top level must be a mapping"):
        load_config(path)


def test_an_empty_file_is_refused_not_trained_as_the_defaults(tmp_path: Path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(BadInput, match="the config is empty"):
        load_config(path)


def test_error_paths_keep_keys_that_start_like_type_names():
    from pydantic import BaseModel, ValidationError

    from dlworkflow.validation import first_error

    class Layer(BaseModel):
        strides: int

    with pytest.raises(ValidationError) as error:
        Layer(strides="wide")
    assert first_error(error.value, "model").startswith("model.strides: ")
