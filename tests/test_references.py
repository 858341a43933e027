"""Our numbers against references nobody here wrote.

Mult-adds: TensorFlow's profiler (float ops of Conv2D / Conv3D / DepthwiseConv2dNative /
Conv2DBackpropInput / MatMul in a frozen graph; FLOPs = 2 × mult-adds) on Keras
Applications models built with ``weights=None`` (nothing downloaded), and the published
formulas for attention and recurrent layers.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageOps
from sklearn import metrics as sk_metrics
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from dlworkflow.data.sources import load_image_folder
from dlworkflow.errors import BadInput
from dlworkflow.evaluate import classification_metrics, regression_metrics
from dlworkflow.gallery.embedders import DlibFaces
from dlworkflow.gallery.images import load_image
from dlworkflow.interpret.images import load_image_file
from dlworkflow.models.layered import _box, _wrap, layered_view
from dlworkflow.models.summary import layer_table, param_totals
from dlworkflow.train.lr_finder import find_lr

from .conftest import DATA_HOME

L = keras.layers
MULTIPLY_ADD_OPS = ("Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "MatMul")


def profiler_ops(function, *specs: tf.TensorSpec) -> dict[str, int]:
    """Float ops per op type, as ``tf.compat.v1.profiler`` counts them in the frozen graph."""
    frozen = convert_variables_to_constants_v2(tf.function(function).get_concrete_function(*specs))
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    profile = tf.compat.v1.profiler.profile(
        graph=frozen.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
    )
    counts, stack = {}, [profile]
    while stack:  # the "op" view nests each op type under the previous one
        node = stack.pop()
        stack += list(node.children)
        if node.name != "_TFProfRoot":
            counts[node.name] = node.float_ops
    return counts


def profiler_multiply_adds(model: keras.Model) -> int:
    spec = tf.TensorSpec([1, *model.inputs[0].shape[1:]], tf.float32)
    counts = profiler_ops(lambda x: model(x, training=False), spec)
    flops = sum(counts.get(op, 0) for op in MULTIPLY_ADD_OPS)
    assert flops % 2 == 0
    return flops // 2


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("MobileNetV2", 224),
        pytest.param("EfficientNetB0", 64, marks=pytest.mark.slow),
        pytest.param("Xception", 71, marks=pytest.mark.slow),
        pytest.param("NASNetMobile", 64, marks=pytest.mark.slow),
    ],
)
def test_multiply_adds_match_tensorflow_profiler(name, size):
    model = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))
    ours = param_totals(model)["macs"]
    reference = profiler_multiply_adds(model)
    assert abs(ours - reference) <= 0.01 * reference, (ours, reference)
    if name == "MobileNetV2":  # the published figure: 300 M mult-adds at 224×224
        assert round(ours / 1e6) == 301


@pytest.mark.parametrize(
    ("layer", "input_shape"),
    [
        (lambda: L.Conv1D(10, 3, strides=2), (40, 6)),
        (lambda: L.Conv2D(8, 3, padding="same", dilation_rate=2), (12, 12, 5)),
        (lambda: L.Conv3D(4, 2, strides=(1, 2, 2)), (5, 8, 8, 3)),
        (lambda: L.DepthwiseConv1D(3, depth_multiplier=2), (30, 4)),
        (lambda: L.DepthwiseConv2D(3, depth_multiplier=3, strides=2), (15, 15, 6)),
        (lambda: L.SeparableConv1D(7, 5, depth_multiplier=2), (30, 4)),
        (lambda: L.SeparableConv2D(12, 3, depth_multiplier=2, strides=2), (16, 16, 8)),
        (lambda: L.Conv1DTranspose(5, 3, strides=2, padding="same"), (20, 8)),
        (lambda: L.Conv2DTranspose(6, 3, strides=2, padding="same"), (7, 7, 12)),
        (lambda: L.Dense(9), (6, 11)),
    ],
)
def test_each_conv_type_matches_tensorflow_profiler(layer, input_shape):
    """Keras 3 does not derive depthwise, separable or transposed convs from ``Conv``."""
    model = keras.Sequential([keras.Input(input_shape), layer()])
    row = layer_table(model)[0]
    assert row["macs"] > 0
    assert row["macs"] == profiler_multiply_adds(model)


def test_grouped_conv_matches_the_profiled_plain_convolution():
    """Keras runs a grouped conv inside its own compiled function, which the profiler
    cannot see into; the reference is ``tf.nn.conv2d`` with the layer's own kernel."""
    layer = L.Conv2D(16, 3, groups=4, strides=2)
    model = keras.Sequential([keras.Input((13, 13, 8)), layer])
    kernel = tf.constant(layer.kernel.numpy())
    counts = profiler_ops(
        lambda x: tf.nn.conv2d(x, kernel, strides=2, padding="VALID"),
        tf.TensorSpec([1, 13, 13, 8], tf.float32),
    )
    assert layer_table(model)[0]["macs"] * 2 == counts["Conv2D"]


