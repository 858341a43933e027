"""Step 5: can the model learn at all? Overfit one small batch before paying for training.

A healthy model drives the loss on a single batch of 32–128 samples close to zero
within a hundred steps. When it does not, the cause is looked for by actually
checking: the components (last activation against loss, as step 4 demands), the
labels (all one class? related to the inputs at all?), the input scale (the notes'
raw 0–255 pixels that saturate sigmoids) and the learning rate (the same test at ten
times and a tenth of the rate). Every probe trains the model itself inside
:func:`state_restored`, so its weights and optimizer end exactly as they were.
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np
from sklearn.neighbors import NearestNeighbors

from dlworkflow.errors import BadInput
from dlworkflow.models import output_activation, output_units
from dlworkflow.train.clone import current_lr, state_restored
from dlworkflow.train.components import REGRESSION_LOSSES, plan_compile
from dlworkflow.train.order import epoch_batches
from dlworkflow.train.precision import float32_array
from dlworkflow.train.spec import CompileSpec

GOAL = 0.5  # the loss must at least halve on the batch…
GOAL_ACCURACY = 0.9  # …and a classifier must get 90 % of the batch right
FALLING = 0.05  # a smaller relative drop counts as not falling at all
UNSCALED = 10.0  # max |x| above this means the inputs were not scaled
SIGNAL_Z = 3.0  # agreement this many permutation SDs above chance means "signal"
PROBE_SAMPLES = 1000  # at most this many samples for the nearest-neighbour probe
HELD_OUT = 256  # samples outside the batch that the model trained on it is scored on
CHECK_EVERY = 25  # steps between looks at the goal, which end the check early


def check_learnability(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 64,
    steps: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Train the compiled ``model`` (its state put back after) on one batch of ``(x, y)``
    for at most ``steps`` steps (a sound setup halves its loss and gets 90 % of the batch right
    well before: digits' MLP in 50, the seeds' sigmoid CNN in about 150).

    Returns a JSON-ready dict: ``passed``, ``verdict`` (plain sentences), ``causes``
    (each a sentence with its evidence and the change to make), the loss and (for
    classifiers) the batch accuracy before and after, the steps run and the loss per
    step, and ``checks`` with what was measured.
    """
    if not 1 <= batch_size <= len(x):
        raise BadInput(f"batch_size {batch_size} must be between 1 and the {len(x)} samples")
    if steps < 1:
        raise BadInput(f"steps must be at least 1 (got {steps})")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    batch, held_out = order[:batch_size], order[batch_size : batch_size + HELD_OUT]
    xb, yb = x[batch], y[batch]
    regression = _loss_name(model) in REGRESSION_LOSSES
    checks: dict[str, Any] = {"max_abs_input": float(np.max(np.abs(x[order[:PROBE_SAMPLES]])))}
    causes: list[str] = []
    labels = _label_check(y[order[:PROBE_SAMPLES]], regression, checks)
    if labels:
        causes.append(labels)
    components = _components_check(model, y, regression)
    checks["components"] = components
    if components:
        causes.append(components)
    with state_restored(model):
        run = _overfit(model, xb, yb, steps, seed, regression)
        if not labels:  # scored by the model as trained on the batch
            signal = _signal_check(model, x, y, order, held_out, regression, checks)
            if signal:
                causes.append(signal)
    if run["outcome"] != "learns" and not causes:
        causes.extend(_training_causes(model, xb, yb, steps, seed, regression, run, checks))

    result = {
        "passed": run["outcome"] == "learns" and not causes,
        "verdict": "",
        "causes": causes,
        "batch_size": int(batch_size),
        "steps": len(run["losses"]),
        "learning_rate": current_lr(model),
        "loss_start": run["loss_start"],
        "loss_end": run["loss_end"],
        "accuracy_start": run["accuracy_start"],
        "accuracy_end": run["accuracy_end"],
        "loss_curve": run["losses"],
        "checks": checks,
        "seconds": 0.0,
    }
    result["verdict"] = _verdict(result, run["outcome"])
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _overfit(
    model: keras.Model,
    xb: np.ndarray,
    yb: np.ndarray,
    steps: int,
    seed: int,
    regression: bool,
    lr: float | None = None,
) -> dict[str, Any]:
    """Train ``model`` itself on the batch for at most ``steps`` steps (the caller puts
    its state back), stopping once the goal is reached (checked every ``CHECK_EVERY``);
    the outcome is learns, slow, flat or nan.

    The batch goes through ``fit`` in the run's own kind of stream, one step an epoch (so
    each epoch's loss is that step's): the train step traced here is the one the run's
    ``fit`` reuses."""
    keras.utils.set_random_seed(seed)
    if lr is not None:
        model.optimizer.learning_rate = lr
    loss_start, accuracy_start = _scores(model, xb, yb, regression)
    probe = _BatchProbe(xb, yb, regression, loss_start, steps)
    stream = epoch_batches(xb, yb, len(xb), seed, 0, steps, shuffle=False)
    model.fit(stream, steps_per_epoch=1, epochs=steps, shuffle=False, verbose=0, callbacks=[probe])
    finite = probe.outcome != "nan"
    return {
        "outcome": probe.outcome,
        "loss_start": loss_start if math.isfinite(loss_start) else None,
        "loss_end": probe.loss_end if finite else None,
        "accuracy_start": accuracy_start,
        "accuracy_end": probe.accuracy_end if finite else None,
        "losses": probe.losses,
    }


