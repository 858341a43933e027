"""The ``dlw`` command in a fresh process: the default run, the survey, and bad input."""

import json
from pathlib import Path

import pytest
import yaml

from .conftest import DATA_HOME, run_dlw


def test_default_run_on_digits(tmp_path: Path):
    result = run_dlw("run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "runs" / "digits-mlp"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["split"] == "test" and metrics["accuracy"] >= 0.95
    assert (folder / "model.keras").is_file() and (folder / "predictions.npz").is_file()
    assert "accuracy" in result.stdout and str(Path("runs") / "digits-mlp") in result.stdout
    assert "step_seconds" not in result.stdout and "{'" not in result.stdout  # no raw dicts


def test_data_survey_writes_figures(tmp_path: Path):
    result = run_dlw("data", "digits", "--out", "figs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1258" in result.stdout and "class counts" in result.stdout
    assert {p.name for p in (tmp_path / "figs").iterdir()} == {
        "class_distribution.svg",
        "samples.png",
    }
    csv_result = run_dlw(
        "data", f"csv:{DATA_HOME / 'course/L2/dataset.csv'}", "-o", "target=Cho vay", cwd=tmp_path
    )
    assert csv_result.returncode == 0, csv_result.stderr
    assert "scatter.svg" in csv_result.stdout


def write(tmp_path: Path, config: dict | str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    return str(path)


SOFTMAX_BCE = {
    "model": {"layers": ["Flatten", {"Dense": {"units": 10, "activation": "softmax"}}]},
    "compile": {"loss": "binary_crossentropy"},
}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (None, "config file does not exist"),
        ("name: x\ntrain: {epochs: 3\n", "not valid YAML"),
        ({"trian": {"epochs": 3}}, "trian: unknown key"),
        (SOFTMAX_BCE, "binary_crossentropy with a softmax over 10 classes"),
        (
            {"model": {"layers": ["Flatten", {"Dense": {"units": 8, "activation": "softmax"}}]}},
            "the last layer has 8 units but the data has 10 classes",
        ),
        ({"data": {"source": "csv:missing.csv"}}, "missing.csv does not exist"),
        ({"model": {"zoo": "resnet"}}, "model.zoo: unknown model 'resnet'"),
        (
            {"data": {"split": {"val": 0}}},
            "train.checkpoint.monitor: 'val_loss' needs a validation",
        ),
        ({"train": {"checkpoint": {"monitor": "val_f1"}}}, "'val_f1' is not logged"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_run_folder(tmp_path: Path, config, expected):
    path = str(tmp_path / "absent.yaml") if config is None else write(tmp_path, config)
    result = run_dlw("run", path, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert Path(path).name in lines[0] or config is None
    assert not (tmp_path / "runs").exists()


def test_corrupt_image_in_a_folder_dataset(tmp_path: Path, image_folder: Path):
    (image_folder / "cat" / "bad.png").write_bytes(b"\x89PNG broken")
    path = write(tmp_path, {"data": {"source": f"folder:{image_folder}"}})
    result = run_dlw("run", path, cwd=tmp_path)
    assert result.returncode == 2 and "bad.png" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_usage_errors_exit_2(tmp_path: Path):
    assert run_dlw("run", "--bogus", cwd=tmp_path).returncode == 2
    assert run_dlw("data", "nosuchdata", cwd=tmp_path).returncode == 2
    assert run_dlw("data", "circles", "-o", "noise", cwd=tmp_path).returncode == 2


def test_model_command_prints_the_table_and_draws(tmp_path: Path):
    result = run_dlw("model", "alexnet", "--out", "drawings", "--csv", "alexnet.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "62,378,344" in result.stdout
    assert "96·(11·11·3+1) = 34,944" in result.stdout
    drawings = {p.name for p in (tmp_path / "drawings").iterdir()}
    assert drawings == {"architecture.svg", "model_graph.svg", "model_graph.png"}
    assert (tmp_path / "alexnet.csv").read_text().count("\n") == 15  # header + 14 layers


def test_model_command_without_graphviz_still_writes_the_rest(tmp_path: Path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    result = run_dlw("model", "notes_cnn", "--out", "d", cwd=tmp_path, env={"PATH": str(empty)})
    assert result.returncode == 0, result.stderr
    assert "apt-get install graphviz" in result.stderr
    assert {p.name for p in (tmp_path / "d").iterdir()} == {"architecture.svg"}


def test_model_command_bad_targets(tmp_path: Path):
    result = run_dlw("model", "resnet9", cwd=tmp_path)
    assert result.returncode == 2 and "not a .keras file, a .yaml config or a zoo model" in (
        result.stderr
    )
    assert run_dlw("model", "lenet5", "--input-shape", "8,8", cwd=tmp_path).returncode == 2
    assert run_dlw("model", "x.keras", cwd=tmp_path).returncode == 2


def test_lr_find_prints_suggestions_and_draws(tmp_path: Path):
    path = write(tmp_path, {"name": "lr", "data": {"source": "digits"}, "model": "mlp"})
    result = run_dlw("lr-find", path, "--out", "lr", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "recommended:" in result.stdout and "minimum/10" in result.stdout
    assert (tmp_path / "lr" / "lr_finder.svg").stat().st_size > 5000
    assert run_dlw("lr-find", path, "--start", "1", "--end", "0.1", cwd=tmp_path).returncode == 2