def test_attention_and_recurrent_layers_follow_the_published_counts():
    """Self-attention (Vaswani et al., table 1 with the projections): 4·n·d² + 2·n²·d;
    LSTM 4·(n_in+m)·m per step, GRU 3·(n_in+m)·m, SimpleRNN (n_in+m)·m."""
    n, d, steps, features, units = 10, 16, 12, 5, 7
    tokens = keras.Input((n, d))
    attention = keras.Model(tokens, L.MultiHeadAttention(4, d // 4, use_bias=False)(tokens, tokens))
    assert param_totals(attention)["macs"] == 4 * n * d * d + 2 * n * n * d
    sequence = keras.Input((steps, features))
    for layer, gates in ((L.LSTM, 4), (L.GRU, 3), (L.SimpleRNN, 1)):
        model = keras.Model(sequence, layer(units)(sequence))
        assert param_totals(model)["macs"] == steps * gates * (features + units) * units
    both = keras.Model(sequence, L.Bidirectional(L.LSTM(units))(sequence))
    assert param_totals(both)["macs"] == 2 * steps * 4 * (features + units) * units
    per_step = keras.Model(sequence, L.TimeDistributed(L.Dense(3))(sequence))
    assert param_totals(per_step)["macs"] == steps * features * 3
    frames = keras.Input((steps, 8, 8, 2))  # ConvLSTM: both 3×3 convolutions, every step
    conv_lstm = keras.Model(frames, L.ConvLSTM2D(4, 3, padding="same")(frames))
    assert param_totals(conv_lstm)["macs"] == steps * 8 * 8 * 9 * (2 + 4) * 4 * 4


def test_a_shared_layer_is_marked_and_its_parameters_counted_once():
    shared = L.Dense(48)
    left, right = keras.Input((16,)), keras.Input((16,))
    merged = L.Concatenate()([shared(left), shared(right)])
    model = keras.Model([left, right], L.Dense(1)(merged))
    rows = layer_table(model)
    calls = [row for row in rows if row["name"] == shared.name]
    assert [row["shared"] for row in calls] == ["call 1 of 2", "call 2 of 2"]
    assert [row["params"] for row in calls] == [16 * 48 + 48, 0]
    assert sum(row["params"] for row in rows) == model.count_params()
    assert [row["macs"] for row in calls] == [16 * 48, 16 * 48]  # each call computes


def test_the_layered_view_of_a_long_net_wraps_into_lines():
    layers = [keras.Input((32, 32, 3))]
    layers += [L.Conv2D(8 * (1 + i % 4), 3, padding="same") for i in range(80)]
    figure = layered_view(keras.Sequential(layers))
    width, height = figure.get_size_inches()
    assert width <= 22.0 and width / height < 3  # not one strip 80 boxes long
    drawn = figure.axes[0].patches  # three faces per box
    assert len(drawn) == 3 * 81
    lines = _wrap([_box("Conv2D", (32, 32, 8 * (1 + i % 4))) for i in range(81)])
    assert len(lines) > 1 and sum(len(line) for line in lines) == 81


def circles_tutorial():
    """The binary tutorial's data (800 training points of make_circles) and 5-5-1 net."""
    from dlworkflow.config import load_config, read_config_mapping
    from dlworkflow.experiments import prepare

    mapping, _ = read_config_mapping("examples/binary_circles.yaml")
    prepared = prepare(load_config({k: v for k, v in mapping.items() if k != "sweep"}))
    return prepared, *prepared.arrays(prepared.dataset.train)


def test_the_range_test_cycles_small_data_to_the_steps_asked_for():
    """fastai's lr_find runs its 100 iterations whatever the data's size."""
    prepared, x, y = circles_tutorial()
    result = find_lr(prepared.model, x, y, batch_size=32, end_lr=0.01, steps=130)
    assert len(result.lrs) == 130  # 25 batches a pass: never capped at one
    assert result.passes == 5.2
    assert len(find_lr(prepared.model, x, y, end_lr=0.01).lrs) == 100  # the default


@pytest.mark.slow
def test_the_range_test_suggests_a_rate_that_trains_the_circles_net():
    """Against a grid of short runs (10 epochs of Adam at each rate, as the lab does by
    hand): the suggestion lies between the lowest and highest rate that reach 90 %."""
    prepared, x, y = circles_tutorial()
    result = find_lr(prepared.model, x, y, batch_size=32, seed=42)
    assert result.recommended is not None and len(result.lrs) == 100
    works = []
    for lr in (3e-3, 1e-2, 3e-2, 1e-1, 3e-1):
        keras.utils.set_random_seed(42)
        model = keras.models.clone_model(prepared.model)
        model.set_weights(prepared.model.get_weights())
        model.compile(keras.optimizers.Adam(lr), "binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=10, batch_size=32, verbose=0).history
        if history["accuracy"][-1] >= 0.9:
            works.append(lr)
    assert len(works) >= 2
    assert min(works) <= result.recommended <= max(works), (works, result.suggestions)


GOOD_PROB = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.3, 0.2]])


