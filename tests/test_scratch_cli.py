"""``dlw scratch …``: run folders that ``dlw report``/``dlw compare`` read, the notes'
numbers and the Keras comparison printed, and one-line refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dlworkflow.runfolder import read_run

from .conftest import run_dlw


def _png(path: Path, size: tuple[int, int] = (24, 20)) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(path)
    return path


def test_backprop_example_prints_the_notes_numbers_and_keras(tmp_path: Path):
    result = run_dlw("scratch", "backprop-example", "--runs-dir", "runs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for value in ("0.867", "0.367", "0.206", "0.228", "0.09", "0.043", "0.045", "0.0215"):
        assert value in text
    for value in ("0.4955", "0.99785", "-0.009", "-0.0043", "0.9794", "0.4772", "0.9633"):
        assert value in text
    assert "0.0216" in text and "0.99784" in text  # where the notes' rounding moved a digit
    assert "Keras: agrees" in text
    folder = tmp_path / "runs" / "scratch-backprop"
    record = read_run(folder)  # an ordinary run folder
    assert len(record.history["loss"]) == 5
    assert np.allclose(record.history["loss"], record.history["keras_loss"], atol=1e-6)
    lesson = json.loads((folder / "scratch.json").read_text())
    keras_table = next(t for t in lesson["tables"] if t["id"] == "keras")
    assert all(row[4] == "✓" for row in keras_table["rows"])
    page = (folder / "report.html").read_text()
    assert "0.9978447" in page and "data:image/svg+xml;base64," in page
    (folder / "report.html").unlink()
    rebuilt = run_dlw("report", str(folder), cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0.9978447" in (folder / "report.html").read_text()


def test_conv_shows_input_kernel_output_and_keras(tmp_path: Path):
    image = _png(tmp_path / "photo.png")
    result = run_dlw(
        "scratch", "conv", str(image), "--kernel", "sharpen", "--runs-dir", "runs", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "keras Conv2D: max |diff| 0" in result.stdout
    assert "conv2d by loops: max |diff| 0" in result.stdout
    folder = tmp_path / "runs" / "scratch-conv-sharpen"
    assert (folder / "figures" / "convolution.svg").is_file()
    assert "kernel sharpen" in (folder / "figures" / "convolution.svg").read_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "folder", "printed"),
    [
        (["linear"], "scratch-linear", "price at 50: 755.688 (normal equation 753.490)"),
        (["logistic"], "scratch-logistic", "accuracy (all rows): 0.950"),
        (["xor"], "scratch-xor", "accuracy: 1.00"),
        (["activations"], "scratch-activations", "softmax"),
    ],
)
def test_each_lesson_runs_with_keras(tmp_path: Path, args, folder, printed):
    result = run_dlw("scratch", *args, "--runs-dir", "runs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert printed in result.stdout
    assert "✗" not in result.stdout  # every hand value agrees with Keras
    assert (tmp_path / "runs" / folder / "report.html").is_file()


def test_lessons_are_run_folders_that_compare(tmp_path: Path):
    from dlworkflow.compare import compare_runs
    from dlworkflow.experiments.scratch_folder import write_lesson
    from dlworkflow.scratch.data import course_file
    from dlworkflow.scratch.lessons import linear

    csv = course_file("L1/data_linear.csv")
    folders = [
        write_lesson(linear(csv, lr=lr, keras=False), tmp_path / "runs") for lr in (1e-6, 5e-7)
    ]
    assert [f.name for f in folders] == ["scratch-linear", "scratch-linear-2"]
    comparison = compare_runs(folders)
    assert comparison.varied == ["lr"]
    assert comparison.rows[0].numbers["test_loss"] < comparison.rows[1].numbers["test_loss"]
    assert read_run(folders[0]).metrics["epochs_run"] == 100


BAD = {
    "no-column": "a,b\n1,2\n",
    "not-a-number": "Diện tích,Giá\n30,448\n32,abc\n",
    "no-rows": "Diện tích,Giá\n",
    "logistic-labels": "Lương,Thời gian làm việc,Cho vay\n10,1,2\n5,2,0\n",
}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["linear", "--csv", "{no-column}"],
            "no-column.csv: no column 'Diện tích'; its columns: a, b",
        ),
        (["linear", "--csv", "{not-a-number}"], "column 'Giá' row 3: 'abc' is not a finite number"),
        (["linear", "--csv", "{no-rows}"], "no-rows.csv: no data rows"),
        (["linear", "--csv", "missing.csv"], "missing.csv: CSV file does not exist"),
        (["linear", "--csv", "{binary}"], "binary.csv: not a UTF-8 CSV file"),
        (["linear", "--lr", "0"], "--lr: 0 must be above 0"),
        (["linear", "--lr", "1"], "--lr: 1 makes gradient descent diverge"),
        (["logistic", "--csv", "{no-column}"], "no-column.csv: no column 'Lương'"),
        (["logistic", "--csv", "{logistic-labels}"], "column 'Cho vay' must hold 0 and 1"),
        (["logistic", "--features", "Lương"], "--features: 'Lương' is not two column names"),
        (["xor", "--csv", "{no-column}"], "no-column.csv: no column 'x1'"),
        (["xor", "--activation", "softmax"], "--activation: 'softmax' is not one of"),
        (["backprop-example", "--steps", "0"], "--steps: 0 must be above 0"),
        (["conv", "{image}", "--kernel", "sobel"], "--kernel: 'sobel' is not a kernel; use one of"),
        (["conv", "{no-column}"], "no-column.csv: not an image Pillow can read"),
        (["conv", "nothing.png"], "nothing.png: image file does not exist"),
        (["conv", "{tiny}"], "tiny.png: 2×2 pixels; need at least 3×3"),
        (["conv", "{image}", "--padding", "full"], "--padding: 'full' is not 'same' or 'valid'"),
        (["conv", "{image}", "--stride", "0"], "--stride: 0 must be above 0"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_run_folder(tmp_path: Path, args, expected):
    files = {name: tmp_path / f"{name}.csv" for name in BAD}
    for name, text in BAD.items():
        files[name].write_text(text, encoding="utf-8")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81,\x00\n")
    files["binary"] = tmp_path / "binary.csv"
    files["image"] = _png(tmp_path / "image.png")
    files["tiny"] = _png(tmp_path / "tiny.png", (2, 2))
    args = [arg.format(**{k: str(v) for k, v in files.items()}) for arg in args]
    result = run_dlw("scratch", *args, "--runs-dir", "runs", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert not (tmp_path / "runs").exists()


def test_missing_course_data_names_the_variable(tmp_path: Path):
    result = run_dlw("scratch", "xor", cwd=tmp_path, env={"DLW_DATA_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "course/L4/xor.csv: the course's file is missing; set $DLW_DATA_HOME" in result.stderr


def test_images_above_the_pixel_cap_are_refused_before_decoding(tmp_path: Path, monkeypatch):
    from dlworkflow.errors import BadInput
    from dlworkflow.scratch import data

    image = _png(tmp_path / "big.png", (20, 30))
    monkeypatch.setattr(data, "MAX_PIXELS", 500)
    with pytest.raises(BadInput, match=r"big.png: 30×20 pixels, more than 500; resize it first"):
        data.read_gray_image(image)
