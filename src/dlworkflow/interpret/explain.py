"""``dlw explain``: a finished run's model explained on chosen images, as figures and a page."""

from __future__ import annotations

import hashlib
import json
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
from dlworkflow.interpret.methods import NAMES, attribution_maps, choose
from dlworkflow.interpret.plots import channel_grid_figure, filter_grid_figure, heatmap_figure
from dlworkflow.interpret.probe import conv_layer_names
from dlworkflow.pages import inline_figure, render
from dlworkflow.ranges import whole_number
from dlworkflow.runfolder import (
    EXPLANATION_INDEX,
    EXPLANATIONS,
    FIGURES,
    read_json,
    read_run,
)

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

    Writes ``STEM.html``, ``STEM.json`` and ``figures/STEM_*.png`` into ``out`` (default
    ``RUN/explanations/``), named by the call (:func:`explanation_stem`) so that earlier
    calls' pages stay, refreshes ``index.html`` (all of them) and returns the page's path.
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
    target_dir = Path(out) if out else record.folder / EXPLANATIONS
    stem = explanation_stem(chosen, [p.name for p in picked], target, layer, patch, stride)
    figures = target_dir / FIGURES
    written: list[tuple[str, Path]] = []  # (caption, figure)
    maps = attribution_maps(model, x, chosen, shown, layer, patch, stride, seed=0)
    if maps:
        titles = [
            f"{p.name}: {names[c]} (p={y_prob[i, c]:.2f})"
            for i, (p, c) in enumerate(zip(picked, shown, strict=True))
        ]
        heat = heatmap_figure(raw, maps, titles, "hotter = more evidence for the class shown")
        caption = (
            f"{_and(list(maps))} heat maps of {_and([image_text(p.name) for p in picked])} "
            "(hotter = more evidence for the class shown)"
        )
        written.append((caption, save_figure(heat, figures / f"{stem}_heatmaps.png")))
    if "feature-maps" in chosen:
        for p, image in zip(picked, x, strict=True):
            for name, activation in feature_maps(model, image, [layer] if layer else None).items():
                path = figures / f"{stem}_feature-maps_{_slug(p.name)}_{_slug(name)}.png"
                caption = f"Feature maps of layer {name} for {image_text(p.name)}"
                written.append((caption, save_figure(channel_grid_figure(name, activation), path)))
    if "filters" in chosen:
        value_range = (float(x.min()), float(x.max()))
        for name in [layer] if layer else conv_layer_names(model, "filter visualisation"):
            inputs = maximise_filters(model, name, value_range=value_range)
            path = figures / f"{stem}_filters_{_slug(name)}.png"
            figure = filter_grid_figure(name, inputs, list(range(len(inputs))))
            caption = f"Inputs that maximise each filter of layer {name} (gradient ascent)"
            written.append((caption, save_figure(figure, path)))
    summary = {
        "run": str(record.folder),
        "page": f"{stem}.html",
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "methods": chosen,
        "options": {"class": target, "layer": layer, "patch": patch, "stride": stride},
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
        "figures": [{"file": path.name, "caption": caption} for caption, path in written],
    }
    write_json(target_dir / f"{stem}.json", summary)
    page = write_text(
        target_dir / f"{stem}.html", _page(record.config.get("name", ""), summary, written)
    )
    write_index(target_dir, record.config.get("name", ""))
    return page


def explanation_stem(
    methods: list[str],
    images: list[str],
    target: str | None = None,
    layer: str | None = None,
    patch: int | None = None,
    stride: int | None = None,
) -> str:
    """The file name of one call's page and figures: its methods and images, readable, and
    a hash of the whole call, so another call (other methods, images, class, layer…) never
    overwrites it and the same call again rewrites its own page."""
    call = json.dumps([methods, images, target, layer, patch, stride])
    digest = hashlib.sha256(call.encode()).hexdigest()[:8]
    named = "-".join(method.replace("+", "p") for method in methods)  # gradcam++: gradcampp
    readable = _slug(f"{named}_{'-'.join(images)}")[:80].rstrip("._-")
    return f"{readable}_{digest}"


def image_text(name: str) -> str:
    """``test-3`` → ``test image 3``; a file keeps its name."""
    number = name.removeprefix("test-")
    return f"test image {number}" if number != name and number.isdigit() else name


def write_index(folder: Path, run_name: str) -> Path:
    """``index.html``: every explanation written into ``folder``, newest first, linked."""
    pages = []
    for path in sorted(folder.glob("*.json")):
        try:
            summary = read_json(path)
        except BadInput:  # not one of ours (a damaged or foreign file): not listed
            continue
        if "methods" in summary and (folder / str(summary.get("page", ""))).is_file():
            pages.append(summary)
    pages.sort(key=lambda summary: str(summary.get("created", "")), reverse=True)
    html = render(
        "dlworkflow.interpret",
        "explain_index.html.j2",
        name=run_name,
        pages=pages,
        method_names=NAMES,
        image_text=image_text,
    )
    return write_text(folder / EXPLANATION_INDEX, html)


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


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _page(name: str, summary: dict, figures: list[tuple[str, Path]]) -> str:
    return render(
        "dlworkflow.interpret",
        "explain.html.j2",
        name=name,
        summary=summary,
        method_names=NAMES,
        figures=[(caption, inline_figure(path, caption)) for caption, path in figures],
        created=summary["created"],
    )