@pytest.mark.parametrize(
    ("y_true", "y_prob", "message"),
    [
        ([0, 1, 2, 0], np.where(np.arange(12).reshape(4, 3) == 7, np.nan, GOOD_PROB), "row 2 "),
        ([0, 1, 1, 0], np.array([0.1, np.inf, 0.9, 0.2]), "row 1 "),
        ([0, 1, 1, 0], np.array([[0.1], [0.8], [-np.inf], [np.nan]]), "row 2 .*2 of 4 rows"),
        (np.eye(3)[[0, 1, 2, 0]], GOOD_PROB, r"one-hot rows.*argmax\(axis=1\)"),
        (np.ones((4, 3)), GOOD_PROB, "3 columns; give one class id"),
    ],
)
def test_classification_refuses_what_scikit_learn_refuses(y_true, y_prob, message):
    classes = ["a", "b", "c"] if np.ndim(y_prob) == 2 and np.shape(y_prob)[1] == 3 else ["n", "p"]
    with pytest.raises(BadInput, match=message):
        classification_metrics(np.asarray(y_true), y_prob, classes)
    if not np.isfinite(y_prob).all():  # the reference refuses the same predictions
        with pytest.raises(ValueError):
            sk_metrics.roc_auc_score(np.asarray(y_true), y_prob, multi_class="ovr")


def test_regression_refuses_nan_predictions():
    with pytest.raises(BadInput, match="y_pred row 1 "):
        regression_metrics(np.arange(3.0), np.array([1.0, np.nan, 2.0]), 1)


