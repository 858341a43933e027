"""Transfer learning: backbone preprocessing and cutting, folded heads, the four-way advice,
bad input refused before any work, and both methods end to end on tiny images."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification

import dlworkflow
from dlworkflow.errors import BadInput
from dlworkflow.experiments.other_data import evaluate_run
from dlworkflow.interpret import explain_run
from dlworkflow.transfer.advice import four_way_advice
from dlworkflow.transfer.backbone import _mode, preprocess_layer
from dlworkflow.transfer.finetune import unfreeze_targets
from dlworkflow.transfer.head_store import load_knn_head
from dlworkflow.transfer.heads import grid_search, head_scores, keras_head
from dlworkflow.transfer.spec import FeatureSpec

from .conftest import run_dlw
from .html_parse import ReportPage


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_layer_is_keras_preprocess_input(mode: str):
    x = np.random.default_rng(0).uniform(0, 255, (2, 5, 5, 3)).astype(np.float32)
    expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), mode=mode)
    got = np.asarray(preprocess_layer(_mode(mode), 3)(x))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("head", "classes", "extra"),
    [
        ("logistic_regression", 3, {"standardize": True, "pca": 0.9}),
        ("logistic_regression", 2, {"pca": 4}),
        ("linear_svm", 3, {"standardize": True}),
        ("dense", 3, {"standardize": True, "pca": 5, "grid": {"units": [8], "epochs": [3]}}),
    ],
)
def test_keras_head_gives_the_pipeline_scores(head: str, classes: int, extra: dict):
    x, y = make_classification(120, 12, n_informative=6, n_classes=classes, random_state=0)
    spec = FeatureSpec(**{"head": head, "grid": {"C": [0.1, 1.0]}, "cv": 2, **extra})
    search, rows = grid_search(spec, x, y, seed=0)
    assert sorted(row["rank"] for row in rows)[0] == 1
    inputs = keras.Input((12,))
    model = keras.Model(inputs, keras_head(search.best_estimator_, inputs))
    expected = head_scores(search.best_estimator_, x)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-4)


def test_knn_head_scores_are_neighbour_votes():
    x, y = make_classification(90, 6, n_informative=4, n_classes=3, random_state=1)
    spec = FeatureSpec(head="knn", cv=2)
    search, rows = grid_search(spec, x, y, seed=0)
    assert [row["params"]["n_neighbors"] for row in rows] == [1, 3, 5, 9]
    k = search.best_params_["head__n_neighbors"]
    scores = head_scores(search.best_estimator_, x)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    assert set(np.unique(np.round(scores * k, 6))) <= set(range(k + 1))


def test_unfreeze_by_count_layer_or_block():
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    notes = [layer.name for layer in vgg.layers[15:]]  # the notes' layers[15:]
    for unfreeze in (4, "block5_conv1", "block5"):
        assert [layer.name for layer in unfreeze_targets(vgg, unfreeze)] == notes


def test_four_way_advice():
    small_similar = four_way_advice(1088, 17, "flowers17", "imagenet")
    assert small_similar["recommended"] == "features" and small_similar["similar"] is True
    large_different = four_way_advice(50000, 10, "mnist", "imagenet")
    assert large_different["recommended"] == "fine_tune" and large_different["similar"] is False
    assert "pretrained weights" in large_different["advice"][0]
    stated = four_way_advice(200, 2, "my_xrays", "imagenet", similar=False)
    assert stated["recommended"] == "features" and "earlier" in stated["advice"][0]
    unknown = four_way_advice(200, 2, "my_xrays", None)
    assert unknown["recommended"] is None and len(unknown["advice"]) == 2


@pytest.fixture(scope="module")
def backbone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny conv net with BatchNormalization, saved as a .keras file (16×16 RGB)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv_a"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.Conv2D(6, 3, activation="relu", name="conv_b"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(3, activation="softmax", name="old_head"),
        ],
        name="tiny",
    )
    path = tmp_path_factory.mktemp("backbone") / "tiny.keras"
    model.save(path)
    return path


def _config(image_folder: Path, backbone: Path, **transfer) -> dict:
    return {
        "name": "tl",
        "data": {
            "source": f"folder:{image_folder}",
            "options": {"image_size": 16},
            "split": {"val": 0.2, "test": 0.3},
        },
        "train": {"epochs": 1, "batch_size": 8, "learnability": False},
        "transfer": {"backbone": {"source": str(backbone)}, **transfer},
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"backbone": {"cut": "conv_z"}}, "no layer 'conv_z'; candidates: conv_a, bn, conv_b"),
        ({"features": {"grid": {"Cee": [1]}}}, "grid.Cee: not a parameter of LogisticRegression"),
        ({"features": {"grid": {"C": [1.0, -1]}}}, "{'C': -1} is refused"),
        (
            {"features": {"head": "dense", "grid": {"dropout": [1.5]}}},
            "{'dropout': 1.5} is refused",
        ),
        ({"backbone": {"source": "vgg16"}}, "imagenet needs Keras to download"),
        (
            {"method": "fine_tune", "fine_tune": {"stage2": {"unfreeze": "conv_q"}}},
            "unfreeze: the base has no layer or block 'conv_q'",
        ),
    ],
)
def test_bad_transfer_input_is_refused_before_any_work(
    tmp_path: Path, image_folder: Path, backbone: Path, change: dict, message: str
):
    config = _config(image_folder, backbone)
    for key, value in change.items():
        current = config["transfer"].get(key)
        config["transfer"][key] = {**current, **value} if isinstance(current, dict) else value
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace("{", r"\{")):
        dlworkflow.run(config, runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_cli_names_both_shapes_and_offers_the_resize(
    tmp_path: Path, image_folder: Path, backbone: Path
):
    config = _config(image_folder, backbone)
    config["data"]["options"]["image_size"] = 20
    path = tmp_path / "tl.json"  # YAML is a superset of JSON
    path.write_text(json.dumps(config))
    result = run_dlw("run", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "takes 16×16×3 inputs but the images are 20×20×3" in result.stderr
    assert "input_size: [16, 16]" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_features_with_cache_pca_and_grid_search(
    tmp_path: Path, image_folder: Path, backbone: Path
):
    config = _config(image_folder, backbone, features={"cv": 2, "pca": 0.95})
    config["data"]["options"]["image_size"] = 24  # resized to the backbone's 16 in the model
    config["transfer"]["backbone"]["input_size"] = [16, 16]
    runs = tmp_path / "runs"
    first = dlworkflow.run(config, runs_dir=runs)
    record = json.loads((first.folder / "transfer.json").read_text())
    assert record["features"]["cache"] == "miss"
    assert record["backbone"]["cut"] == "pool"  # the end of the conv base, automatically
    inputs = json.loads((first.folder / "data.json").read_text())["model_preprocessing"]
    assert inputs["resize_to"] == [16, 16] and inputs["mode"] == "unit"
    assert [row["params"]["C"] for row in record["head"]["grid"]] == [0.1, 1.0, 10.0, 100.0]
    assert 0.95 <= record["pca"]["explained_variance"] <= 1 and record["pca"]["components"] >= 1
    # model.keras is the whole pipeline: raw pixels in, the head's probabilities out
    saved = np.load(first.folder / "predictions.npz")
    model = keras.models.load_model(first.folder / "model.keras")
    again = model.predict(first.dataset.test.x.astype(np.float32), verbose=0)
    np.testing.assert_allclose(again, saved["y_prob"], atol=1e-4)
    assert {"pca_variance.svg", "confusion_matrix.svg"} <= {
        p.name for p in (first.folder / "figures").iterdir()
    }
    page = ReportPage((first.folder / "report.html").read_text(encoding="utf-8"))
    assert len(page.table("grid-search")) == 5
    second = dlworkflow.run(config, runs_dir=runs)
    record = json.loads((second.folder / "transfer.json").read_text())
    assert record["features"]["cache"] == f"hit ({first.folder / 'features.npz'})"
    assert second.metrics["evaluation"] == first.metrics["evaluation"]
    result = evaluate_run(
        first.folder, {"source": f"folder:{image_folder}", "options": {"image_size": 24}}
    )
    assert result["samples"] == 18


def test_evaluate_replays_a_knn_head_that_lives_outside_the_model(
    tmp_path: Path, image_folder: Path, backbone: Path
):
    features = {"head": "knn", "cv": 2, "grid": {"n_neighbors": [1, 3]}}
    config = _config(image_folder, backbone, features=features)
    run = dlworkflow.run(config, runs_dir=tmp_path / "runs")
    assert json.loads((run.folder / "transfer.json").read_text())["head"]["in_model"] is False
    data = {"source": f"folder:{image_folder}", "options": {"image_size": 16}}
    result = evaluate_run(run.folder, data)
    features = keras.models.load_model(run.folder / "model.keras")
    assert not list(run.folder.glob("*.joblib"))
    scores = load_knn_head(run.folder / "head.npz")
    dataset = run.dataset
    everything = np.concatenate([split.x for split in dataset.splits().values()])
    labels = np.concatenate([split.y for split in dataset.splits().values()])
    x = dataset.preprocessing.apply(everything)
    expected = scores(features.predict(x, verbose=0)).argmax(axis=1)
    evaluation = result["evaluation"]
    assert result["samples"] == 18
    assert evaluation["accuracy"] == pytest.approx(np.mean(expected == labels))
    with pytest.raises(BadInput, match="k-NN head is not part of model.keras"):
        explain_run(run.folder, ["test:0"], ["saliency"])
    assert not (run.folder / "explanations").exists()


class _Payload:
    """Unpickling this creates ``marker``: proof that a load ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("attack", ["joblib_only", "pickle_in_npz", "not_a_zip"])
