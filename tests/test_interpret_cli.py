"""``dlw explain`` and the run report's interpretation section, end to end."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import dlworkflow
from dlworkflow.data import load_dataset
from dlworkflow.errors import BadInput
from dlworkflow.interpret import explain_run, interpret_run
from dlworkflow.models import build_zoo, head_for
from dlworkflow.runfolder import EXPLANATIONS
from tests.conftest import run_dlw
from tests.html_parse import ReportPage

# Named, so the names do not depend on how many layers earlier tests in the process built.
CONV = [
    {
        "Conv2D": {
            "filters": 8,
            "kernel_size": 3,
            "padding": "same",
            "activation": "relu",
            "name": "conv2d",
        }
    },
    {"MaxPooling2D": {"pool_size": 2, "name": "max_pooling2d"}},
    "Flatten",
    {"Dense": {"units": 10, "activation": "softmax"}},
]


@pytest.fixture(scope="module")
def conv_run(tmp_path_factory):
    """The one real run every test here explains."""
    runs = tmp_path_factory.mktemp("runs")
    config = {
        "name": "digits-conv",
        "data": {"source": "digits", "limit": 400},
        "model": {"layers": CONV},
        "train": {"epochs": 2, "learnability": False},
    }
    return dlworkflow.run(config, runs_dir=runs)


def test_run_report_has_the_interpretation_section(conv_run):
    record = json.loads((conv_run.folder / "interpretation.json").read_text())
    assert record["methods"] == ["Grad-CAM", "saliency", "occlusion (drop of p)"]
    assert record["gradcam_layer"] == "conv2d" and record["feature_layer"] == "conv2d"
    assert [image["correct"] for image in record["images"]][:3] == [True, True, True]
    page = ReportPage((conv_run.folder / "report.html").read_text(encoding="utf-8"))
    assert page.sections.index("interpretation") == page.sections.index("evaluation") + 1
    assert (conv_run.folder / "figures" / "feature_maps.png").is_file()


def test_explain_files_and_test_images(conv_run, tmp_path: Path):
    picture = tmp_path / "digit.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 16, 3), np.uint8)).save(picture)
    out = tmp_path / "explained"
    methods = ["-m", "gradcam", "-m", "gradcam++", "-m", "smoothgrad", "-m", "occlusion"]
    result = run_dlw(
        "explain", str(conv_run.folder), str(picture), "test:3", *methods, "-m", "feature-maps",
        "-m", "filters", "--class", "7", "--patch", "2", "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (summary_path,) = out.glob("*.json")
    summary = json.loads(summary_path.read_text())
    first, second = summary["images"]
    assert first["notes"] == [
        "converted from RGB to L (1 channel(s))",
        "resized from 16×20 to 8×8",
        "pixel values 0–255 mapped to the run's raw range 0–16",
    ]
    assert second["name"] == "test-3" and second["true"] is not None
    assert first["shown_class"] == second["shown_class"] == "7"
    stem = summary_path.stem
    assert stem.startswith("gradcam-gradcampp-smoothgrad-occlusion-feature-maps-filters_digit.png")
    assert {figure["file"].removeprefix(stem + "_") for figure in summary["figures"]} == {
        "heatmaps.png",
        "feature-maps_digit.png_conv2d.png",
        "feature-maps_digit.png_max_pooling2d.png",
        "feature-maps_test-3_conv2d.png",
        "feature-maps_test-3_max_pooling2d.png",
        "filters_conv2d.png",
    }
    captions = [figure["caption"] for figure in summary["figures"]]
    assert captions[0] == (
        "Grad-CAM, Grad-CAM++, SmoothGrad and occlusion (drop of p) heat maps of digit.png "
        "and test image 3 (hotter = more evidence for the class shown)"
    )
    assert "Feature maps of layer conv2d for test image 3" in captions
    assert "Inputs that maximise each filter of layer conv2d (gradient ascent)" in captions
    html = (out / summary["page"]).read_text(encoding="utf-8")
    page = ReportPage(html)
    assert page.png_count == 6 and page.external == []
    assert page.table("explained")[2][0] == "test-3"
    assert "<figcaption>Feature maps of layer conv2d for test image 3</figcaption>" in html
    assert "feature_maps_" not in html and "<figcaption>heatmaps" not in html


def test_each_call_keeps_its_page_and_the_index_lists_them(conv_run, tmp_path: Path):
    out = tmp_path / "explained"
    pages = [
        explain_run(conv_run.folder, ["test:0"], [method], out=out)
        for method in ("gradcam", "saliency", "feature-maps")
    ]
    assert len(set(pages)) == 3 and all(page.is_file() for page in pages)
    assert explain_run(conv_run.folder, ["test:0"], ["saliency"], out=out) == pages[1]
    assert explain_run(conv_run.folder, ["test:0"], ["saliency"], "3", out=out) not in pages
    assert len(list(out.glob("*.html"))) == 5  # four pages and the index
    index = ReportPage((out / "index.html").read_text(encoding="utf-8"))
    header, *rows = index.table("explanation-list")
    assert sorted(row[0] for row in rows) == sorted(p.name for p in out.glob("*_*.html"))
    assert {row[header.index("methods")] for row in rows} == {
        "Grad-CAM",
        "saliency",
        "feature maps",
    }
    assert {row[header.index("images")] for row in rows} == {"test image 0"}
    assert "class 3" in {row[header.index("options")] for row in rows}
    for figure in ("heatmaps", "feature-maps_test-0_conv2d"):
        assert len(list((out / "figures").glob(f"*_{figure}.png"))) >= 1
    assert len(list((out / "figures").glob("*_heatmaps.png"))) == 3


@pytest.mark.parametrize("side", [8, 28, 64])
def test_heatmap_titles_stay_below_the_row_above(side: int):
    from dlworkflow.interpret.plots import heatmap_figure

    rng = np.random.default_rng(0)
    maps = {name: rng.random((3, side, side)) for name in ("Grad-CAM", "saliency", "occlusion")}
    titles = [f"test-{i}: 0 (p=0.14)" for i in range(3)]
    figure = heatmap_figure(rng.random((3, side, side, 1)), maps, titles, "hotter = more")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (axis,) = figure.axes
    mosaic = np.asarray(axis.images[0].get_array())
    blank = np.all(mosaic == 1.0, axis=(1, 2))  # the white gaps between rows of tiles
    bottoms = [i for i in range(len(blank) - 1) if not blank[i] and blank[i + 1]]
    assert len(bottoms) == 2  # below rows 1 and 2 (the last row ends the mosaic)
    for row, bottom in enumerate(bottoms, start=1):
        edge = axis.transData.transform((0, bottom + 0.5))[1]  # display y, upwards
        for text in axis.texts[4 * row : 4 * row + 4]:
            assert text.get_window_extent(renderer).y1 < edge, (side, row, text.get_text())


def test_explain_page_headings_do_not_overlap_the_figures(conv_run, tmp_path: Path):
    from tests.browser import browser_page

    page_path = explain_run(
        conv_run.folder, ["test:0", "test:1"], ["gradcam", "feature-maps"], out=tmp_path
    )
    with browser_page() as page:
        page.set_viewport_size({"width": 1000, "height": 800})
        page.goto(page_path.as_uri())
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('h2, figure img, figcaption')].map(e => {
                const r = e.getBoundingClientRect();
                return [e.tagName, r.top, r.bottom, r.height];
            })"""
        )
    assert [tag for tag, *_ in boxes].count("IMG") == 5
    for (_, _, bottom, _), (tag, top, _, height) in zip(boxes, boxes[1:], strict=False):
        assert height > 0 and top >= bottom, (tag, top, bottom)  # each below the one before