def test_several_regression_targets_are_scored_like_scikit_learns_multioutput():
    rng = np.random.default_rng(0)
    y_true = np.column_stack([rng.normal(0, 1, 200), rng.normal(50, 20, 200)])
    y_pred = y_true + rng.normal(0, [0.3, 2.0], (200, 2))
    result = regression_metrics(y_true, y_pred, n_features=4)
    assert result["r2"] == pytest.approx(sk_metrics.r2_score(y_true, y_pred))
    assert result["mse"] == pytest.approx(sk_metrics.mean_squared_error(y_true, y_pred))
    assert result["mae"] == pytest.approx(sk_metrics.mean_absolute_error(y_true, y_pred))
    assert result["rmse"] == pytest.approx(sk_metrics.root_mean_squared_error(y_true, y_pred))
    per_output = sk_metrics.r2_score(y_true, y_pred, multioutput="raw_values")
    assert [output["r2"] for output in result["outputs"]] == pytest.approx(per_output)
    flattened = sk_metrics.r2_score(y_true.ravel(), y_pred.ravel())
    assert result["r2"] != pytest.approx(flattened)  # what flattening used to report
    single = regression_metrics(y_true[:, 0], y_pred[:, :1], n_features=4)
    assert "outputs" not in single and single["r2"] == pytest.approx(per_output[0])


ORL = DATA_HOME / "faces_att"


def phone_photo(tmp_path: Path, suffix: str = ".jpg") -> tuple[Path, np.ndarray]:
    """An ORL face stored on its side with EXIF orientation 6 (display turned 90° clockwise),
    as a phone held upright writes it; and the upright pixels Pillow's transpose gives."""
    upright = Image.open(ORL / "s1" / "1.pgm").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    path = tmp_path / "class_a" / f"phone{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    upright.rotate(90, expand=True).save(path, exif=exif, quality=100, subsampling=0)
    with Image.open(path) as stored:
        reference = np.asarray(ImageOps.exif_transpose(stored).convert("RGB"))
    assert reference.shape == (112, 92, 3) and Image.open(path).size == (112, 92)
    return path, reference


def test_every_image_reader_turns_a_phone_photo_upright(tmp_path):
    path, reference = phone_photo(tmp_path)
    assert np.array_equal(load_image(path), reference)  # the gallery
    picked = load_image_file(path, (112, 92, 3), 255.0)  # dlw explain
    assert picked.notes == [] and np.array_equal(picked.raw, reference)
    (tmp_path / "class_b").mkdir()
    Image.fromarray(reference).save(tmp_path / "class_b" / "b.png")
    folder = load_image_folder(tmp_path, image_size=[112, 92])  # data folders
    assert np.array_equal(folder.x[0], reference)


def test_a_phone_photo_face_is_found_once_upright(tmp_path):
    """dlib finds no face in the sideways pixels; the same file read upright has one."""
    path, _ = phone_photo(tmp_path, ".png")
    faces = DlibFaces()
    with Image.open(path) as stored:
        assert faces.faces(np.asarray(stored.convert("RGB"))) == []
    found = faces.faces(load_image(path))
    original = faces.faces(load_image(ORL / "s1" / "1.pgm"))
    assert len(found) == 1 and np.linalg.norm(found[0].vector - original[0].vector) < 1e-4


def test_face_boxes_are_trimmed_to_the_image():
    """As face_recognition's face_locations trims dlib's boxes."""
    image = np.ascontiguousarray(load_image(ORL / "s1" / "1.pgm")[:, 15:])
    faces = DlibFaces()
    ((raw, _),) = faces.detect(image)
    assert raw[0] < 0  # dlib's box runs past the left edge
    (face,) = faces.faces(image)
    height, width = image.shape[:2]
    assert face.box == (0, raw[1], min(raw[2], width), min(raw[3], height))