class _BatchProbe(keras.callbacks.Callback):
    """Records each step's loss; every ``CHECK_EVERY`` steps scores the batch and stops
    the probe once it learns (or at the first non-finite loss)."""

    def __init__(
        self, xb: np.ndarray, yb: np.ndarray, regression: bool, loss_start: float, steps: int
    ) -> None:
        super().__init__()
        self.xb, self.yb, self.regression, self.steps = xb, yb, regression, steps
        self.loss_start = loss_start
        self.losses: list[float | None] = []
        self.loss_end, self.accuracy_end, self.outcome = math.nan, None, "nan"

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        loss = float((logs or {}).get("loss", math.nan))
        self.losses.append(loss if math.isfinite(loss) else None)
        if not (math.isfinite(loss) and math.isfinite(self.loss_start)):
            self.model.stop_training = True
            return
        step = epoch + 1
        if step % CHECK_EVERY and step < self.steps:
            return
        self.loss_end, self.accuracy_end = _scores(self.model, self.xb, self.yb, self.regression)
        self.outcome = _outcome(self.loss_start, self.loss_end, self.accuracy_end)
        if self.outcome in ("learns", "nan"):
            self.model.stop_training = True


def _outcome(start: float, end: float, accuracy: float | None) -> str:
    if not math.isfinite(end):
        return "nan"
    if end <= GOAL * start and (accuracy is None or accuracy >= GOAL_ACCURACY):
        return "learns"
    return "slow" if end < (1 - FALLING) * start else "flat"


def _scores(
    model: keras.Model, x: np.ndarray, y: np.ndarray, regression: bool
) -> tuple[float, float | None]:
    """Loss in inference mode (dropout off, so start and end compare like with like) and,
    for a classifier, the batch accuracy — from one eager forward pass: a probe scores
    a handful of times, so tracing a test and a predict function would cost more."""
    y_pred = model(x, training=False)
    target = keras.ops.convert_to_tensor(y)
    loss = float(model.compute_loss(x=x, y=target, y_pred=y_pred, training=False))
    if regression:
        return loss, None
    return loss, _agreement(float32_array(y_pred), y)


