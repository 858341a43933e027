import numpy as np
import pytest

from dlworkflow.data import load_dataset
from dlworkflow.data.preprocess import encode_labels, fit_preprocessing
from dlworkflow.data.survey import survey, survey_figures
from dlworkflow.errors import BadInput

from .conftest import DATA_HOME


def test_digits_default_split_is_stratified_and_seeded():
    first, second = load_dataset("digits"), load_dataset("digits")
    assert first.task == "multiclass" and first.num_classes == 10
    assert first.input_shape == (8, 8, 1)
    assert (len(first.train), len(first.val), len(first.test)) == (1258, 180, 359)
    assert np.array_equal(first.test.y, second.test.y)
    shares = np.bincount(first.test.y) / len(first.test)
    assert shares.min() > 0.09 and shares.max() < 0.11
    other_seed = load_dataset("digits", seed=7)
    assert not np.array_equal(first.test.y, other_seed.test.y)


def test_unit_scaling_uses_the_known_pixel_range():
    dataset = load_dataset("digits")
    x = dataset.preprocessing.apply(dataset.train.x)
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0


def test_standard_scaling_is_fitted_on_train_only():
    dataset = load_dataset({"source": "blobs", "scale": "standard"})
    train = dataset.preprocessing.apply(dataset.train.x)
    test = dataset.preprocessing.apply(dataset.test.x)
    assert np.allclose(train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(test.mean(axis=0), 0, atol=1e-5)


def test_symmetric_and_flatten():
    prep = fit_preprocessing(np.array([[0.0], [10.0]]), "symmetric", None).with_flatten(True)
    assert prep.apply(np.array([[0.0], [5.0], [10.0]])).ravel().tolist() == [-1.0, 0.0, 1.0]
    images = np.zeros((2, 4, 4, 1), np.uint8)
    assert fit_preprocessing(images, "unit", 255).with_flatten(True).apply(images).shape == (2, 16)


def test_preprocessing_record_round_trips():
    from dlworkflow.data import Preprocessing

    prep = load_dataset("digits").preprocessing
    assert Preprocessing.from_dict(prep.to_dict()) == prep


def test_labels_int_or_one_hot():
    y = np.array([0, 2, 1])
    assert encode_labels(y, 3, one_hot=False).tolist() == [0, 2, 1]
    assert encode_labels(y, 3, one_hot=True).argmax(axis=1).tolist() == [0, 2, 1]


@pytest.mark.parametrize("source", ["circles", "moons"])
def test_two_feature_binary_sources(source):
    dataset = load_dataset({"source": source, "options": {"n_samples": 200, "noise": 0.1}})
    assert dataset.task == "binary" and dataset.input_shape == (2,)
    assert len(dataset.train) + len(dataset.val) + len(dataset.test) == 200


def test_blobs_multiclass_options():
    dataset = load_dataset({"source": "blobs", "options": {"centers": 4, "n_features": 3}})
    assert dataset.task == "multiclass" and dataset.num_classes == 4
    assert dataset.input_shape == (3,)


def test_mnist_from_data_home_keeps_its_own_test_set():
    dataset = load_dataset({"source": "mnist", "limit": 1000})
    assert dataset.own_test_set and len(dataset.test) == 167  # 1,000 · 10,000 / 60,000 (issue 16)
    assert len(dataset.train) + len(dataset.val) == 1000
    assert dataset.input_shape == (28, 28, 1)
    counts = np.bincount(np.concatenate([dataset.train.y, dataset.val.y]))
    assert counts.min() >= 80 and counts.max() <= 115  # stratified, like the full set


def test_cifar10_and_fashion_class_names():
    cifar = load_dataset({"source": "cifar10", "limit": 100})
    assert cifar.class_names[0] == "airplane" and cifar.input_shape == (32, 32, 3)
    fashion = load_dataset({"source": "fashion_mnist", "limit": 100})
    assert fashion.class_names[9] == "Ankle boot"


def test_named_dataset_missing_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("DLW_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(BadInput, match="mnist.npz not found"):
        load_dataset("mnist")


def test_limit_too_small_for_the_classes():
    with pytest.raises(BadInput, match="data.limit: 5 samples"):
        load_dataset({"source": "digits", "limit": 5})


def test_unknown_source_suggests_a_name():
    with pytest.raises(BadInput, match="did you mean 'digits'"):
        load_dataset("digitz")


def test_unknown_option_lists_valid_ones():
    with pytest.raises(BadInput, match=r"data.options.nois: not an option of 'circles' \(valid"):
        load_dataset({"source": "circles", "options": {"nois": 0.1}})


def test_tiny_data_cannot_be_split_stratified():
    with pytest.raises(BadInput, match="data.split.test"):
        load_dataset(
            {
                "source": "csv:" + str(DATA_HOME / "course/L4/xor.csv"),
                "options": {"target": _xor_target()},
            }
        )


def test_tiny_data_without_held_out_splits():
    dataset = load_dataset(
        {
            "source": "csv:" + str(DATA_HOME / "course/L4/xor.csv"),
            "options": {"target": _xor_target()},
            "split": {"val": 0, "test": 0},
        }
    )
    assert dataset.val is None and dataset.test is None and len(dataset.train) == 4


def _xor_target() -> str:
    return (
        (DATA_HOME / "course/L4/xor.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()[0]
        .split(",")[-1]
    )


# --- folders of images ---------------------------------------------------------------


def test_image_folder_resizes_and_names_classes(image_folder):
    dataset = load_dataset(
        {
            "source": f"folder:{image_folder}",
            "options": {"image_size": [16, 12]},
            "split": {"val": 0, "test": 0.5},
        }
    )
    assert dataset.class_names == ["cat", "dog", "fox"]
    assert dataset.input_shape == (16, 12, 3)
    gray = load_dataset(
        {
            "source": str(image_folder),
            "options": {"color_mode": "grayscale"},
            "split": {"val": 0, "test": 0.5},
        }
    )
    assert gray.input_shape == (64, 64, 1)


def test_faces_folder_from_the_shared_data():
    dataset = load_dataset(
        {
            "source": f"folder:{DATA_HOME / 'faces_att'}",
            "options": {"image_size": [56, 46], "color_mode": "grayscale"},
        }
    )
    assert dataset.num_classes == 40 and len(dataset.test) == 80


def test_missing_folder():
    with pytest.raises(BadInput, match="does not exist"):
        load_dataset("folder:/no/such/folder")


def test_empty_class_folder_is_named(image_folder):
    (image_folder / "empty").mkdir()
    with pytest.raises(BadInput, match=r"class folder .*empty holds no images"):
        load_dataset(f"folder:{image_folder}")


def test_corrupt_image_is_named(image_folder):
    (image_folder / "dog" / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(BadInput, match=r"cannot read image .*broken\.jpg"):
        load_dataset(f"folder:{image_folder}")


def test_single_class_folder(tmp_path, image_folder):
    only = tmp_path / "one"
    (only / "cat").mkdir(parents=True)
    with pytest.raises(BadInput, match="at least 2"):
        load_dataset(f"folder:{only}")


# --- CSV -----------------------------------------------------------------------------


def test_csv_classification_from_the_course():
    dataset = load_dataset(
        {"source": f"csv:{DATA_HOME / 'course/L2/dataset.csv'}", "options": {"target": "Cho vay"}}
    )
    assert dataset.task == "binary" and dataset.feature_names == ["Lương", "Thời gian làm việc"]


def test_csv_regression_from_the_course():
    dataset = load_dataset(
        {"source": f"csv:{DATA_HOME / 'course/L1/data_linear.csv'}", "options": {"target": "Giá"}}
    )
    assert dataset.task == "regression" and dataset.class_names == []
    assert dataset.train.y.dtype == np.float32


def test_csv_text_labels(tmp_path):
    path = tmp_path / "t.csv"
    rows = "\n".join(f"{i},{i % 3},{['a', 'b', 'c'][i % 3]}" for i in range(30))
    path.write_text("f1,f2,label\n" + rows + "\n")
    dataset = load_dataset({"source": f"csv:{path}", "options": {"target": "label"}})
    assert dataset.class_names == ["a", "b", "c"] and dataset.task == "multiclass"


@pytest.mark.parametrize(
    ("body", "options", "expected"),
    [
        ("a,b\n1,2\n", {"target": "c"}, "column 'c' not in t.csv; its columns: a, b"),
        ("a,b\n1,2\n", {}, "data.options.target: required"),
        ("a,b\n1,0\nx,1\n1,1\n", {"target": "b"}, "column 'a' row 3: 'x' is not a number"),
        ("a,b\n1,0\nnan,1\n1,1\n", {"target": "b"}, "column 'a' row 3: nan is not finite"),
        ("a,b\n1,0\n2,0\n3,0\n", {"target": "b"}, "has only one class"),
        ("a,b\n1,0\n2\n", {"target": "b"}, "row 3 has 1 fields"),
        ("a,b\n", {"target": "b"}, "no data rows"),
    ],
)
def test_bad_csv(tmp_path, body, options, expected):
    path = tmp_path / "t.csv"
    path.write_text(body)
    with pytest.raises(BadInput) as error:
        load_dataset({"source": f"csv:{path}", "options": options})
    assert expected in str(error.value)


def test_missing_csv(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        load_dataset(f"csv:{tmp_path / 'none.csv'}")


# --- survey --------------------------------------------------------------------------


def test_survey_numbers_and_figures(tmp_path):
    dataset = load_dataset("digits")
    summary = survey(dataset)
    assert summary["splits"]["train"]["max"] == 16.0
    assert sum(summary["splits"]["test"]["class_counts"]) == 359
    names = sorted(p.name for p in survey_figures(dataset, tmp_path))
    assert names == ["class_distribution.svg", "samples.png"]
    two_d = survey_figures(load_dataset("moons"), tmp_path / "moons")
    assert [p.name for p in two_d] == ["class_distribution.svg", "scatter.svg"]
    assert all(p.stat().st_size > 1000 for p in two_d)


def test_limit_shrinks_a_sources_own_test_set_in_proportion():
    from dlworkflow.data import load_dataset

    data = load_dataset({"source": "mnist", "limit": 600})
    assert data.own_test_set and len(data.test) == 100  # 600 · 10,000 / 60,000
    assert set(np.unique(data.test.y)) == set(range(10))  # stratified: every class
    tiny = load_dataset({"source": "mnist", "limit": 30, "split": {"val": 0}})
    assert len(tiny.test) == 10  # at least one of each class
