"""``compare_runs``: finished run folders → rows, variants (repeats pooled) and the best.

Everything is inferred from the run folders themselves, so any runs compare, not only a
sweep's. Runs whose test numbers came from different test samples are refused: their
metrics would not measure the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlworkflow.compare.collect import collect_runs
from dlworkflow.compare.configs import (
    ABSENT,
    NOT_VARIED,
    SEED,
    all_keys,
    config_text,
    variant_ids,
    varied_keys,
)
from dlworkflow.compare.stats import Summary, best_index, summarize, verdict
from dlworkflow.errors import BadInput
from dlworkflow.keypaths import flatten
from dlworkflow.runfolder import SWEEP_SUMMARY, RunRecord, read_json, read_run

REGRESSION_TEST = ("mae", "rmse", "r2")  # from the evaluation, beside the compiled loss


@dataclass
class RunRow:
    """One finished run: its varied config values and its numbers."""

    name: str
    folder: Path
    seed: int | None
    variant: int  # index into Comparison.variants
    config: dict[str, Any]  # the whole resolved config as dotted keys
    numbers: dict[str, float | None]  # Comparison.columns → value
    per_class_f1: dict[str, float | None]
    history: dict[str, list[float]]


@dataclass
class Variant:
    """Runs whose configs are equal except ``name`` and ``seed`` (repeats of one setting)."""

    label: str
    runs: list[int]  # indices into Comparison.rows
    seeds: list[int | None]
    values: dict[str, Any]  # varied key (seed aside) → value
    stats: dict[str, Summary]  # column → mean ± std over the repeats
    per_class_f1: dict[str, Summary]
    verdict: str = ""  # against the best variant: best / within noise / beyond noise / no spread


@dataclass
class Comparison:
    task: str
    dataset: str
    split: str  # the split the test numbers come from (test, or val/train when none)
    split_sha256: str
    class_names: list[str]
    curve_metric: str | None  # the metric beside the loss in the histories
    columns: list[str]
    main: str  # the column that picks the best
    rule: str
    rows: list[RunRow]
    variants: list[Variant]
    varied: list[str]  # config keys that differ between runs (seed included when it does)
    shared: dict[str, Any]  # config keys equal in every run (name aside)
    best_run: int
    best_variant: int
    sweeps: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def repeated(self) -> bool:
        return any(len(variant.runs) > 1 for variant in self.variants)


def compare_runs(paths: list[str | Path]) -> Comparison:
    """Read the run folders (and sweep folders) in ``paths`` and line them up."""
    collected = collect_runs(paths)
    records = [read_run(folder) for folder in collected.runs]
    names = run_names(collected.runs)
    check_comparable(records, names)
    first = records[0]
    task, split = first.data.get("task", ""), first.metrics.get("split", "test")
    metric = _shared_curve_metric(records)
    flats = [flatten(record.config) for record in records]
    varied = varied_keys(flats)
    ids = variant_ids(flats)
    rows = [
        RunRow(
            name=name,
            folder=record.folder,
            seed=record.config.get(SEED),
            variant=ids[index],
            config=flat,
            numbers=run_numbers(record, metric),
            per_class_f1=per_class_f1(record),
            history=record.history,
        )
        for index, (name, record, flat) in enumerate(zip(names, records, flats, strict=True))
    ]
    columns = list(rows[0].numbers)
    main, higher = ("test_loss", False) if task == "regression" else ("test_accuracy", True)
    if task == "segmentation":
        main = "test_mean_iou"
    variants = group_variants(
        rows, [key for key in varied if key != SEED], columns, sweep_variants(collected.sweeps)
    )
    pooled = "mean over the repeats" if len(variants) < len(rows) else "one run per variant"
    best_variant = mark_variants(variants, main, higher)
    comparison = Comparison(
        task=task,
        dataset=first.data.get("name", ""),
        split=split,
        split_sha256=_evaluated_sha(first) or "",
        class_names=list(first.data.get("class_names") or []),
        curve_metric=metric,
        columns=columns,
        main=main,
        rule=f"{'highest' if higher else 'lowest'} {label(main)} ({pooled})",
        rows=rows,
        variants=variants,
        varied=varied,
        shared={
            key: flats[0][key]
            for key in all_keys(flats)
            if key not in varied and key not in NOT_VARIED and key in flats[0]
        },
        best_run=best_index([row.numbers[main] for row in rows], higher),
        best_variant=best_variant,
        sweeps=collected.sweeps,
        skipped=collected.skipped,
    )
    comparison.notes = _notes(comparison, records)
    return comparison


def run_names(folders: list[Path]) -> list[str]:
    """Folder names, or ``parent/name`` where two folders share a name."""
    plain = [folder.name for folder in folders]
    return [
        f"{folder.parent.name}/{folder.name}" if plain.count(folder.name) > 1 else folder.name
        for folder in folders
    ]


def check_comparable(records: list[RunRecord], names: list[str]) -> None:
    """Refuse runs whose test numbers do not measure the same thing, naming both runs."""
    first = records[0]
    for name, record in zip(names[1:], records[1:], strict=True):
        for what, value, hint in (
            ("dataset", lambda r: r.data.get("name"), "compare runs of one dataset"),
            ("task", lambda r: r.data.get("task"), "compare runs of one task"),
            ("classes", lambda r: r.data.get("class_names"), "compare runs of one label set"),
            ("evaluated split", lambda r: r.metrics.get("split"), "give every run a test split"),
            (
                "test set (sha256)",
                _evaluated_sha,
                "keep data.source, data.limit, data.split.test and the data seed equal",
            ),
        ):
            mine, theirs = value(first), value(record)
            if mine != theirs:
                raise BadInput(
                    f"cannot compare {names[0]} and {name}: different {what} "
                    f"({_short(mine)} vs {_short(theirs)}); {hint}"
                )


SEGMENTATION_TEST = ("mean_iou", "mean_dice", "pixel_accuracy")


def run_numbers(record: RunRecord, metric: str | None) -> dict[str, float | None]:
    """The test metrics first (what the comparison is about), then train/val at the best
    epoch, then the length, time and size of training."""
    metrics, evaluation = record.metrics, record.metrics.get("evaluation", {})
    best = metrics.get("best_epoch")
    numbers: dict[str, float | None] = {"test_loss": metrics.get("loss")}
    if record.data.get("task") == "regression":
        numbers.update({f"test_{name}": evaluation.get(name) for name in REGRESSION_TEST})
    elif record.data.get("task") == "segmentation":
        numbers.update({f"test_{name}": evaluation.get(name) for name in SEGMENTATION_TEST})
    else:
        numbers["test_accuracy"] = evaluation.get("accuracy")
        numbers["test_macro_f1"] = evaluation.get("report", {}).get("macro avg", {}).get("f1-score")
    for name in ("loss", *([metric] if metric else [])):
        for prefix, column in (("val", f"val_{name}"), ("train", name)):
            values = record.history.get(column, [])
            numbers[f"{prefix}_{name}"] = values[best - 1] if best and best <= len(values) else None
    numbers.update(
        best_epoch=best,
        epochs_run=metrics.get("epochs_run"),
        train_seconds=metrics.get("train_seconds"),
        params=metrics.get("params"),
    )
    return numbers


def per_class_f1(record: RunRecord) -> dict[str, float | None]:
    report = record.metrics.get("evaluation", {}).get("report", {})
    return {
        name: report.get(name, {}).get("f1-score") for name in record.data.get("class_names") or []
    }


def sweep_variants(sweeps: list[Path]) -> dict[Path, str]:
    """Run folder → the variant name its sweep gave it (``sweep.json``), where named."""
    names: dict[Path, str] = {}
    for sweep in sweeps:
        path = sweep / SWEEP_SUMMARY
        runs = read_json(path).get("runs", []) if path.is_file() else []
        for run in runs if isinstance(runs, list) else []:
            if isinstance(run, dict) and run.get("folder") and run.get("variant"):
                names[(sweep / str(run["folder"])).resolve()] = str(run["variant"])
    return names


def group_variants(
    rows: list[RunRow],
    keys: list[str],
    columns: list[str],
    named: dict[Path, str] | None = None,
) -> list[Variant]:
    """Pool the rows of each variant into mean ± std per column and per class.

    A variant is labelled by the name its sweep gave all of its runs (``model_1``), else
    by the values it sets (``hidden=[8], lr=0.001``): names stay short in figures."""
    named = named or {}
    short = short_keys(keys)
    variants = []
    for variant_id in sorted({row.variant for row in rows}):
        members = [i for i, row in enumerate(rows) if row.variant == variant_id]
        sample = rows[members[0]]
        values = {key: sample.config.get(key, ABSENT) for key in keys}
        classes = list(sample.per_class_f1)
        given = {named.get(rows[i].folder.resolve()) for i in members}
        settings = ", ".join(f"{short[k]}={config_text(v)}" for k, v in values.items())
        variants.append(
            Variant(
                label=given.pop() if len(given) == 1 and None not in given else settings
                or "all runs",
                runs=members,
                seeds=[rows[i].seed for i in members],
                values=values,
                stats={c: summarize(rows[i].numbers[c] for i in members) for c in columns},
                per_class_f1={
                    c: summarize(rows[i].per_class_f1.get(c) for i in members) for c in classes
                },
            )
        )
    return variants


def mark_variants(variants: list[Variant], main: str, higher_is_better: bool) -> int:
    """Set each variant's verdict against the best one by ``main``; return the best's index."""
    best = best_index([v.stats[main].mean for v in variants], higher_is_better)
    for index, variant in enumerate(variants):
        variant.verdict = verdict(variant.stats[main], variants[best].stats[main], index == best)
    return best


def short_keys(keys: list[str]) -> dict[str, str]:
    """The shortest dotted tail that tells each key apart (``lr`` for compile.optimizer.lr)."""
    short = {}
    for key in keys:
        parts = key.split(".")
        for size in range(1, len(parts) + 1):
            tail = ".".join(parts[-size:])
            if not any(
                other != key and (other == tail or other.endswith("." + tail)) for other in keys
            ):
                break
        short[key] = tail
    return short


LABELS = {
    "epochs_run": "epochs",
    "best_epoch": "best epoch",
    "train_seconds": "time (s)",
    "test_macro_f1": "test macro F1",
    "test_mean_iou": "test mean IoU",
    "test_mean_dice": "test mean Dice",
    "test_r2": "test R²",
    "test_mae": "test MAE",
    "test_rmse": "test RMSE",
}


def label(column: str) -> str:
    """Column key → header text."""
    return LABELS.get(column, column.replace("_", " "))


def _shared_curve_metric(records: list[RunRecord]) -> str | None:
    """The first metric every run logged in training and scored on the test set.

    (The history also holds bookkeeping such as ``lr``; the test scores do not.)
    """
    logged = [
        [k for k in r.history if k != "loss" and not k.startswith("val_") and k in r.metrics]
        for r in records
    ]
    firsts = {names[0] if names else None for names in logged}
    return firsts.pop() if len(firsts) == 1 else None


def _evaluated_sha(record: RunRecord) -> str | None:
    split = record.data.get("splits", {}).get(record.metrics.get("split"), {})
    return split.get("sha256")


def _notes(comparison: Comparison, records: list[RunRecord]) -> list[str]:
    """What a reader must know to trust the table: skipped runs, differing data, metrics."""
    notes = []
    if comparison.skipped:
        notes.append(
            f"{len(comparison.skipped)} unfinished run(s) skipped: "
            + ", ".join(path.name for path in comparison.skipped)
        )
    notes += split_notes(records, comparison.split)
    if comparison.curve_metric is None:
        notes.append("the runs logged different metrics; only the loss curves compare")
    return notes


def split_notes(records: list[RunRecord], evaluated: str) -> list[str]:
    """A sentence for each non-evaluated split (train, val) whose samples differ between runs."""
    notes = []
    for split in ("train", "val"):
        shas = {r.data.get("splits", {}).get(split, {}).get("sha256") for r in records}
        if split != evaluated and len(shas) > 1:
            notes.append(
                f"the {split} split differs between runs ({len(shas)} different samples); "
                f"the {evaluated} set is the same, so the {evaluated} numbers compare, but "
                "part of a difference may come from the data the models saw"
            )
    return notes


def _short(value: Any) -> str:
    text = config_text(value)
    return text[:12] if isinstance(value, str) and len(value) == 64 else text