def _agreement(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Share of answers right: per (row, label) cell for multilabel 0/1 rows (as the
    compiled binary accuracy counts), else per row's class."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1 and np.any(labels.sum(axis=1) != 1):
        return float(np.mean((np.asarray(predicted) > 0.5) == (labels > 0.5)))
    return float(np.mean(_classes(predicted) == _classes(labels)))


def _classes(values: np.ndarray) -> np.ndarray:
    """Class ids from labels or predictions: argmax over columns, else 0.5 for one column."""
    values = np.asarray(values)
    if values.ndim > 1 and values.shape[-1] > 1:
        return values.argmax(axis=-1)
    values = values.reshape(len(values))
    if np.issubdtype(values.dtype, np.integer):
        return values
    return (values > 0.5).astype(np.int64)


def _loss_name(model: keras.Model) -> str:
    loss = model.loss
    return loss if isinstance(loss, str) else str(getattr(loss, "name", loss))


def _label_check(y: np.ndarray, regression: bool, checks: dict[str, Any]) -> str | None:
    """Constant labels leave nothing to learn however well the loss falls."""
    if regression:
        spread = float(np.std(np.asarray(y, dtype=np.float64)))
        checks["label_std"] = spread
        return (
            f"every target has the same value ({float(np.ravel(y)[0]):g}): there is nothing to "
            "learn; check the target column (data.options.target)"
            if spread == 0
            else None
        )
    classes, counts = np.unique(_classes(y), return_counts=True)
    share = counts / counts.sum()
    entropy = float(-(share * np.log2(share)).sum()) + 0.0  # + 0.0: no "-0.0"
    checks["label_classes"] = int(len(classes))
    checks["label_entropy_bits"] = round(entropy, 4)
    if len(classes) == 1:
        return (
            f"all {int(counts[0])} sampled labels are class {int(classes[0])}: a constant "
            "answer is already perfect, so the model learns nothing; check the labels"
        )
    return None


def _components_check(model: keras.Model, y: np.ndarray, regression: bool) -> str | None:
    """Step 4's rules (the same ones ``plan_compile`` applies to a config) on this model."""
    units = output_units(model)
    if regression:
        task, classes = "regression", 0
        if np.ndim(y) > 1 and units == np.shape(y)[-1]:
            units = 1  # one linear unit per target column (a multi-step forecast) fits
    else:
        y = np.asarray(y)
        classes = y.shape[-1] if y.ndim > 1 and y.shape[-1] > 1 else max(units, 2)
        task = "binary" if classes == 2 else "multiclass"
    try:
        plan_compile(
            CompileSpec(loss=_loss_name(model), metrics=[]),
            task,
            classes,
            units,
            output_activation(model),
        )
    except BadInput as mismatch:
        return f"the components do not fit: {mismatch}"
    return None


def _signal_check(
    trained: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    order: np.ndarray,
    held_out: np.ndarray,
    regression: bool,
    checks: dict[str, Any],
) -> str | None:
    """Do the labels depend on the inputs? Asked twice, and "no" only when both say so:
    does the model trained on the batch beat chance on samples it has not seen, and do
    nearest neighbours in input space share labels more often than after shuffling?"""
    rng = np.random.default_rng(0)
    if len(held_out) >= 20:
        predicted = float32_array(trained(x[held_out], training=False))
        checks["held_out_signal_z"] = _signal_z(predicted, y[held_out], regression, rng)
        if checks["held_out_signal_z"] >= SIGNAL_Z:
            return None
    probe = order[:PROBE_SAMPLES]
    checks["neighbour_signal_z"] = _signal_z(
        _neighbour_predictions(x[probe], y[probe], regression), y[probe], regression, rng
    )
    if checks["neighbour_signal_z"] >= SIGNAL_Z:
        return None
    return (
        "the labels look unrelated to the inputs (shuffled or misaligned?): predictions on "
        "samples outside the batch are no better than chance, and similar inputs share "
        "labels no more often than after shuffling; check that x and y are in the same order"
    )


def _neighbour_predictions(x: np.ndarray, y: np.ndarray, regression: bool) -> np.ndarray:
    """Leave-one-out nearest-neighbour guesses on standardised, flattened inputs."""
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    spread = flat.std(axis=0)
    flat = (flat - flat.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    k = 5 if regression else 1
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(flat).kneighbors(flat)[1][:, 1:]
    targets = np.asarray(y)
    if regression:
        return targets.reshape(len(y), -1)[neighbours].mean(axis=1)
    return targets[neighbours[:, 0]]


def _signal_z(
    predicted: np.ndarray, y: np.ndarray, regression: bool, rng: np.random.Generator
) -> float:
    """How far the agreement of predictions with the labels lies above its value under
    shuffled labels, in standard deviations of 200 shuffles (0 when nothing varies)."""

    def agreement(labels: np.ndarray) -> float:
        if regression:
            a, b = np.ravel(predicted).astype(np.float64), np.ravel(labels).astype(np.float64)
            if a.std() == 0 or b.std() == 0:
                return 0.0
            return float(np.corrcoef(a, b)[0, 1])
        return _agreement(predicted, labels)

    actual = agreement(y)
    shuffled = np.array([agreement(y[rng.permutation(len(y))]) for _ in range(200)])
    spread = shuffled.std()
    if spread == 0:
        return 0.0
    return round(float((actual - shuffled.mean()) / spread), 2)


def _training_causes(
    model: keras.Model,
    xb: np.ndarray,
    yb: np.ndarray,
    steps: int,
    seed: int,
    regression: bool,
    run: dict[str, Any],
    checks: dict[str, Any],
) -> list[str]:
    """Why a sound setup fails: the input scale, then the rate, tried a decade at a time
    up to three decades in the direction the loss points (down when it rose or became
    NaN, up when it stalled), then one decade the other way."""
    causes = []
    biggest = checks["max_abs_input"]
    if biggest > UNSCALED:
        causes.append(
            f"the inputs are not scaled (max |x| = {biggest:g}): like the notes' raw 0–255 "
            "pixels, they saturate sigmoid units and make the loss explode or stall; "
            "set data.scale: unit"
        )
    lr = current_lr(model)
    rose = run["outcome"] == "nan" or run["loss_end"] > run["loss_start"]
    probes = {}
    for factor in (0.1, 0.01, 0.001, 10.0) if rose else (10.0, 100.0, 1000.0, 0.1):
        with state_restored(model):
            probe = _overfit(model, xb, yb, steps, seed, regression, lr=lr * factor)
        probes[f"{lr * factor:g}"] = probe["outcome"]
        if probe["outcome"] == "learns":
            direction = "too low" if factor > 1 else "too high"
            causes.append(
                f"the learning rate {lr:g} is {direction}: at {lr * factor:g} the loss falls "
                f"from {probe['loss_start']:.3g} to {probe['loss_end']:.3g}; set "
                f"compile.optimizer.lr: {lr * factor:g} (or train.lr: auto)"
            )
            break
    checks["learning_rate_probes"] = probes
    saturating = _saturating_activations(model)
    if not causes and saturating:
        causes.append(
            f"the hidden layers use {' and '.join(saturating)}, which saturate and pass back "
            "small gradients, so learning starts slowly (the course's Lab 1: relu trains "
            "faster); try activation: relu (model.options.activation for zoo models)"
        )
    if not causes and run["outcome"] == "slow":
        causes.append(
            "the model learns slowly at every rate tried: it may be too small or too "
            "constrained for the task; try a bigger model (more units, layers or filters)"
        )
    if not causes:
        causes.append(
            f"no single cause found: no learning rate from {lr / 1000:g} to {lr * 1000:g} "
            "helps; check the architecture (a bottleneck, a frozen base) and the labels"
        )
    return causes


def _saturating_activations(model: keras.Model) -> list[str]:
    """Sigmoid or tanh in the hidden layers (the output's activation is the loss's business)."""
    names = {
        getattr(getattr(layer, "activation", None), "__name__", "") for layer in model.layers[:-1]
    }
    return sorted(names & {"sigmoid", "tanh"})


def _verdict(result: dict[str, Any], outcome: str) -> str:
    """The sentence a reader sees first, then the causes."""
    start, end = result["loss_start"], result["loss_end"]
    where = f"in {result['steps']} steps on one batch of {result['batch_size']} samples"
    accuracy = result["accuracy_end"]
    reached = f", {accuracy:.0%} of the batch right" if accuracy is not None else ""
    if outcome == "nan":
        first = (
            f"The loss became NaN at step {result['steps']} of training on one batch of "
            f"{result['batch_size']} samples."
        )
    elif outcome == "flat":
        moved = "rose" if end > start else "did not fall"
        first = f"The loss {moved} ({start:.3g} → {end:.3g} {where})."
    elif outcome == "slow":
        first = f"The loss fell only from {start:.3g} to {end:.3g} {where}{reached}."
    else:
        first = f"The loss fell from {start:.3g} to {end:.3g} {where}{reached}."
    if result["passed"]:
        return f"{first} The model can learn."
    causes = " ".join(f"Likely cause: {cause}." for cause in result["causes"])
    return f"{first} {causes}"
