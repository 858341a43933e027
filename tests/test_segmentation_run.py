"""``task: segmentation`` through ``dlw run``: config checks, the run folder, the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from dlworkflow.config import load_config
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.segmentation import segmentation_scores
from dlworkflow.experiments import prepare, run
from dlworkflow.experiments.segmentation import prepare_segmentation
from tests.conftest import run_dlw

TINY = {
    "name": "tiny-seg",
    "task": "segmentation",
    "data": {"source": "shapes", "options": {"count": 40, "size": 32}},
    "model": {"zoo": "unet", "options": {"filters": 4, "depth": 2}},
    "compile": {"loss": "pixel_ce+dice", "optimizer": {"name": "adam", "lr": 0.01}},
    "train": {"epochs": 2, "batch_size": 8, "checkpoint": {"monitor": "val_mean_iou"}},
}


def _with(**changes) -> dict:
    config = json.loads(json.dumps(TINY))
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = config
        for key in path:
            node = node.setdefault(key, {})
        node[last] = value
    return config


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (_with(model={"zoo": "mlp"}), "model.zoo: task segmentation needs a per-pixel model"),
        (_with(compile__loss="mse"), "compile.loss: 'mse' is not a segmentation loss"),
        (_with(compile__metrics=["accuracy"]), "compile.metrics: segmentation always logs"),
        (
            _with(train__checkpoint={"monitor": "val_dice"}),
            "train.checkpoint.monitor: 'val_dice' is not logged",
        ),
        (_with(data__source="digits"), "data.source: 'digits' is not a segmentation source"),
        (_with(data__scale="standard"), "data.scale: segmentation scales pixels to \\[0, 1\\]"),
        (
            _with(model__options={"filters": 4, "depth": 6}),
            "height and width must be multiples of 64",
        ),
        (
            {**_with(data__augment={"copies": 1}), "task": "auto"},
            "data.augment.copies applies to task: segmentation only",
        ),
    ],
)
def test_bad_segmentation_configs_are_refused_before_anything_is_written(
    tmp_path: Path, config: dict, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        run(config, runs_dir=tmp_path)
    assert not (tmp_path / "tiny-seg").exists()


def test_sigmoid_head_for_two_classes_takes_masks_with_a_channel_axis() -> None:
    config = load_config(
        _with(data={"source": "unet_membrane", "options": {"image_size": 32}}, compile__loss="dice")
    )
    prepared = prepare_segmentation(config)
    assert prepared.model.output_shape == (None, 32, 32, 1)
    x, y = prepared.arrays(prepared.dataset.train)
    assert x.dtype == np.float32 and x.max() <= 1.0 and y.shape == (*x.shape[:3], 1)


@pytest.mark.slow
def test_a_segmentation_run_folder_holds_what_it_reports(tmp_path: Path) -> None:
    config_path = tmp_path / "seg.yaml"
    config_path.write_text(yaml.safe_dump(_with(data__augment={"copies": 1})))
    result = run_dlw("run", str(config_path), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "runs" / "tiny-seg"
    metrics = json.loads((folder / "metrics.json").read_text())
    data = json.loads((folder / "data.json").read_text())
    assert data["task"] == "segmentation" and data["splits"]["train"]["size"] == 28
    with np.load(folder / "predictions.npz", allow_pickle=False) as saved:
        truth, predicted = saved["y_true"], saved["y_pred"]
    assert truth.shape == (8, 32, 32) == predicted.shape
    again = segmentation_scores(truth, predicted, 3)
    assert metrics["mean_iou"] == pytest.approx(again["mean_iou"])
    assert metrics["evaluation"]["confusion"] == again["confusion"]
    assert metrics["keras_mean_iou"] == pytest.approx(metrics["mean_iou"], abs=1e-5)
    assert len(metrics["evaluation"]["worst"]) == 6
    history = (folder / "history.csv").read_text().splitlines()
    assert len(history) == 3 and "val_mean_iou" in history[0]
    diagnostics = json.loads((folder / "diagnostics.json").read_text())
    assert "mean_iou_end" in diagnostics["learnability"]
    for name in (
        "class_pixels.svg",
        "mask_samples.png",
        "mask_predictions.png",
        "worst_masks.png",
        "pixel_confusion.svg",
        "training_curves.svg",
    ):
        assert (folder / "figures" / name).is_file(), name
    report = (folder / "report.html").read_text()
    assert "The worst images by mean IoU" in report and "mean IoU" in report
    assert "pixel confusion matrix" in report


@pytest.mark.parametrize(
    ("name", "params"), [("unet_shapes.yaml", 484_179), ("unet_membrane.yaml", 1_945_233)]
)
def test_segmentation_examples_are_valid(name: str, params: int) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    prepared = prepare(load_config(examples / name))
    assert prepared.model.count_params() == params
    assert prepared.dataset.task == "segmentation"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory):
    """One epoch of a tiny U-Net on shapes, trained in this process."""
    config = _with(train__epochs=1, train__learnability=False)
    return run(config, runs_dir=tmp_path_factory.mktemp("runs"))


def test_predict_writes_the_runs_own_masks_for_its_test_images(tiny_run, tmp_path: Path) -> None:
    from PIL import Image

    from dlworkflow.experiments.predict_masks import predict_masks

    test = tiny_run.dataset.test
    paths = []
    for i in (0, 3):
        paths.append(tmp_path / f"test{i}.png")
        Image.fromarray(test.x[i]).save(paths[-1])
    big = tmp_path / "big.png"  # another size: the mask comes back at the image's size
    Image.fromarray(test.x[1]).resize((48, 40)).save(big)
    results = predict_masks(tiny_run.folder, [*paths, big], tmp_path / "out")
    with np.load(tiny_run.folder / "predictions.npz", allow_pickle=False) as saved:
        expected = saved["y_pred"]
    for i, entry in zip((0, 3), results, strict=False):
        assert np.array_equal(np.asarray(Image.open(entry["mask"])), expected[i])
    big_mask = np.asarray(Image.open(results[2]["mask"]))
    assert big_mask.shape == (40, 48) and big_mask.max() < 3
    assert np.asarray(Image.open(results[2]["overlay"])).shape == (40, 48, 3)
    assert json.loads((tmp_path / "out" / "masks.json").read_text())["classes"] == [
        "background",
        "disc",
        "square",
    ]


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ([], "give 1 to 1000 image files"),
        (["missing.png"], "missing.png: image file does not exist"),
        (["a/x.png", "b/x.jpg"], "two images are named x"),
    ],
)
def test_predict_refuses_bad_images(tiny_run, tmp_path: Path, images, message: str) -> None:
    from dlworkflow.experiments.predict_masks import predict_masks

    with pytest.raises(BadInput, match=message):
        predict_masks(tiny_run.folder, [tmp_path / p for p in images], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_explain_refuses_a_segmentation_run(tiny_run) -> None:
    from dlworkflow.interpret.explain import explain_run

    with pytest.raises(BadInput, match="a segmentation run; explain it with dlw predict"):
        explain_run(tiny_run.folder, ["test:1"], None, None, None, None, None, None)


def test_dlw_predict_command(tiny_run, tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "one.png"
    Image.fromarray(tiny_run.dataset.test.x[0]).save(image)
    done = run_dlw("predict", str(tiny_run.folder), str(image), "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "one_mask.png" in done.stdout and (tmp_path / "out" / "one_overlay.png").is_file()
    refused = run_dlw("predict", str(tiny_run.folder), "nope.png", cwd=tmp_path)
    assert refused.returncode == 2 and "nope.png: image file does not exist" in refused.stderr


def test_compare_ranks_segmentation_runs_by_test_mean_iou(tiny_run, tmp_path: Path) -> None:
    from dlworkflow.compare import compare_runs

    other = run(
        _with(name="tiny-dice", compile__loss="dice", train__epochs=1, train__learnability=False),
        runs_dir=tmp_path,
    )
    comparison = compare_runs([tiny_run.folder, other.folder])
    assert comparison.main == "test_mean_iou"
    for row, result in zip(comparison.rows, (tiny_run, other), strict=True):
        assert row.numbers["test_mean_iou"] == result.metrics["mean_iou"]
        assert row.numbers["test_mean_dice"] == result.metrics["mean_dice"]


def test_membrane_run_with_one_sigmoid_names_the_worst_files(tmp_path: Path) -> None:
    config = _with(
        name="tiny-membrane",
        data={"source": "unet_membrane", "options": {"image_size": 32}},
        train__epochs=1,
        train__learnability=False,
    )
    result = run(config, runs_dir=tmp_path)
    evaluation = result.metrics["evaluation"]
    test_files = result.dataset.files["test"]
    assert len(test_files) == 6 and evaluation["class_names"] == ["membrane", "cell"]
    assert all(entry["file"] == test_files[entry["index"]] for entry in evaluation["worst"])
    # Keras' BinaryIoU over the sigmoid output agrees with the confusion-matrix mean IoU
    assert result.metrics["keras_mean_iou"] == pytest.approx(evaluation["mean_iou"], abs=1e-5)
    assert test_files[0] in (result.folder / "report.html").read_text()


def test_predict_with_cam_writes_a_heatmap_per_image(tiny_run, tmp_path: Path) -> None:
    from PIL import Image

    from dlworkflow.experiments.predict_masks import predict_masks

    image = tmp_path / "one.png"
    Image.fromarray(tiny_run.dataset.test.x[0]).save(image)
    entry = predict_masks(tiny_run.folder, [image], tmp_path / "out", cam="disc")[0]
    assert entry["cam"].endswith("one_cam_disc.png")
    assert np.asarray(Image.open(entry["cam"])).shape == (32, 32, 3)
    with pytest.raises(BadInput, match="--cam: 'cat' is not a class of this run"):
        predict_masks(tiny_run.folder, [image], tmp_path / "out", cam="cat")