def test_calibration_refuses_a_far_its_impostor_pairs_cannot_measure(tmp_path):
    """At FAR f about 10/f impostor pairs are needed, so that ~10 fall under the threshold;
    from fewer it keeps the threshold in force and says why with the numbers."""
    from dlworkflow.gallery import Gallery

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 8))
    gallery = Gallery.create(tmp_path / "g.db", "test", {"kind": "test"}, 8, 0.6, target_far=0.25)
    for person, centre in enumerate(centres):
        samples = centre + 0.3 * rng.normal(size=(3, 8))
        unit = (samples / np.linalg.norm(samples, axis=1, keepdims=True)).astype(np.float32)
        gallery.enroll(f"p{person}", unit, [f"p{person}-{i}.jpg" for i in range(3)])
    first = gallery.calibration  # 15 samples × 4 other people = 60 pairs ≥ 10/0.25 = 40
    assert first.method == "calibrated" and first.impostor_pairs == 60
    refused = gallery.recalibrate(0.05)
    assert refused.method == "kept" and refused.threshold == first.threshold
    assert "60 impostor (need 10/FAR = 200)" in refused.note
    assert f"keeping the previous threshold {first.threshold:.4g}" in refused.note


REFERENCE_CNN = Path(__file__).resolve().parents[1] / "examples" / "mnist_reference_cnn.yaml"


def test_the_reference_cnn_splits_and_scales_as_the_notebook():
    """Seed 003, lines 241–243: ``X_val = X_train[50000:60000]``, raw pixels, no scaling."""
    from dlworkflow.config import load_config
    from dlworkflow.data import load_dataset

    config = load_config(REFERENCE_CNN)
    dataset = load_dataset(config.data, seed=config.seed)
    with np.load(DATA_HOME / "mnist.npz", allow_pickle=False) as mnist:
        x_train, x_test = mnist["x_train"], mnist["x_test"]
    assert np.array_equal(dataset.val.x.reshape(-1, 28, 28), x_train[50000:60000])
    assert np.array_equal(dataset.train.x.reshape(-1, 28, 28), x_train[:50000])
    assert np.array_equal(dataset.test.x.reshape(-1, 28, 28), x_test)
    fed = dataset.preprocessing.apply(dataset.train.x[:100])
    assert np.array_equal(fed.reshape(-1, 28, 28), x_train[:100].astype(np.float32))
    assert config.train.keep == "last"


@pytest.mark.slow
def test_the_reference_cnn_tests_the_weights_the_notebook_tests(tmp_path):
    """The notebook's ``model.fit(...)`` then ``model.evaluate(X_test, Y_test)`` (lines
    436–440), run by hand with Keras on the same slice and seed, gives our test accuracy."""
    import dlworkflow
    from dlworkflow.config import load_config
    from dlworkflow.experiments import prepare

    config = load_config(REFERENCE_CNN).model_dump()
    config["data"]["limit"] = 1200  # 1,000 train and the last 200 as validation
    # in file order on both sides: our epoch order is our own, not Keras' shuffle
    config["train"].update(epochs=2, learnability=False, shuffle=False)
    run = dlworkflow.run(config, runs_dir=tmp_path)
    prepared = prepare(load_config(config))
    (x, y), validation = (
        prepared.arrays(s) for s in (prepared.dataset.train, prepared.dataset.val)
    )
    assert len(x) == 1000 and x.max() == 255.0
    keras.utils.set_random_seed(config["seed"])
    prepared.model.fit(
        x, y, validation_data=validation, batch_size=32, epochs=2, shuffle=False, verbose=0
    )
    x_test, y_test = prepared.arrays(prepared.dataset.test)
    score = prepared.model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    assert run.metrics["accuracy"] == pytest.approx(score["accuracy"], abs=1e-6)
    report = (run.folder / "report.html").read_text(encoding="utf-8")
    assert run.metrics["kept"] == "last" and "Model after the last epoch (2;" in report


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        ("data", {"source": "digits", "split": {"val_from": "middle"}}, "data.split.val_from"),
        ("train", {"keep": "worst"}, "train.keep"),
    ],
)
def test_the_new_settings_refuse_other_values(section, value, message):
    from dlworkflow.config import load_config

    with pytest.raises(BadInput, match=message):
        load_config({section: value})