def test_a_crafted_knn_run_folder_runs_nothing(
    tmp_path: Path, image_folder: Path, backbone: Path, attack: str
):
    """A run folder whose head is a pickle (joblib's format, or an object array inside
    head.npz) is refused with exit-2 BadInput naming head.npz; the payload never runs."""
    features = {"head": "knn", "cv": 2, "grid": {"n_neighbors": [1]}}
    run = dlworkflow.run(_config(image_folder, backbone, features=features), tmp_path / "runs")
    marker = tmp_path / "pwned"
    head = run.folder / "head.npz"
    head.unlink()
    if attack == "joblib_only":
        (run.folder / "head.joblib").write_bytes(pickle.dumps(_Payload(marker)))
    elif attack == "pickle_in_npz":
        np.savez(head, points=np.array([_Payload(marker)], dtype=object))
    else:
        head.write_bytes(pickle.dumps(_Payload(marker)))
    data = {"source": f"folder:{image_folder}", "options": {"image_size": 16}}
    with pytest.raises(BadInput, match=r"head\.npz"):
        evaluate_run(run.folder, data)
    assert not marker.exists()
    assert not (run.folder / "evaluations").exists()


def test_fine_tune_two_stages(tmp_path: Path, image_folder: Path, backbone: Path):
    config = _config(
        image_folder,
        backbone,
        method="fine_tune",
        fine_tune={"dense": 8, "stage2": {"epochs": 1, "unfreeze": "bn"}},
    )
    run = dlworkflow.run(config, runs_dir=tmp_path / "runs")
    assert run.history["stage"] == [1.0, 2.0]
    record = json.loads((run.folder / "transfer.json").read_text())
    trainable = {
        row["name"]: (row["stage1"], row["stage2"]) for row in record["stages"]["trainable"]
    }
    base = "tiny_base"  # the saved Sequential's name plus _base
    assert trainable[f"{base}/conv_a"] == (False, False)  # before the named layer
    assert trainable[f"{base}/bn"] == (
        False,
        False,
    )  # named, but BatchNormalization stays frozen
    assert trainable[f"{base}/conv_b"] == (False, True)
    assert trainable["head_dense"] == (True, True)
    assert record["stages"]["starts"] == [1, 2]
    assert not (run.folder / "stages").exists()
    page = ReportPage((run.folder / "report.html").read_text(encoding="utf-8"))
    assert [
        "conv_b" in row[0] and row[3:] == ["frozen", "trained"]
        for row in page.table("stage-trainable")
    ].count(True) == 1
    curves = (run.folder / "figures" / "training_curves.svg").read_text()
    assert "stage 2 starts" in curves
    assert (run.folder / "figures" / "architecture.svg").is_file()
