"""``train.precision``: a mixed-precision model through the whole workflow."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import dlworkflow
from dlworkflow.config import load_config
from dlworkflow.errors import BadInput
from dlworkflow.experiments import prepare
from dlworkflow.interpret.explain import explain_run
from dlworkflow.interpret.features import feature_maps, maximise_filters
from dlworkflow.interpret.methods import ALL
from dlworkflow.runfolder import read_run
from dlworkflow.train.precision import cpu_flags, float32_array, float32_output

CONV = [
    {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu", "name": "conv"}},
    "Flatten",
    {"Dense": {"units": 10, "activation": "softmax"}},
]


def bf16_config(**train) -> dict:
    return {
        "name": "bf16",
        "data": {"source": "digits", "flatten": False, "limit": 400},
        "model": {"layers": CONV},
        "compile": {"optimizer": {"name": "adam", "lr": 0.01}},
        "train": {"epochs": 3, "precision": "mixed_bfloat16", **train},
    }


def test_a_bf16_model_goes_through_the_whole_workflow(tmp_path: Path) -> None:
    """Training, evaluation, Grad-CAM and every interpretation method, the report."""
    run = dlworkflow.run(bf16_config(), runs_dir=tmp_path)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    record = read_run(run.folder)
    environment = json.loads((run.folder / "environment.json").read_text())
    assert environment["precision"] == {"setting": "mixed_bfloat16", "policy": "mixed_bfloat16"}
    model = record.model()
    assert model.get_layer("conv").dtype_policy.name == "mixed_bfloat16"
    assert model.layers[-1].compute_dtype == "float32"  # probabilities and loss in float32
    assert run.metrics["accuracy"] > 0.5  # chance is 0.1
    y_prob = np.load(run.folder / "predictions.npz")["y_prob"]
    assert y_prob.dtype == np.float32
    np.testing.assert_allclose(y_prob.sum(axis=1), 1.0, atol=1e-5)
    interpretation = json.loads((run.folder / "interpretation.json").read_text())
    assert "Grad-CAM" in interpretation["methods"]
    assert (run.folder / "report.html").is_file()

    page = explain_run(run.folder, ["test:0", "test:1"], methods=list(ALL))
    assert page.is_file()
    image = record.preprocessing.apply(np.asarray(run.dataset.test.x[:1]))[0]
    maps = feature_maps(model, image)
    assert maps["conv"].dtype == np.float32 and maps["conv"].shape == (6, 6, 4)
    filters = maximise_filters(model, "conv", filters=[0, 1], steps=4)
    assert np.isfinite(filters).all()


def test_float16_builds_with_loss_scaling() -> None:
    prepared = prepare(load_config(bf16_config(precision="mixed_float16")))
    assert prepared.model.get_layer("conv").compute_dtype == "float16"
    assert isinstance(prepared.model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert keras.config.dtype_policy().name == "float32"


@pytest.mark.parametrize("value", ["bf16", "float64", 16, None])
def test_unknown_precisions_are_refused(value) -> None:
    with pytest.raises(BadInput, match="precision"):
        load_config(bf16_config(precision=value))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n", {"fpu", "avx512f", "avx512_bf16"}),
        ("Features\t: fp asimd bf16\n", {"fp", "asimd", "bf16"}),
        ("processor\t: 0\n", set()),
    ],
)
def test_cpu_flags(tmp_path: Path, text: str, expected: set[str]) -> None:
    (tmp_path / "cpuinfo").write_text(text)
    assert cpu_flags(tmp_path / "cpuinfo") == expected
    assert cpu_flags(tmp_path / "missing") == set()


@pytest.mark.parametrize(
    ("layers", "last"),
    [
        (["Flatten", "Dense"], {"Dense": {"dtype": "float32"}}),
        ([{"Dense": {"units": 3}}], {"Dense": {"dtype": "float32", "units": 3}}),
        ([{"Dense": None}], {"Dense": {"dtype": "float32"}}),
        ([{"Dense": {"dtype": "bfloat16"}}], {"Dense": {"dtype": "bfloat16"}}),  # user's choice
        ([], None),
    ],
)
def test_float32_output(layers: list, last) -> None:
    result = float32_output(layers)
    assert (result[-1] if result else None) == last
    assert result[:-1] == layers[:-1]


def test_float32_array_widens_half_precision_only() -> None:
    half = keras.ops.cast(keras.ops.convert_to_tensor([[1.5, 2.0]]), "bfloat16")
    assert float32_array(half).dtype == np.float32
    assert float32_array(np.zeros(2, np.float64)).dtype == np.float64
    assert float32_array(np.zeros(2, np.int32)).dtype == np.int32
