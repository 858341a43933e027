"""``dlw explain``: a finished run's model explained on chosen images, as figures and a page."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from dlworkflow.atomic import write_json, write_text
from dlworkflow.data import load_dataset
from dlworkflow.errors import BadInput
from dlworkflow.figures import save_figure
from dlworkflow.imagefile import MAX_PIXELS, check_max_pixels
from dlworkflow.interpret.classes import probabilities
from dlworkflow.interpret.features import feature_maps, maximise_filters
from dlworkflow.interpret.images import image_shape, pick_images, raw_top
from dlworkflow.interpret.methods import attribution_maps, choose
from dlworkflow.interpret.plots import channel_grid_figure, filter_grid_figure, heatmap_figure
from dlworkflow.interpret.probe import conv_layer_names
from dlworkflow.pages import inline_figure, render
from dlworkflow.ranges import whole_number
from dlworkflow.runfolder import FIGURES, read_run

DEFAULT = ("gradcam", "saliency", "occlusion", "feature-maps")


def explain_run(
    folder: str | Path,
    images: list[str],
    methods: list[str] | None = None,
    target: str | None = None,
    layer: str | None = None,
    patch: int | None = None,
    stride: int | None = None,
    out: str | Path | None = None,
    max_pixels: int = MAX_PIXELS,
) -> Path:
    """Explain ``images`` (files or ``test:N``) for the predicted class or ``target``.

    Writes the figures, ``explanation.json`` and ``explanation.html`` into ``out``
    (default ``RUN/explanations/``) and returns the page's path.
    """
    record = read_run(folder)
    if record.data.get("task") == "segmentation":
        raise BadInput(
            f"{folder}: a segmentation run; explain it with dlw predict RUN IMAGE --cam CLASS"
        )
    shape = image_shape(record.data)
    side = min(shape[:2])
    for key, value in (("--patch", patch), ("--stride", stride)):
        if value is not None:
            whole_number(value, key, 1, side)  # within the run's image side
    if not images:
        raise BadInput("give at least one IMAGE: an image file or test:N")
    names = record.data["class_names"]
    classes = None if target is None else _class_index(target, names)
    preprocessing = record.preprocessing
    test = _test_split(record) if any(s.startswith("test:") for s in images) else None
    check_max_pixels(max_pixels, "--max-pixels")
    picked = pick_images(images, shape, raw_top(preprocessing), test, max_pixels)
    if not record.head_in_model:
        raise BadInput(
            f"{record.folder}: its k-NN head is not part of model.keras, so the model gives "
            "features, not class scores; explain a run with a linear, dense or fine-tuned head"
        )
    model = record.model()
    chosen, notes = choose(model, methods, DEFAULT)
    raw = np.stack([p.raw for p in picked])
    x = preprocessing.with_flatten(False).apply(raw)
    y_prob = probabilities(model, x)
    shown = np.asarray(classes if classes is not None else y_prob.argmax(axis=1))
    shown = np.broadcast_to(shown, (len(picked),))
    target_dir = Path(out) if out else record.folder / "explanations"
    figures = target_dir / FIGURES
    written = []
    maps = attribution_maps(model, x, chosen, shown, layer, patch, stride, seed=0)
    if maps:
        titles = [
            f"{p.name}: {names[c]} (p={y_prob[i, c]:.2f})"
            for i, (p, c) in enumerate(zip(picked, shown, strict=True))
        ]
        heat = heatmap_figure(raw, maps, titles, "hotter = more evidence for the class shown")
        written.append(save_figure(heat, figures / "heatmaps.png"))
    if "feature-maps" in chosen:
        for p, image in zip(picked, x, strict=True):
            for name, activation in feature_maps(model, image, [layer] if layer else None).items():
                path = figures / f"feature_maps_{_slug(p.name)}_{_slug(name)}.png"
                written.append(save_figure(channel_grid_figure(name, activation), path))
    if "filters" in chosen:
        value_range = (float(x.min()), float(x.max()))
        for name in [layer] if layer else conv_layer_names(model, "filter visualisation"):
            inputs = maximise_filters(model, name, value_range=value_range)
            path = figures / f"filters_{_slug(name)}.png"
            written.append(
                save_figure(filter_grid_figure(name, inputs, list(range(len(inputs)))), path)
            )
    summary = {
        "run": str(record.folder),
        "methods": chosen,
        "notes": notes,
        "images": [
            {
                "name": p.name,
                "true": names[p.label] if p.label is not None else None,
                "predicted": names[int(y_prob[i].argmax())],
                "shown_class": names[int(shown[i])],
                "probabilities": {
                    n: round(float(v), 4) for n, v in zip(names, y_prob[i], strict=True)
                },
                "notes": p.notes,
            }
            for i, p in enumerate(picked)
        ],
        "figures": [path.name for path in written],
    }
    write_json(target_dir / "explanation.json", summary)
    return write_text(
        target_dir / "explanation.html", _page(record.config.get("name", ""), summary, written)
    )


def _class_index(target: str, names: list[str]) -> int:
    if target in names:
        return names.index(target)
    if target.isdigit() and int(target) < len(names):
        return int(target)
    raise BadInput(f"--class: '{target}' is not one of the run's classes: {', '.join(names)}")


def _test_split(record):
    """The run's own test split, rebuilt from its recorded data spec and seed."""
    dataset = load_dataset(record.config["data"], seed=record.config.get("seed", 0))
    if dataset.test is None:
        raise BadInput("test:N: this run's data has no test split (data.split.test is 0)")
    return dataset.test


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "x"


def _page(name: str, summary: dict, figures: list[Path]) -> str:
    return render(
        "dlworkflow.interpret",
        "explain.html.j2",
        name=name,
        summary=summary,
        figures=[(path.stem, inline_figure(path, path.stem)) for path in figures],
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