@pytest.mark.parametrize(
    ("images", "options", "message"),
    [
        (["missing.png"], {}, "missing.png: no such image file"),
        (["test:0"], {"methods": ["heat"]}, "--method: heat unknown"),
        (["test:0"], {"target": "cat"}, "--class: 'cat' is not one of the run's classes"),
        (["test:0"], {"layer": "dense"}, "layer 'dense' is not a conv/pooling layer"),
        (["test:x"], {}, "test:x: expected test:N"),
    ],
)
def test_explain_bad_input(conv_run, tmp_path: Path, images, options, message):
    with pytest.raises(BadInput, match=re.escape(message)):
        explain_run(conv_run.folder, images, out=tmp_path / "o", **options)
    assert not (tmp_path / "o").exists()


def test_explain_cli_bad_input_exits_2_and_writes_nothing(conv_run, tmp_path: Path):
    out = tmp_path / "o"
    result = run_dlw("explain", str(conv_run.folder), "test:99999", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2 and "test:99999: the test split has images 0–" in result.stderr
    assert not out.exists() and not (conv_run.folder / EXPLANATIONS).exists()


def test_dense_only_model_gets_saliency_and_occlusion(tmp_path: Path):
    """The default run's MLP: the section runs what needs no conv layer and says why."""
    dataset = load_dataset({"source": "digits", "limit": 200})
    mlp = build_zoo("mlp", (64,), head_for("multiclass", 10), {"hidden": [16]})
    split = dataset.test
    y_prob = np.asarray(mlp(dataset.preprocessing.with_flatten(True).apply(split.x)))
    record = interpret_run(mlp, dataset, split, y_prob, tmp_path, count=2)
    assert record["methods"] == ["saliency", "occlusion (drop of p)"]
    assert "Grad-CAM and feature maps need a conv layer" in record["notes"][0]
    assert 2 <= len(record["images"]) <= 4 and "feature_layer" not in record
    for image in record["images"]:
        right = y_prob[image["index"]].argmax() == split.y[image["index"]]
        assert image["correct"] == right == (image["true"] == image["predicted"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interpretation.png"]


def test_the_run_report_links_the_explanations_once_there_are_some(conv_run, tmp_path: Path):
    from dlworkflow.report import build_report

    folder = shutil.copytree(conv_run.folder, tmp_path / "run")
    assert 'href="explanations/index.html"' not in build_report(folder).read_text("utf-8")
    page = explain_run(folder, ["test:0"], ["saliency"])
    assert page.parent == folder / EXPLANATIONS
    assert 'href="explanations/index.html"' in build_report(folder).read_text("utf-8")
