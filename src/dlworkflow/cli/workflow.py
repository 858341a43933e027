"""The workflow commands: run, report, lr-find, model, evaluate, data."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dlworkflow.cli.common import app, backend, console, out, parse_mapping, parse_options, warn


@app.command("run")
def run_command(
    config: Annotated[Path | None, typer.Argument(help="Experiment YAML; none: digits.")] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Where run folders go.")] = Path(
        "runs"
    ),
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Sweeps: runs at a time, in processes.")
    ] = 1,
    executor: Annotated[
        str,
        typer.Option("--executor", help="Sweeps: local (processes) or ray (each run a Ray task)."),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster: auto or ray://HOST:PORT; none: start one."),
    ] = None,
    mlflow: Annotated[
        str | None,
        typer.Option("--mlflow", help="Also log to MLflow: a folder (mlruns) or a tracking URI."),
    ] = None,
    tensorboard: Annotated[
        bool, typer.Option("--tensorboard", help="Also write TensorBoard logs in the run.")
    ] = False,
) -> None:
    """Run the whole workflow into runs/<name>/, or every run of a sweep (rerun to resume)."""
    with backend():
        with console.status("starting Keras…"):  # seconds of imports; terminals only
            from dlworkflow.experiments import TrackingOptions, plan_sweep, run, run_sweep
        from dlworkflow.experiments.sweep_runner import MAX_JOBS
        from dlworkflow.ranges import whole_number

        whole_number(jobs, "--jobs", 1, MAX_JOBS)  # also for a single run: a typo is refused
        tracking = TrackingOptions(mlflow=mlflow, tensorboard=tensorboard)
        plan = plan_sweep(config) if config is not None else None
        if plan is not None:
            result = run_sweep(plan, runs_dir, jobs, console, tracking, executor, address)
            _print_sweep(result)
            return
        if executor != "local" or address is not None:
            from dlworkflow.errors import BadInput

            raise BadInput("--executor/--address: apply to sweeps (a config with sweep:)")
        result = run(config, runs_dir=runs_dir, console=console, tracking=tracking)
    table = Table(title=escape(f"{result.config.name}: {result.metrics['split']} metrics"))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in result.metrics.items():  # nested records: metrics.json, the report
        if not isinstance(value, (dict, list)):
            table.add_row(name, f"{value:.4f}" if isinstance(value, float) else escape(str(value)))
    out.print(table)
    report_text = result.metrics["evaluation"].get("report_text")
    if report_text:
        out.print(escape(report_text), highlight=False)
    out.print(f"run folder: {escape(str(result.folder))}")
    out.print(f"report: {escape(str(result.folder / 'report.html'))}")


def _print_sweep(result) -> None:
    from dlworkflow.errors import WorkFailed

    table = Table(title=escape(f"sweep {result.folder.name}"))
    for column in ("run", "status", "split", "accuracy", "loss", "epochs", "seconds"):
        table.add_column(column, justify="left" if column in ("run", "status") else "right")
    for outcome in result.outcomes:
        metrics = outcome.metrics or {}
        table.add_row(
            escape(outcome.name),
            outcome.status,
            *(
                f"{metrics[key]:.4f}"
                if isinstance(metrics.get(key), float)
                else escape(str(metrics.get(key, "")))
                for key in ("split", "accuracy", "loss", "epochs_run", "train_seconds")
            ),
        )
    out.print(table)
    out.print(f"sweep folder: {escape(str(result.folder))}")
    if result.comparison_page:
        out.print(f"comparison: {escape(str(result.comparison_page))}")
    if result.failed:
        names = ", ".join(outcome.name for outcome in result.failed)
        raise WorkFailed(f"{len(result.failed)} of {len(result.outcomes)} runs failed: {names}")


@app.command("report")
def report_command(
    run_folder: Annotated[Path, typer.Argument(help="A finished run folder.")],
) -> None:
    """(Re)build report.html from a run folder alone."""
    from dlworkflow import runfolder
    from dlworkflow.report import build_report

    # a folder with model_table.json needs no Keras; an older one opens model.keras
    has_table = (run_folder / runfolder.MODEL_TABLE).is_file()
    with nullcontext() if has_table else backend():
        path = build_report(run_folder)
    out.print(f"report: {escape(str(path))}")


@app.command("lr-find")
def lr_find_command(
    config: Annotated[Path, typer.Argument(help="Experiment YAML.")],
    start: Annotated[float, typer.Option(help="First learning rate.")] = 1e-7,
    end: Annotated[float, typer.Option(help="Last learning rate.")] = 10.0,
    steps: Annotated[
        int | None, typer.Option(help="Batches (default 100; small data is cycled).")
    ] = None,
    by_epoch: Annotated[
        bool, typer.Option("--by-epoch", help="Seed 002's variant: 1e-4·10^(epoch/20).")
    ] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Figure folder.")] = None,
) -> None:
    """LR range test: loss against an exponentially growing learning rate, and suggestions."""
    from dlworkflow.errors import BadInput
    from dlworkflow.ranges import whole_number

    if not 0 < start < end:
        raise BadInput(f"--start/--end: need 0 < start < end, got {start:g} and {end:g}")
    if steps is not None:
        whole_number(steps, "--steps", 1)
    with backend():
        from dlworkflow.config import load_config
        from dlworkflow.experiments import prepare
        from dlworkflow.figures import save_figure
        from dlworkflow.train.lr_finder import find_lr, lr_finder_figure, lr_range_by_epoch

        settings = load_config(config)
        prepared = prepare(settings)
        x, y = prepared.arrays(prepared.dataset.train)
        batch, seed = settings.train.batch_size, settings.seed
        if by_epoch:
            result = lr_range_by_epoch(prepared.model, x, y, batch_size=batch, seed=seed)
        else:
            result = find_lr(
                prepared.model,
                x,
                y,
                batch_size=batch,
                start_lr=start,
                end_lr=end,
                steps=steps,
                seed=seed,
            )
        folder = out_dir or Path("runs") / f"lr-find-{settings.name}"
        path = save_figure(lr_finder_figure(result), folder / "lr_finder.svg")
    passes = f", {result.passes:g} passes over {len(x):,} samples" if result.unit == "batch" else ""
    if result.diverged:
        passes += "; stopped when the loss diverged"
    table = Table(
        title=escape(
            f"{settings.name}: LR range test, {len(result.lrs)} steps (per {result.unit}){passes}"
        )
    )
    table.add_column("rule")
    table.add_column("learning rate", justify="right")
    for rule, value in result.suggestions.items():
        table.add_row(rule, f"{value:.3g}")
    out.print(table)
    if result.recommended:
        out.print(f"recommended: {result.recommended:.3g} ({result.rule})")
    else:
        out.print(
            "no recommendation: the loss neither fell by 10 % nor climbed 5 % above its low; "
            "keep compile.optimizer.lr"
        )
    out.print(f"figure: {escape(str(path))}")


@app.command("model")
def model_command(
    target: Annotated[str, typer.Argument(help="CONFIG.yaml, model.keras or a zoo name.")],
    input_shape: Annotated[
        str | None, typer.Option("--input-shape", help="For a zoo name, e.g. 28,28,1.")
    ] = None,
    classes: Annotated[int | None, typer.Option(help="For a zoo name: output classes.")] = None,
    expand: Annotated[bool, typer.Option(help="Open nested models into their layers.")] = False,
    rankdir: Annotated[str, typer.Option(help="Graph direction: TB or LR.")] = "TB",
    out_dir: Annotated[Path | None, typer.Option("--out", help="Drawing folder.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Also write the table.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the table.")] = None,
) -> None:
    """The layer table with filter size / stride and the hand formulas, plus drawings."""
    from dlworkflow.errors import BadInput
    from dlworkflow.ranges import whole_number

    if rankdir not in ("TB", "LR"):
        raise BadInput(f"--rankdir: '{rankdir}' is not TB or LR")
    if classes is not None:
        whole_number(classes, "--classes", 1, 100_000)
    shape = None
    if input_shape:
        try:
            shape = tuple(int(v) for v in input_shape.split(","))
        except ValueError:
            raise BadInput(f"--input-shape: '{input_shape}' is not like 28,28,1") from None
        for size in shape:
            whole_number(size, "--input-shape", 1, 8192)  # sides and channels
    with backend():
        from dlworkflow.experiments.resolve import resolve_model
        from dlworkflow.models.picture import save_drawings
        from dlworkflow.models.summary import layer_table, param_totals
        from dlworkflow.models.table import formula_table, rich_table, write_csv, write_json

        model = resolve_model(target, shape, classes)
        rows, totals = layer_table(model, expand_nested=expand), param_totals(model)
        out.print(rich_table(rows, totals, title=model.name))
        out.print(formula_table(rows))
        if csv_path:
            out.print(f"table: {escape(str(write_csv(rows, csv_path)))}")
        if json_path:
            out.print(f"table: {escape(str(write_json(rows, totals, json_path)))}")
        folder = out_dir or Path("runs") / f"model-{model.name}"
        written, warning = save_drawings(model, folder, rankdir, expand)
    for path in written:
        out.print(f"drawing: {escape(str(path))}")
    if warning:
        warn(warning)


@app.command("evaluate")
def evaluate_command(
    run_folder: Annotated[Path, typer.Argument(help="A finished run folder.")],
    data: Annotated[str, typer.Option("--data", help="Another dataset: a name, folder:, csv:.")],
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Source option KEY=VALUE (YAML value)."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Stratified subset of N samples.")] = None,
) -> None:
    """Evaluate a run's model on another dataset; adds a section to its report."""
    spec = {"source": data, "options": parse_options(option), "limit": limit}
    with backend():
        from dlworkflow.experiments.other_data import evaluate_run

        result = evaluate_run(run_folder, spec)
    evaluation = result["evaluation"]
    report = evaluation.get("report_text")
    out.print(escape(report) if report else evaluation, highlight=False)
    out.print(f"report: {escape(str(run_folder / 'report.html'))}")


