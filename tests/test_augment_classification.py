"""data.augment for image classification: Keras random layers in the training stream only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dlworkflow
from dlworkflow.config import load_config
from dlworkflow.data.augment import AugmentSpec
from dlworkflow.data.augment_layers import batch_augmenter
from dlworkflow.errors import BadInput
from dlworkflow.train.order import epoch_batches
from tests.conftest import run_dlw

X = np.random.default_rng(0).random((16, 8, 8, 1)).astype(np.float32)
Y = np.arange(16)
SPEC = {"horizontal_flip": True, "rotation_range": 20, "zoom_range": 0.1,
        "width_shift_range": 0.1, "height_shift_range": 0.1, "contrast": 0.2,
        "brightness": 0.2}  # fmt: skip


def batches(augment, seed: int = 1, epochs: int = 2) -> list[np.ndarray]:
    stream = epoch_batches(X, Y, 8, seed, 0, epochs, augment, shuffle=False)
    return [xb.numpy() for xb, _ in stream]


def test_notes_aliases_become_the_spec():
    spec = AugmentSpec.model_validate(SPEC)
    assert spec.flip == "horizontal" and spec.rotation == pytest.approx(20 / 360)
    assert (spec.zoom, spec.width_shift, spec.height_shift) == (0.1, 0.1, 0.1)
    both = AugmentSpec.model_validate({"horizontal_flip": True, "vertical_flip": True})
    assert both.flip_mode(None) == "horizontal_and_vertical"
    assert AugmentSpec.model_validate({"translation": 0.2}).width_shift == 0.2


def test_augmentation_changes_training_batches_and_is_seeded():
    spec = AugmentSpec.model_validate(SPEC)
    plain = batches(None)
    first = batches(batch_augmenter(spec, (8, 8, 1), (0.0, 1.0), seed=5))
    again = batches(batch_augmenter(spec, (8, 8, 1), (0.0, 1.0), seed=5))
    other = batches(batch_augmenter(spec, (8, 8, 1), (0.0, 1.0), seed=6))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(not np.allclose(a, p) for a, p in zip(first, plain, strict=True))
    assert not np.allclose(first[0], other[0])
    # shuffle off: epoch 2 sees the same images as epoch 1, drawn anew
    assert np.array_equal(plain[0], plain[2]) and not np.allclose(first[0], first[2])
    assert all(a.min() >= 0.0 and a.max() <= 1.0 for a in first)  # clipped to the range


def test_flattened_inputs_are_augmented_as_images():
    spec = AugmentSpec.model_validate({"horizontal_flip": True})
    flat = X.reshape(len(X), -1)
    augment = batch_augmenter(spec, (8, 8, 1), (0.0, 1.0), seed=0)
    out = np.asarray(augment(flat)).reshape(X.shape)
    # a flip only: every image is itself or its mirror
    for image, got in zip(X, out, strict=True):
        assert np.array_equal(got, image) or np.array_equal(got, image[:, ::-1])


def test_run_augments_training_only_and_the_model_has_no_augmentation(tmp_path: Path):
    config = {
        "name": "aug",
        "data": {"source": "digits", "limit": 300, "augment": SPEC},
        "model": "mlp",
        "train": {"epochs": 2, "batch_size": 64, "learnability": False},
    }
    run = dlworkflow.run(config, runs_dir=tmp_path)
    names = [type(layer).__name__ for layer in run.model.layers]
    assert not any(name.startswith("Random") for name in names), names
    saved = dlworkflow.runfolder.read_run(run.folder).model()
    assert not any(type(layer).__name__.startswith("Random") for layer in saved.layers)
    # the test predictions are those of the unaugmented test inputs
    x_test = run.dataset.preprocessing.apply(run.dataset.test.x)
    stored = np.load(run.folder / "predictions.npz")["y_prob"]
    np.testing.assert_allclose(stored, saved.predict(x_test, verbose=0), atol=1e-5)
    assert (run.folder / "figures" / "augment_preview.png").is_file()
    assert "augmentation: one image, several draws" in (run.folder / "report.html").read_text()


@pytest.mark.parametrize(
    ("augment", "message"),
    [
        ({"rotation_range": 400}, "data.augment.rotation"),
        ({"zoom": 1.5}, "data.augment.zoom"),
        ({"horizontal_flip": "yes"}, "horizontal_flip"),
        ({"rotation_range": 10, "rotation": 0.1}, "rotation_range and rotation"),
        ({"shear_range": 0.2}, "data.augment.shear_range"),
        ({"brightness": -0.1}, "data.augment.brightness"),
        ({"flip": "diagonal"}, "data.augment.flip"),
    ],
)
def test_bad_augment_values_name_the_key(augment, message):
    with pytest.raises(BadInput, match=message):
        load_config({"data": {"source": "digits", "augment": augment}})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "diabetes", "augment": {"horizontal_flip": True}}, "for images"),
        ({"source": "digits", "augment": {"flip": False}}, "no transform is switched on"),
    ],
)
def test_augment_refused_before_a_run_folder_exists(tmp_path: Path, data, message):
    with pytest.raises(BadInput, match=message):
        dlworkflow.run({"name": "bad", "data": data}, runs_dir=tmp_path)
    assert not (tmp_path / "bad").exists()


def test_dlw_data_augment_writes_the_preview(tmp_path: Path):
    done = run_dlw("data", "digits", "--limit", "200", "--augment", "{rotation_range: 30}",
                   "--out", str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "augment_preview.png").is_file()
    bad = run_dlw("data", "digits", "--augment", "[1, 2]", cwd=tmp_path)
    assert bad.returncode == 2 and "--augment" in bad.stderr


@pytest.mark.parametrize(
    ("task", "augment", "message"),
    [
        (
            "auto",
            {"copies": 2, "horizontal_flip": True},
            "data.augment.copies applies to task: segm",
        ),
        ("auto", {"crop": 0.5}, "data.augment.crop applies to task: segmentation"),
        ("segmentation", {"zoom_range": 0.1}, "data.augment.zoom applies to image classification"),
    ],
)
def test_keys_of_the_other_path_are_refused(task, augment, message):
    with pytest.raises(BadInput, match=message):
        load_config({"task": task, "data": {"source": "digits", "augment": augment}})


def test_the_diagnosis_advice_is_a_valid_augment_config():
    import yaml

    from dlworkflow.experiments.advice import _variance_advice

    change = next(a["change"] for a in _variance_advice(None) if "data.augment" in a["change"])
    mapping = yaml.safe_load(change.split("data.augment: ", 1)[1].split(" (", 1)[0])
    assert AugmentSpec.model_validate(mapping).draws_per_epoch()
    augmenting = load_config({"data": {"source": "digits", "augment": mapping}})
    assert not any("data.augment" in a["change"] for a in _variance_advice(augmenting))


def test_a_resumed_stream_draws_what_the_uninterrupted_one_drew():
    spec = AugmentSpec.model_validate(SPEC)

    def stream(first_epoch: int) -> list[np.ndarray]:
        augment = batch_augmenter(spec, (8, 8, 1), (0.0, 1.0), seed=5)
        return [xb.numpy() for xb, _ in epoch_batches(X, Y, 8, 1, first_epoch, 3, augment)]

    whole, resumed = stream(0), stream(2)
    assert len(resumed) == 2
    for expected, got in zip(whole[4:], resumed, strict=True):
        np.testing.assert_array_equal(expected, got)
