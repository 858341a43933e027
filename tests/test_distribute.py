"""train.distribute: data-parallel training on several logical CPU devices trains the
same model as one device, with mirrored variables; one device is a no-op that says so."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from rich.console import Console

from dlworkflow.config import load_config
from dlworkflow.errors import BadInput
from dlworkflow.experiments import run

CONFIG = {
    "name": "mirror",
    "seed": 3,
    "data": {"source": "digits", "limit": 300},
    "model": {
        "layers": [
            {"Dense": {"units": 16, "activation": "relu"}},
            {"Dense": {"units": 10, "activation": "softmax"}},
        ]
    },
    "train": {"epochs": 3, "batch_size": 32, "learnability": False, "distribute": "mirrored"},
}

# A fresh interpreter: logical devices must be set before TensorFlow starts its runtime.
TWO_DEVICES = """
import io, json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from rich.console import Console
from dlworkflow.experiments import run
out = io.StringIO()
result = run(json.loads(sys.argv[1]), runs_dir=sys.argv[2], console=Console(file=out, width=300))
variable = result.model.trainable_variables[0]
print(json.dumps({
    "console": out.getvalue(),
    "history": result.history,
    "metrics": {k: v for k, v in result.metrics.items() if isinstance(v, float)},
    "variable": type(getattr(variable, "value", variable)).__name__,
    "report": (result.folder / "report.html").is_file(),
}))
"""


@pytest.mark.slow
def test_mirrored_training_on_two_logical_devices_matches_one_device(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", TWO_DEVICES, json.dumps(CONFIG), str(tmp_path / "two")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    two = json.loads(done.stdout.strip().splitlines()[-1])
    assert "2 replicas (/device:CPU:0, /device:CPU:1)" in two["console"]
    assert "batch_size 32 is global, 16 per replica" in two["console"]
    assert two["variable"] == "MirroredVariable"  # the model really was replicated
    assert two["report"]

    out = io.StringIO()
    one = run(CONFIG, runs_dir=tmp_path / "one", console=Console(file=out, width=300))
    assert "train.distribute mirrored: one device" in out.getvalue()
    assert len(two["history"]["loss"]) == 3
    # the global batch is split and the gradients summed: the same training as one device
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(two["history"][key], one.history[key], rtol=1e-4)
    assert two["metrics"]["accuracy"] == pytest.approx(one.metrics["accuracy"], abs=1e-6)
    assert two["metrics"]["loss"] == pytest.approx(one.metrics["loss"], rel=1e-4)


@pytest.mark.parametrize(
    ("value", "message"),
    [("mirror", "train.distribute"), ("multi_worker", "train.distribute"), (2, "train.distribute")],
)
def test_bad_distribute_values_are_refused_naming_the_key(value, message):
    with pytest.raises(BadInput, match=message):
        load_config({**CONFIG, "train": {**CONFIG["train"], "distribute": value}})
