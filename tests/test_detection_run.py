"""The detection task through dlw run: a YOLO folder written here trains and reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from dlworkflow.data.shapes import render_shapes
from dlworkflow.errors import BadInput
from dlworkflow.experiments import run
from tests.conftest import run_dlw


def write_shapes_as_yolo(root: Path, count: int) -> Path:
    """Synthetic scenes saved in the LabelImg / darknet layout."""
    scenes = render_shapes(count=count, size=32, min_size=8, max_size=14, seed=1)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "data.yaml").write_text(yaml.safe_dump({"names": scenes.class_names}))
    for i in range(count):
        Image.fromarray(scenes.images[i]).save(root / "images" / f"scene{i}.png")
        boxes, lines = scenes.boxes[i] / 32, []
        for (x1, y1, x2, y2), label in zip(boxes, scenes.labels[i], strict=True):
            lines.append(
                f"{label} {(x1 + x2) / 2:.6f} {(y1 + y2) / 2:.6f} {x2 - x1:.6f} {y2 - y1:.6f}"
            )
        (root / "labels" / f"scene{i}.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.slow
def test_a_yolo_folder_trains_and_reports(tmp_path: Path) -> None:
    folder = write_shapes_as_yolo(tmp_path / "yolo", 24)
    config = {
        "name": "yolo-demo",
        "task": "detection",
        "data": {"source": f"yolo:{folder}", "image_size": 32, "split": {"val": 0.2, "test": 0.2}},
        "model": {"width": 8},
        "train": {"epochs": 1, "batch_size": 8},
    }
    config_path = tmp_path / "detect.yaml"
    config_path.write_text(yaml.safe_dump(config))
    result = run_dlw("run", str(config_path), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    run_folder = tmp_path / "runs" / "yolo-demo"
    metrics = json.loads((run_folder / "metrics.json").read_text())
    assert 0 <= metrics["map50"] <= 1 and metrics["evaluation"]["images"] == 5
    assert set(metrics["evaluation"]["per_class"]) <= {"circle", "square", "triangle"}
    mistakes = json.loads((run_folder / "mistakes.json").read_text())
    costs = [entry["map50_cost"] for entry in mistakes]
    assert costs == sorted(costs, reverse=True)
    predictions = json.loads((run_folder / "predictions.json").read_text())
    assert len(predictions) == 5 and all(
        np.all(np.asarray(p["scores"]) >= 0.05) for p in predictions
    )
    report = (run_folder / "report.html").read_text()
    assert "mAP@0.5" in report and 'id="mistake-list"' in report
    assert "data:image/svg+xml;base64," in report
    for name in ("box_survey.svg", "box_grid.png", "pr_curves.svg", "detection_confusion.svg"):
        assert (run_folder / "figures" / name).is_file()
    assert "mAP@0.5" in result.stdout
    (run_folder / "report.html").unlink()
    again = run_dlw("report", str(run_folder), cwd=tmp_path)  # dlw report knows the task
    assert again.returncode == 0, again.stderr[-2000:]
    assert 'id="mistake-list"' in (run_folder / "report.html").read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data": {"source": "shapes", "image_size": 30}}, "data.image_size: .*multiples of 4"),
        ({"compile": {"loss": "mse"}}, "compile: .*own loss"),
        ({"train": {"checkpoint": {"monitor": "val_accuracy"}}}, "train.checkpoint.monitor"),
        ({"predict": {"score_threshold": 1.5}}, "predict.score_threshold"),
        ({"data": {"source": "voc:/nowhere"}}, "/nowhere: a VOC folder needs"),
        ({"model": {"depth": 3}}, "model.depth: unknown key"),
    ],
)
def test_bad_detection_configs_are_refused_before_a_folder(
    tmp_path: Path, change: dict, message: str
) -> None:
    config = {"name": "bad", "task": "detection", "data": {"options": {"count": 20}}, **change}
    with pytest.raises(BadInput, match=message):
        run(config, runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_a_saved_model_serves_as_a_frozen_backbone(tmp_path: Path) -> None:
    import keras

    from dlworkflow.experiments.detection import prepare_detection
    from dlworkflow.experiments.detection_config import DetectionConfig
    from dlworkflow.models.detector import grid_stride

    small = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    small.save(tmp_path / "small.keras")
    config = DetectionConfig.model_validate(
        {
            "data": {"options": {"count": 12}, "image_size": 32},
            "model": {"width": 8, "backbone": str(tmp_path / "small.keras")},
        }
    )
    prepared = prepare_detection(config)
    model = prepared.model
    assert grid_stride(model) == 4 and model.output_shape[1:] == (8, 8, 3 + 4)
    backbone = model.get_layer("backbone")
    assert not any(w.trainable for w in backbone.weights)
    kernel = [layer for layer in backbone.layers if layer.name.endswith("_base")][0]
    np.testing.assert_array_equal(kernel.get_weights()[0], small.layers[0].get_weights()[0])


def test_dlw_run_refuses_a_bad_label_line_with_exit_2(tmp_path: Path) -> None:
    folder = write_shapes_as_yolo(tmp_path / "yolo", 4)
    (folder / "labels" / "scene2.txt").write_text("0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n")
    config_path = tmp_path / "detect.yaml"
    config_path.write_text(
        yaml.safe_dump({"name": "bad", "task": "detection", "data": {"source": f"yolo:{folder}"}})
    )
    result = run_dlw("run", str(config_path), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert result.returncode == 2
    assert "scene2.txt line 2: class id 5 is not one of 0..2" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()
