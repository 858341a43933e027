"""Step 3's architecture views: the layer table, the hand formulas and the drawings."""

import csv
import json
import re

import keras
import pytest
from keras import layers
from rich.console import Console

from dlworkflow.errors import BadInput
from dlworkflow.figures import plt, save_figure
from dlworkflow.models import Head, build_from_layers, build_zoo
from dlworkflow.models.graph import draw_graph, model_dot
from dlworkflow.models.layered import layered_view
from dlworkflow.models.neurons import dense_widths, neuron_diagram
from dlworkflow.models.picture import architecture_figure
from dlworkflow.models.summary import layer_table, param_totals
from dlworkflow.models.table import formula_table, rich_table, write_csv, write_json
from dlworkflow.models.topology import walk

from .test_models import ALEXNET_LAYER_PARAMS

SOFTMAX10 = Head(10, "softmax")
IMAGENET = Head(1000, "softmax")


@pytest.fixture(scope="module")
def alexnet():
    return build_zoo("alexnet", (227, 227, 3), IMAGENET)


@pytest.fixture(scope="module")
def alexnet224():
    """The input size many tutorials give AlexNet, on which its first conv does not fit."""
    return build_zoo("alexnet", (224, 224, 3), IMAGENET)


@pytest.fixture(scope="module")
def vgg16():
    return build_zoo("vgg16", (64, 64, 3), SOFTMAX10, {"top": "small"})


@pytest.fixture(scope="module")
def residual():
    """Conv → Conv → Add with the skip from the first conv, then a small head."""
    inputs = keras.Input((16, 16, 8), name="image")
    skip = layers.Conv2D(8, 3, padding="same", activation="relu", name="stem")(inputs)
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_a")(skip)
    x = layers.Conv2D(8, 3, padding="same", name="conv_b")(x)
    x = layers.Add(name="add")([skip, x])
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax", name="output")(x))


def dense_net(*widths: int, activation: str = "relu") -> keras.Model:
    hidden = [layers.Dense(units, activation=activation) for units in widths[1:-1]]
    return keras.Sequential(
        [keras.Input((widths[0],)), *hidden, layers.Dense(widths[-1], activation="softmax")]
    )


def test_alexnet_row_by_row_on_227(alexnet):
    rows = layer_table(alexnet)
    assert [row["params"] for row in rows if row["params"]] == ALEXNET_LAYER_PARAMS
    convs_and_pools = [row for row in rows if row["kernel"]]
    assert [row["output_shape"] for row in convs_and_pools] == [
        "55×55×96",
        "27×27×96",
        "27×27×256",
        "13×13×256",
        "13×13×384",
        "13×13×384",
        "13×13×256",
        "6×6×256",
    ]
    conv1 = rows[0]
    assert (conv1["type"], conv1["input_shape"], conv1["activation"]) == (
        "Conv2D",
        "227×227×3",
        "relu",
    )
    assert (conv1["kernel"], conv1["stride"], conv1["padding"]) == ("11×11", "4×4", "valid")
    assert conv1["formula"] == "(227−11+2·0)/4+1 = 55 → 55×55×96; 96·(11·11·3+1) = 34,944"
    assert conv1["macs"] == 55 * 55 * 96 * (11 * 11 * 3)
    assert rows[1]["formula"] == "(55−3+2·0)/2+1 = 27 → 27×27×96"
    assert rows[2]["formula"].startswith("(27−5+2·2)/1+1 = 27")  # same padding: P = 2
    assert [row["name"] for row in rows if row["formula_flag"]] == []
    assert sum(1 for row in rows if row["formula"]) == 11  # 5 conv, 3 pool, 3 dense
    dense = next(row for row in rows if row["type"] == "Dense")
    assert dense["formula"] == "9216·4096+4096 = 37,752,832"
    totals = param_totals(alexnet)
    assert totals["total"] == totals["trainable"] == 62_378_344
    assert totals["weights_mb"] == pytest.approx(62_378_344 * 4 / 2**20)
    outputs = sum(row["activations"] for row in rows)
    assert totals["activations_mb"] == pytest.approx(outputs * 4 / 2**20)


