"""Optional mirrors of a run in the tools users already live in: MLflow and TensorBoard.

The run folder stays the source of truth; these only copy into other stores. MLflow
gets the flattened config as params, every epoch's metrics, the final metrics, and
the model, config, metrics and report as artifacts. A resumed run continues the same
MLflow run (its id is kept in ``tracking.json``). TensorBoard gets Keras' own logs
under ``<run>/tensorboard``.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from dlworkflow import runfolder
from dlworkflow.atomic import write_json
from dlworkflow.errors import BadInput
from dlworkflow.keypaths import flatten

TRACKING_FILE = "tracking.json"
ARTIFACTS = (runfolder.CONFIG, runfolder.METRICS, runfolder.MODEL, runfolder.REPORT)


@dataclass(frozen=True)
class TrackingOptions:
    """``mlflow``: a tracking URI, or a local folder such as ``mlruns``; ``tensorboard``: on."""

    mlflow: str | None = None
    tensorboard: bool = False
    experiment: str | None = None  # MLflow experiment; default: the run's config name

    def check(self) -> None:
        """Refuse before any work when the chosen tracker is not installed."""
        if self.mlflow is None:
            return
        try:
            import mlflow  # noqa: F401
        except ImportError:
            raise BadInput(
                "--mlflow: MLflow is not installed; pip install 'dlworkflow[tracking]'"
            ) from None


class Tracker:
    """Opened for one run folder; gives Keras callbacks and closes with the results."""

    def __init__(self, options: TrackingOptions, folder: Path, config: Any) -> None:
        self.options, self.folder = options, folder
        self.mlflow_run = None
        if options.mlflow is not None:
            self.mlflow_run = _start_mlflow(options, folder, config)

    def callbacks(self) -> list[keras.callbacks.Callback]:
        callbacks: list[keras.callbacks.Callback] = []
        if self.options.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(self.folder / "tensorboard")))
        if self.mlflow_run is not None:
            callbacks.append(_MlflowEpochs(self.mlflow_run.info.run_id))
        return callbacks

    def finish(self, metrics: dict[str, Any]) -> None:
        if self.mlflow_run is None:
            return
        import mlflow

        client = mlflow.MlflowClient()
        run_id = self.mlflow_run.info.run_id
        for name, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                client.log_metric(run_id, f"final_{name}", float(value))
        for name in ARTIFACTS:
            if (self.folder / name).is_file():
                client.log_artifact(run_id, str(self.folder / name))
        client.set_terminated(run_id)


def _start_mlflow(options: TrackingOptions, folder: Path, config: Any):
    import mlflow
    from mlflow.entities import Param

    uri = options.mlflow
    if "://" not in uri and not uri.startswith(("databricks", "sqlite:")):
        # A plain folder: MLflow's file store (maintenance mode, still the simplest local one).
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        uri = Path(uri).resolve().as_uri()
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    saved = folder / TRACKING_FILE
    if saved.is_file():
        run_id = json.loads(saved.read_text())["mlflow_run_id"]
        return client.get_run(run_id)
    name = options.experiment or config.name
    experiment = client.get_experiment_by_name(name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(name)
    run = client.create_run(experiment_id, run_name=folder.name)
    flat = flatten(config.model_dump(mode="json"))
    # MLflow names allow no brackets: model.layers[0].units → model.layers.0.units
    params = {re.sub(r"\[(\d+)\]", r".\1", k)[:250]: str(v)[:6000] for k, v in flat.items()}
    for start in range(0, len(params), 100):  # MLflow takes at most 100 params a batch
        batch = list(params.items())[start : start + 100]
        client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in batch])
    write_json(saved, {"mlflow_run_id": run.info.run_id, "tracking_uri": uri})
    return run


class _MlflowEpochs(keras.callbacks.Callback):
    """Each epoch's logged values as MLflow metrics with the epoch as step."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        from mlflow import MlflowClient
        from mlflow.entities import Metric

        values = {name: float(value) for name, value in (logs or {}).items()}
        MlflowClient().log_batch(
            self.run_id,
            metrics=[
                Metric(name, value, int(1000 * time.time()), epoch)
                for name, value in values.items()
            ],
        )
