"""LR schedules: the per-epoch rates, the config keys, and what fit's history shows."""

import math
from pathlib import Path

import pytest
from rich.console import Console

from dlworkflow.config import load_config
from dlworkflow.errors import BadInput
from dlworkflow.figures import save_figure
from dlworkflow.train import TrainResult, epoch_lrs, fit, schedule_figure
from dlworkflow.train.schedules import lr_at
from dlworkflow.train.spec import ScheduleSpec, TrainSpec

from .digits import digits


def test_constant_and_step():
    assert epoch_lrs(ScheduleSpec(), 0.1, 3) == [0.1, 0.1, 0.1]
    assert epoch_lrs(ScheduleSpec(kind="step", every=2, factor=0.5), 0.1, 6) == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    )


def test_exponential_is_seed_002s_range_schedule():
    lrs = epoch_lrs(ScheduleSpec(kind="exponential", factor=10, every=20), 1e-4, 100)
    assert lrs[0] == pytest.approx(1e-4)
    assert lrs[20] == pytest.approx(1e-3)
    assert lrs[99] == pytest.approx(1e-4 * 10 ** (99 / 20))


def test_cosine_runs_from_the_base_to_min_lr():
    lrs = epoch_lrs(ScheduleSpec(kind="cosine", min_lr=0.001), 0.1, 5)
    assert lrs == pytest.approx(
        [
            0.1,
            0.1 - 0.099 * (1 - math.cos(math.pi / 4)) / 2,
            0.0505,
            0.001 + 0.099 * (1 + math.cos(3 * math.pi / 4)) / 2,
            0.001,
        ]
    )


def test_one_cycle_warms_up_then_anneals_per_batch():
    schedule = ScheduleSpec(kind="one_cycle", warmup=0.25, start_factor=0.1)
    assert lr_at(schedule, 1.0, 4, 0.0) == pytest.approx(0.1)
    assert lr_at(schedule, 1.0, 4, 0.5) == pytest.approx(0.55)  # halfway up, per batch
    assert lr_at(schedule, 1.0, 4, 1.0) == pytest.approx(1.0)  # the peak at 25 %
    assert lr_at(schedule, 1.0, 4, 4.0) == pytest.approx(0.0)
    per_epoch = epoch_lrs(schedule, 1.0, 4, steps_per_epoch=10)
    assert per_epoch[0] == pytest.approx(lr_at(schedule, 1.0, 4, 0.9))


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ({"kind": "cosin"}, "train.schedule.kind: Input should be 'constant'"),
        ({"kind": "step", "every": 0}, "train.schedule.every: Input should be greater"),
        ({"kind": "step", "factor": 0}, "train.schedule.factor: Input should be greater"),
        ({"kind": "cosine", "min_lr": -1}, "train.schedule.min_lr"),
        ({"kind": "one_cycle", "warmup": 1.0}, "train.schedule.warmup: Input should be less"),
        ({"kind": "one_cycle", "start_factor": 2}, "train.schedule.start_factor"),
        ({"kind": "cosine", "every": 3}, "train.schedule: 'every' applies to kind step or"),
        ({"kind": "step", "evry": 3}, "train.schedule.evry: unknown key"),
    ],
)
def test_bad_schedule_values_name_the_key(schedule: dict, expected: str):
    with pytest.raises(BadInput) as error:
        load_config({"train": {"schedule": schedule}})
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("train", "expected"),
    [
        ({"lr": "fast"}, "train.lr: must be a learning rate in (0, 100], auto"),
        ({"lr": 0}, "train.lr: must be a learning rate"),
        ({"schedule": "cosine", "reduce_lr": True}, "train: reduce_lr and schedule kind cosine"),
        ({"learnability": "sometimes"}, "train.learnability"),
    ],
)
def test_bad_lr_and_switches_name_the_key(train: dict, expected: str):
    with pytest.raises(BadInput) as error:
        load_config({"train": train})
    assert expected in str(error.value)


def test_schedule_shorthand_and_resolved_yaml_round_trip(tmp_path: Path):
    config = load_config({"train": {"schedule": "cosine", "lr": "auto"}})
    assert config.train.schedule.kind == "cosine" and config.train.learnability
    assert "every" not in config.to_yaml()  # only the kind's own keys are written
    path = tmp_path / "c.yaml"
    path.write_text(config.to_yaml())
    assert load_config(path) == config


def test_min_lr_above_the_base_rate_is_refused():
    with pytest.raises(BadInput, match="train.schedule.min_lr: 0.5 is not below"):
        schedule_figure(ScheduleSpec(kind="cosine", min_lr=0.5), 10, 0.1)


def train_digits(folder: Path, **train) -> TrainResult:
    setup = digits()
    result = fit(
        setup.model,
        (setup.x[:256], setup.y[:256]),
        (setup.x_val, setup.y_val),
        TrainSpec(**{"epochs": 4, "batch_size": 64, **train}),
        folder,
        seed=0,
        console=Console(quiet=True),
    )
    return result


def test_history_lr_column_shows_the_schedule(tmp_path: Path):
    schedule = {"kind": "step", "every": 1, "factor": 0.5}
    result = train_digits(tmp_path / "step", lr=0.01, schedule=schedule)
    assert result.history["lr"] == pytest.approx([0.01, 0.005, 0.0025, 0.00125], rel=1e-6)
    assert result.base_lr == 0.01 and result.lr_finder is None

    one_cycle = ScheduleSpec(kind="one_cycle")
    result = train_digits(tmp_path / "cycle", schedule=one_cycle)
    expected = epoch_lrs(one_cycle, 0.002, 4, steps_per_epoch=4)  # compile.optimizer.lr
    assert result.history["lr"] == pytest.approx(expected, rel=1e-5)


def test_a_resumed_run_continues_the_schedule(tmp_path: Path):
    """The resumed model carries the last scheduled rate; the schedule restarts from base."""
    schedule = {"kind": "step", "every": 1, "factor": 0.5}
    train_digits(tmp_path, lr=0.01, schedule=schedule, epochs=2)
    result = train_digits(tmp_path, lr=0.01, schedule=schedule)
    assert result.resumed_from_epoch == 2
    assert result.history["lr"] == pytest.approx([0.01, 0.005, 0.0025, 0.00125], rel=1e-6)


def test_lr_auto_trains_from_the_range_tests_recommendation(tmp_path: Path):
    result = train_digits(tmp_path, lr="auto")
    assert result.lr_finder is not None
    assert result.base_lr == result.lr_finder.recommended
    assert result.history["lr"] == pytest.approx([result.base_lr] * 4, rel=1e-6)


def test_schedule_figure(tmp_path: Path):
    for kind in ("constant", "step", "exponential", "cosine", "one_cycle"):
        figure = schedule_figure(ScheduleSpec(kind=kind), 30, 0.01)
        assert save_figure(figure, tmp_path / f"{kind}.svg").stat().st_size > 0