def test_alexnet_on_224_flags_the_first_conv(alexnet224):
    rows = layer_table(alexnet224)
    conv1 = rows[0]
    assert conv1["output_shape"] == "54×54×96"
    assert conv1["formula"].startswith("(224−11+2·0)/4+1 = 54.25 → 54×54×96")
    assert conv1["formula_flag"]
    assert conv1["formula_note"] == "54.25 is not an integer: Keras floors to 54"
    assert not rows[2]["formula_flag"]  # a same-padded conv always fits


def test_course_reference_counts():
    notes = build_zoo("notes_cnn", (28, 28, 1), SOFTMAX10)
    assert param_totals(notes)["total"] == 215_370
    rows = layer_table(notes)
    assert rows[0]["formula"] == "(28−5+2·2)/1+1 = 28 → 28×28×16; 16·(5·5·1+1) = 416"
    assert rows[0]["macs"] == 28 * 28 * 16 * 25
    lab1 = build_from_layers(
        [
            {"Dense": {"units": 784, "activation": "relu"}},
            {"Dense": {"units": 10, "activation": "sigmoid"}},
        ],
        (784,),
    )
    rows = layer_table(lab1)
    assert [row["formula"] for row in rows] == [
        "784·784+784 = 615,440",
        "784·10+10 = 7,850",
    ]
    totals = param_totals(lab1)
    assert totals["total"] == 623_290
    assert totals["macs"] == 784 * 784 + 784 * 10


def test_vgg16_base_collapsed_or_expanded(vgg16):
    collapsed = layer_table(vgg16)
    base = next(row for row in collapsed if row["name"] == "vgg16")
    assert (base["type"], base["params"]) == ("Functional", 14_714_688)
    expanded = layer_table(vgg16, expand_nested=True)
    convs = [row for row in expanded if row["type"] == "Conv2D"]
    assert len(convs) == 13
    assert sum(row["params"] for row in convs) == 14_714_688
    assert convs[0]["name"] == "vgg16/block1_conv1" and convs[0]["depth"] == 1
    assert convs[0]["formula"].endswith("64·(3·3·3+1) = 1,792")
    assert base["macs"] == sum(row["macs"] for row in convs)
    assert len(collapsed) == len(vgg16.layers)  # the report's table has one row per layer


def test_functional_rows_keep_both_inputs_of_a_merge(residual):
    rows = {row["name"]: row for row in layer_table(residual)}
    assert rows["add"]["input_shape"] == "16×16×8, 16×16×8"
    assert rows["add"]["formula"] == "" and rows["add"]["macs"] == 0
    assert rows["image"]["type"] == "InputLayer"


def test_rich_tables_show_filter_stride_and_totals(alexnet224):
    rows, totals = layer_table(alexnet224), param_totals(alexnet224)
    console = Console(record=True, width=220)
    console.print(rich_table(rows, totals, title="AlexNet"))
    console.print(formula_table(rows))
    text = console.export_text()
    assert "11×11 / 4×4" in text and "3×3 / 2×2" in text
    assert f"{totals['total']:,}" in text
    assert "⚠ 54.25 is not an integer: Keras floors to 54" in text


def test_csv_and_json_round_trip(tmp_path, residual):
    rows, totals = layer_table(residual), param_totals(residual)
    write_csv(rows, tmp_path / "layers.csv")
    write_json(rows, totals, tmp_path / "layers.json")
    with (tmp_path / "layers.csv").open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert read == [{key: str(value) for key, value in row.items()} for row in rows]
    assert json.loads((tmp_path / "layers.json").read_text(encoding="utf-8")) == {
        "layers": rows,
        "totals": totals,
    }