@app.command("data")
def data_command(
    source: Annotated[
        str, typer.Argument(help="digits, mnist…, a folder of class subfolders, a CSV.")
    ],
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Source option KEY=VALUE (YAML value)."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Stratified subset of N samples.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Figure folder.")] = None,
    augment: Annotated[
        str | None,
        typer.Option(help="Preview data.augment, a YAML mapping: '{horizontal_flip: true}'."),
    ] = None,
) -> None:
    """Survey a dataset: shapes, value range, class counts, and figures."""
    from dlworkflow.data import load_dataset
    from dlworkflow.data.survey import survey, survey_figures

    spec = {"source": source, "options": parse_options(option), "limit": limit}
    if augment is not None:
        spec["augment"] = parse_mapping(augment, "--augment")
    dataset = load_dataset(spec)  # checks the augment mapping too (as data.augment)
    summary = survey(dataset)
    table = Table(title=escape(f"{dataset.name} ({dataset.task}, {dataset.kind})"))
    for column in ("split", "size", "x shape", "dtype", "min", "max", "mean", "std"):
        table.add_column(column, justify="right" if column != "split" else "left")
    for name, entry in summary["splits"].items():
        table.add_row(
            name,
            str(entry["size"]),
            str(tuple(entry["x_shape"])),
            entry["dtype"],
            f"{entry['min']:.4g}",
            f"{entry['max']:.4g}",
            f"{entry['mean']:.4g}",
            f"{entry['std']:.4g}",
        )
    out.print(table)
    if summary["cleaning"]:
        rows = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary["cleaning"].items())
        out.print(f"cleaning: {escape(rows)}", highlight=False)
    if dataset.task != "regression":
        counts = Table(title="class counts")
        counts.add_column("class")
        for name in summary["splits"]:
            counts.add_column(name, justify="right")
        for index, class_name in enumerate(dataset.class_names):
            counts.add_row(
                escape(str(class_name)),
                *(str(entry["class_counts"][index]) for entry in summary["splits"].values()),
            )
        out.print(counts)
    folder = out_dir or Path("runs") / f"data-{dataset.name}"
    for path in survey_figures(dataset, folder):
        out.print(f"figure: {escape(str(path))}")
    if augment is not None:
        with backend():
            from dlworkflow.data.augment import AugmentSpec
            from dlworkflow.data.augment_layers import (
                AUGMENT_PREVIEW,
                augment_preview,
                training_augmenter,
            )

            chosen = AugmentSpec.model_validate(spec["augment"])
            training_augmenter(chosen, dataset, 42)  # refuses non-images and no transform
            path = augment_preview(dataset, chosen, folder / AUGMENT_PREVIEW, 42)
        out.print(f"figure: {escape(str(path))}")