def test_graph_draws_the_skip_into_the_merge(tmp_path, residual):
    source = model_dot(residual).to_string()
    edges = set(re.findall(r'"?([\w/]+)"?\s*->\s*"?([\w/]+)"?', source))
    assert {("stem", "add"), ("conv_b", "add"), ("stem", "conv_a"), ("image", "stem")} <= edges
    for suffix in ("svg", "png"):
        path = draw_graph(residual, tmp_path / f"graph.{suffix}", rankdir="LR")
        assert path.stat().st_size > 2_000
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "conv_b" in svg and "16×16×8" in svg


def test_graph_of_a_nested_model_wires_into_its_layers(vgg16):
    source = model_dot(vgg16, expand_nested=True).to_string()
    assert "subgraph cluster_vgg16" in source
    input_name = vgg16.layers[0].name
    assert f'{input_name} -> "vgg16/block1_conv1"' in source
    assert f'"vgg16/block5_pool" -> {vgg16.layers[2].name};' in source
    assert f"{input_name} -> vgg16;" in model_dot(vgg16).to_string()


def test_missing_graphviz_says_how_to_install_it(tmp_path, monkeypatch, residual):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BadInput, match="apt-get install graphviz.*brew install graphviz"):
        draw_graph(residual, tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


def test_graph_rejects_an_unknown_format_or_direction(tmp_path, residual):
    with pytest.raises(BadInput, match="svg, png, pdf"):
        draw_graph(residual, tmp_path / "graph.jpg")
    with pytest.raises(BadInput, match="rankdir: 'BT'"):
        model_dot(residual, rankdir="BT")


def test_too_many_poolings_name_the_layer_and_shape():
    pools = [{"MaxPooling2D": {"pool_size": 2}}] * 5
    with pytest.raises(BadInput) as error:
        build_from_layers(
            [{"Conv2D": {"filters": 8, "kernel_size": 3, "padding": "same"}}, *pools, "Flatten"],
            (28, 28, 1),
        )
    assert "model.layers[5] (MaxPooling2D)" in str(error.value)
    assert "(None, 1, 1, 8)" in str(error.value)


def test_an_unbuilt_model_is_named():
    with pytest.raises(BadInput, match="model 'loose'"):
        walk(keras.Sequential([layers.Dense(3)], name="loose"))


def _texts(figure) -> list[str]:
    texts = [text.get_text() for text in figure.axes[0].texts]
    plt.close(figure)
    return texts


def test_architecture_figure_picks_neurons_for_a_dense_net(tmp_path):
    figure = architecture_figure(dense_net(2, 4, 3))
    texts = _texts(figure)
    assert {"input layer", "hidden layer 1", "output layer"} <= set(texts)
    assert "4 neurons\nrelu" in texts
    assert len(figure.axes[0].patches) == 2 + 4 + 3
    assert save_figure(figure, tmp_path / "neurons.png").stat().st_size > 5_000


def test_wide_dense_layers_are_cut_with_an_ellipsis():
    assert dense_widths(dense_net(784, 784, 10)) == [(784, ""), (784, "relu"), (10, "softmax")]
    figure = neuron_diagram(dense_net(784, 784, 10))
    assert {"⋮", "784 neurons", "10 neurons\nsoftmax"} <= set(_texts(figure))
    assert len(figure.axes[0].patches) == 15 + 15 + 10


def test_architecture_figure_picks_boxes_for_a_conv_net(tmp_path, alexnet):
    assert dense_widths(alexnet) is None
    figure = architecture_figure(alexnet)
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend == ["InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout"]
    assert {"227×227×3", "55×55×96", "6×6×256", "4096", "1000"} <= set(_texts(figure))
    assert save_figure(figure, tmp_path / "layers.png").stat().st_size > 5_000
    with pytest.raises(BadInput, match="needs a dense net"):
        neuron_diagram(alexnet)


def test_layered_view_opens_nested_models(vgg16):
    texts = _texts(layered_view(vgg16))
    assert texts[:3] == ["64×64×3", "64×64×64", "64×64×64"]
    assert len(texts) == 1 + 18 + 4  # input, the base's conv and pool layers, the head
