"""Where the raw arrays come from: bundled, named, a folder of images or a CSV file.

Each loader returns a :class:`RawData` (inputs as loaded, integer class ids or float
targets, and the source's own test set when it has one). Splitting and scaling are
done elsewhere, the same way for every source.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.csv_targets import FLOAT32_MAX, MAX_CSV_CLASSES, RawData, csv_targets
from dlworkflow.data.layouts import IMAGE_SUFFIXES as IMAGE_SUFFIXES  # masks.py reads it here
from dlworkflow.data.layouts import ImageListing
from dlworkflow.data.multilabel import is_label_list, load_digits_traits, load_multilabel_csv
from dlworkflow.errors import BadInput, WorkFailed
from dlworkflow.imagefile import MAX_PIXELS, check_max_pixels, open_image
from dlworkflow.ranges import whole_number

MAX_CSV_FIELD = 1_000  # characters in one CSV field; numbers and class names are shorter


# data.options of a CSV read with pandas (data/csv_table.py)
TABLE_OPTIONS = {"drop", "categorical", "missing", "outliers"}


def load_source(
    source: str,
    options: dict[str, Any],
    stream: bool | str = "auto",
    cache: bool | str | None = None,
) -> RawData:
    """Dispatch on the source string of a data spec; ``stream`` and ``cache`` (data.stream,
    data.cache) concern image folders and listings only."""
    kind, _, argument = source.partition(":")
    reading = {"stream": stream, "cache": cache}
    if kind == "folder" and argument:
        options = _options("folder", options, _FOLDER_OPTIONS)
        return load_image_folder(Path(argument), **options, **reading)
    if kind == "list" and argument:
        options = _options("list", options, _FOLDER_OPTIONS)
        return load_image_list(Path(argument), **options, **reading)
    if stream is True or cache not in (None, False):
        key = "data.stream" if stream is True else "data.cache"
        raise BadInput(
            f"{key}: applies to image folders and listings (folder:PATH, list:PATH); "
            f"'{source}' is read into memory"
        )
    if kind == "csv" and argument and is_label_list(options.get("target")):  # multilabel
        return load_multilabel_csv(Path(argument), **_options("csv", options, {"target", "task"}))
    if kind == "csv" and argument and set(options) & TABLE_OPTIONS:  # pandas: the notes' way
        from dlworkflow.data.csv_table import load_table_csv

        allowed = _CSV_OPTIONS | TABLE_OPTIONS
        return load_table_csv(Path(argument), **_options("csv", options, allowed))
    if kind == "csv" and argument:
        return load_csv(Path(argument), **_options("csv", options, _CSV_OPTIONS))
    if source in BUNDLED:
        loader, allowed = BUNDLED[source]
        return loader(**_options(source, options, allowed))
    if source in NAMED:
        _options(source, options, set())
        return load_named(source)
    path = Path(source)
    if path.is_dir():
        return load_source(f"folder:{source}", options, stream, cache)
    if path.suffix.lower() == ".tsv":
        return load_source(f"list:{source}", options, stream, cache)
    if path.suffix.lower() == ".csv":
        return load_source(f"csv:{source}", options)
    known = sorted(BUNDLED) + sorted(NAMED)
    close = difflib.get_close_matches(source, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise BadInput(
        f"data.source: unknown source '{source}'{hint}; use one of {', '.join(known)}, "
        "folder:PATH, list:PATH (images listed in a CSV/TSV) or csv:PATH"
    )


def _options(source: str, options: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = sorted(set(options) - allowed)
    if unknown:
        valid = ", ".join(sorted(allowed)) or "none"
        raise BadInput(f"data.options.{unknown[0]}: not an option of '{source}' (valid: {valid})")
    return options


# --- bundled: scikit-learn --------------------------------------------------------


def load_digits() -> RawData:
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    images = bunch.images.astype(np.uint8)[..., np.newaxis]  # 0..16, channel axis for convs
    return RawData(
        name="digits",
        kind="image",
        task="multiclass",
        x=images,
        y=bunch.target.astype(np.int64),
        class_names=[str(c) for c in bunch.target_names],
        value_max=16.0,
    )


def load_diabetes() -> RawData:
    """scikit-learn's diabetes table: 442 patients, 10 features, a progression score
    (25..346) to regress: the target in the hundreds that scaling is for."""
    from sklearn.datasets import load_diabetes as sk_diabetes

    bunch = sk_diabetes()
    return RawData(
        name="diabetes",
        kind="tabular",
        task="regression",
        x=bunch.data.astype(np.float32),
        y=bunch.target.astype(np.float32),
        class_names=[],
        feature_names=list(bunch.feature_names),
    )


def _two_d(name: str, x: np.ndarray, y: np.ndarray) -> RawData:
    classes = np.unique(y)
    return RawData(
        name=name,
        kind="tabular",
        task="binary" if len(classes) == 2 else "multiclass",
        x=x.astype(np.float32),
        y=y.astype(np.int64),
        class_names=[str(c) for c in classes],
        feature_names=[f"x{i}" for i in range(x.shape[1])],
    )


def load_circles(
    n_samples: int = 1000, noise: float = 0.02, factor: float = 0.8, seed: int = 42
) -> RawData:
    """Defaults follow the binary tutorial (1000 points, small noise, seed 42)."""
    from sklearn.datasets import make_circles

    _check_generator(n_samples, noise)
    x, y = make_circles(n_samples, noise=noise, factor=factor, random_state=seed)
    return _two_d("circles", x, y)


def load_moons(n_samples: int = 1000, noise: float = 0.1, seed: int = 42) -> RawData:
    from sklearn.datasets import make_moons

    _check_generator(n_samples, noise)
    x, y = make_moons(n_samples, noise=noise, random_state=seed)
    return _two_d("moons", x, y)


def load_blobs(
    n_samples: int = 1000, centers: int = 3, n_features: int = 2, noise: float = 1.0, seed: int = 42
) -> RawData:
    """``noise`` is the clusters' standard deviation."""
    from sklearn.datasets import make_blobs

    _check_generator(n_samples, noise)
    if centers < 2:
        raise BadInput(f"data.options.centers: {centers} gives fewer than 2 classes; use 2 or more")
    x, y = make_blobs(
        n_samples, n_features=n_features, centers=centers, cluster_std=noise, random_state=seed
    )
    return _two_d("blobs", x, y)


def _check_generator(n_samples: int, noise: float) -> None:
    if not isinstance(n_samples, int) or n_samples < 10:
        raise BadInput(f"data.options.n_samples: {n_samples!r} is too small; use an integer >= 10")
    if noise < 0:
        raise BadInput(f"data.options.noise: {noise} is negative; use a value >= 0")


BUNDLED: dict[str, tuple[Callable[..., RawData], set[str]]] = {
    "digits": (load_digits, set()),
    "diabetes": (load_diabetes, set()),
    "digits_traits": (load_digits_traits, set()),  # multilabel: even, > 4, prime
    "circles": (load_circles, {"n_samples", "noise", "factor", "seed"}),
    "moons": (load_moons, {"n_samples", "noise", "seed"}),
    "blobs": (load_blobs, {"n_samples", "centers", "n_features", "noise", "seed"}),
}


# --- named datasets: local files first, then Keras' cache or download ----------------


@dataclass(frozen=True)
class NamedDataset:
    file: str
    class_names: tuple[str, ...]
    keras_name: str | None  # keras.datasets module that can download it, if any
    test_sha256: tuple[str, str] | None  # sha256 of the decoded x_test and y_test bytes


DIGITS = tuple(str(i) for i in range(10))
NAMED: dict[str, NamedDataset] = {
    "mnist": NamedDataset(
        "mnist.npz",
        DIGITS,
        "mnist",
        (
            "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        ),
    ),
    "fashion_mnist": NamedDataset(
        "fashion_mnist.npz",
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        "fashion_mnist",
        (
            "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
            "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
        ),
    ),
    "cifar10": NamedDataset(
        "cifar10.npz",
        (
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        "cifar10",
        (
            "f9b1e2130bab680db56eb06d886f7f1ad0f1183907ceff4659d1735c890f5b04",
            "cec8a24a1e92aa2ecaa0bbd3dbfa86bf6cd8759fbd209a832824c8cf0afca9d5",
        ),
    ),
    "flowers17": NamedDataset(
        "flowers17.npz",
        (
            "Daffodil",
            "Snowdrop",
            "LilyValley",
            "Bluebell",
            "Crocus",
            "Iris",
            "Tigerlily",
            "Tulip",
            "Fritillary",
            "Sunflower",
            "Daisy",
            "ColtsFoot",
            "Dandelion",
            "Cowslip",
            "Buttercup",
            "Windflower",
            "Pansy",
        ),
        None,
        None,
    ),
}


def data_home() -> Path:
    return Path(os.environ.get("DLW_DATA_HOME", Path.home() / ".cache" / "dlworkflow"))


def load_named(name: str) -> RawData:
    """Look in ``$DLW_DATA_HOME``, then Keras' cache, then download with Keras.

    Downloaded arrays are checked against the sha256 of the official test set, so a
    corrupted or substituted download is refused rather than silently trained on.
    """
    entry = NAMED[name]
    for folder in (data_home(), Path.home() / ".keras" / "datasets"):
        path = folder / entry.file
        if path.is_file():
            return _from_npz(name, entry, path)
    if entry.keras_name is None:
        raise BadInput(
            f"data.source: '{name}' has no download source; put {entry.file} in "
            f"$DLW_DATA_HOME ({data_home()})"
        )
    if os.environ.get("DLW_OFFLINE"):
        raise BadInput(
            f"data.source: {entry.file} not found in {data_home()} and DLW_OFFLINE is set"
        )
    return _download(name, entry)


def _from_npz(name: str, entry: NamedDataset, path: Path) -> RawData:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as error:
        raise BadInput(f"data.source: cannot read {path}: {error}") from error
    class_names = list(entry.class_names)
    if "x_train" in arrays:
        x, y = arrays["x_train"], arrays["y_train"]
        x_test, y_test = arrays["x_test"], arrays["y_test"].reshape(-1)
    else:  # a single pool (flowers17) that is split like any other source
        x, y, x_test, y_test = arrays["x"], arrays["y"], None, None
    return RawData(
        name=name,
        kind="image",
        task="multiclass",
        x=_with_channel_axis(x),
        y=y.reshape(-1).astype(np.int64),
        class_names=class_names,
        x_test=None if x_test is None else _with_channel_axis(x_test),
        y_test=None if y_test is None else y_test.astype(np.int64),
        value_max=255.0,
    )


def _download(name: str, entry: NamedDataset) -> RawData:
    import keras

    module = getattr(keras.datasets, entry.keras_name)
    try:
        (x, y), (x_test, y_test) = module.load_data()
    except Exception as error:  # Keras wraps every network error in a bare Exception
        raise WorkFailed(
            f"could not download '{name}' ({error}); put {entry.file} in $DLW_DATA_HOME "
            f"({data_home()}) to work offline"
        ) from error
    if entry.test_sha256 != (_sha256(x_test), _sha256(y_test.reshape(-1))):
        raise BadInput(
            f"data.source: the downloaded '{name}' test set does not match its checksum; "
            "delete the copy in ~/.keras/datasets and retry"
        )
    return RawData(
        name=name,
        kind="image",
        task="multiclass",
        x=_with_channel_axis(x),
        y=y.reshape(-1).astype(np.int64),
        class_names=list(entry.class_names),
        x_test=_with_channel_axis(x_test),
        y_test=y_test.reshape(-1).astype(np.int64),
        value_max=255.0,
    )


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).astype(np.uint8).tobytes()).hexdigest()


def _with_channel_axis(x: np.ndarray) -> np.ndarray:
    return x[..., np.newaxis] if x.ndim == 3 else x


# --- a folder of images, one subfolder per class ------------------------------------


def load_image_folder(
    root: Path,
    image_size: int | list[int] = 64,
    color_mode: str = "rgb",
    max_pixels: int = MAX_PIXELS,
    *,
    stream: bool | str = "auto",
    cache: bool | str | None = None,
) -> RawData:
    """The course's ``dataset/<class>/*.jpg`` layout, or pre-split ``train/``, ``val/``,
    ``test/`` folders of it (``data/layouts.py``); every image resized (stretched).

    ``max_pixels`` caps each file's size (checked from its header, before decoding)."""
    from dlworkflow.data.layouts import folder_listing

    size = _image_options(image_size, color_mode, max_pixels)
    return load_image_listing(folder_listing(root), *size, stream=stream, cache=cache)


def load_image_list(
    path: Path,
    image_size: int | list[int] = 64,
    color_mode: str = "rgb",
    max_pixels: int = MAX_PIXELS,
    *,
    stream: bool | str = "auto",
    cache: bool | str | None = None,
) -> RawData:
    """A CSV/TSV listing ``path,label[,split]`` of image files (``data/layouts.py``)."""
    from dlworkflow.data.layouts import list_listing

    size = _image_options(image_size, color_mode, max_pixels)
    return load_image_listing(list_listing(path), *size, stream=stream, cache=cache)


def _image_options(
    image_size: int | list[int], color_mode: str, max_pixels: int
) -> tuple[tuple[int, int], int, int]:
    check_max_pixels(max_pixels, "data.options.max_pixels")
    if color_mode not in ("rgb", "grayscale"):
        raise BadInput(f"data.options.color_mode: '{color_mode}' is not rgb or grayscale")
    return _image_size(image_size), 3 if color_mode == "rgb" else 1, max_pixels


def _listing_task(listing: ImageListing) -> str:
    if listing.splits["train"][1].ndim == 2:  # a 0/1 column per label
        return "multilabel"
    return "binary" if len(listing.class_names) == 2 else "multiclass"


def load_image_listing(
    listing: ImageListing,
    size: tuple[int, int],
    channels: int,
    max_pixels: int,
    *,
    stream: bool | str,
    cache: bool | str | None,
) -> RawData:
    """Each split's images: in memory (decoded now with Pillow), or as
    :class:`~dlworkflow.data.stream.ImageFiles` read on demand when ``stream`` says so
    (``auto``: when the float32 arrays would pass 1 GiB), every file checked now."""
    from dlworkflow.data.stream import ImageFiles, cache_folder, check_files, stream_choice

    folder = cache_folder(cache)
    count = sum(len(files) for files, _ in listing.splits.values())
    streamed = stream_choice(stream, count, (*size, channels))

    def images(files: list[Path]) -> np.ndarray | ImageFiles:
        if streamed:
            headers = check_files(files, max_pixels)
            return ImageFiles(tuple(map(str, files)), headers, size, channels, cache=folder)
        pixels = [_read_image(file, size, channels, max_pixels) for file in files]
        return _with_channel_axis(np.stack(pixels))

    parts = {name: (images(files), y) for name, (files, y) in listing.splits.items()}
    val, test = parts.get("val", (None, None)), parts.get("test", (None, None))
    return RawData(
        name=listing.name,
        kind="image",
        task=_listing_task(listing),
        x=parts["train"][0],
        y=parts["train"][1],
        class_names=listing.class_names,
        x_test=test[0],
        y_test=test[1],
        x_val=val[0],
        y_val=val[1],
        value_max=255.0,
    )


def _read_image(file: Path, size: tuple[int, int], channels: int, max_pixels: int) -> np.ndarray:
    from PIL import Image

    image = open_image(file, max_pixels, "data.source").convert("RGB" if channels == 3 else "L")
    image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


def _image_size(size: int | list[int]) -> tuple[int, int]:
    pair = [size, size] if isinstance(size, int) else list(size)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise BadInput(
            f"data.options.image_size: {size!r} is not a positive size; use 64 or [height, width]"
        )
    return pair[0], pair[1]


_FOLDER_OPTIONS = {"image_size", "color_mode", "max_pixels"}


# --- a CSV file with a named target column -------------------------------------------


def load_csv(
    path: Path,
    target: str | None = None,
    task: str = "auto",
    delimiter: str = ",",
    max_classes: int = 20,
) -> RawData:
    """Numeric feature columns and one target column.

    ``task: auto`` treats a text target, or an integer one with at most
    ``max_classes`` distinct values, as classification, and anything else as
    regression.
    """
    if not path.is_file():
        raise BadInput(f"data.source: CSV file {path} does not exist")
    if task not in ("auto", "classification", "regression"):
        raise BadInput(f"data.options.task: '{task}' is not auto, classification or regression")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
        raise BadInput(
            f"data.options.delimiter: {delimiter!r} is not one character (e.g. ',' or ';')"
        )
    whole_number(max_classes, "data.options.max_classes", 2, MAX_CSV_CLASSES)
    rows = _csv_rows(path, delimiter)
    if len(rows) < 2:
        raise BadInput(f"data.source: {path} has no data rows under its header")
    header = [name.strip() for name in rows[0]]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise BadInput(
            f"data.source: {path.name} has the column name(s) {', '.join(map(repr, repeated))} "
            "more than once in its header; give each column its own name"
        )
    if target is None:
        raise BadInput(
            f"data.options.target: required for CSV {path.name}; one of its columns: "
            f"{', '.join(header)}"
        )
    if target not in header:
        raise BadInput(
            f"data.options.target: column '{target}' not in {path.name}; its columns: "
            f"{', '.join(header)}"
        )
    target_index = header.index(target)
    features = [i for i in range(len(header)) if i != target_index]
    x = np.empty((len(rows) - 1, len(features)), np.float32)
    targets: list[str] = []
    for row_number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise BadInput(
                f"data.source: {path.name} row {row_number} has {len(row)} fields, "
                f"the header has {len(header)}"
            )
        for column, index in enumerate(features):
            x[row_number - 2, column] = _number(row[index], path, header[index], row_number)
        cell = row[target_index].strip()
        if not cell:
            raise BadInput(
                f"data.source: {path.name} row {row_number}: the target '{target}' is blank; "
                "fill it in or drop the row"
            )
        targets.append(cell)
    feature_names = [header[i] for i in features]
    return csv_targets(path, x, targets, target, task, max_classes, feature_names)


def _number(text: str, path: Path, column: str, row: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(
            f"data.source: {path.name} column '{column}' row {row}: '{text}' is not a number "
            f"(text columns: data.options.categorical: one_hot, or drop: [{column}])"
        ) from None
    if not np.isfinite(value):
        raise BadInput(
            f"data.source: {path.name} column '{column}' row {row}: {text} is not finite"
        )
    if abs(value) > FLOAT32_MAX:
        raise BadInput(
            f"data.source: {path.name} column '{column}' row {row}: {text} is beyond float32 "
            f"(±{FLOAT32_MAX:.3g}); rescale the column"
        )
    return value


def _csv_rows(path: Path, delimiter: str) -> list[list[str]]:
    """Every row, refusing a field longer than :data:`MAX_CSV_FIELD` characters by line
    (the csv module's own, larger limit included)."""
    too_long = f"has a field over {MAX_CSV_FIELD:,} characters; numbers and class names are shorter"
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            rows = []
            for row in reader:
                if any(len(field) > MAX_CSV_FIELD for field in row):
                    raise BadInput(f"data.source: {path.name} line {reader.line_num} {too_long}")
                rows.append(row)
            return rows
    except UnicodeDecodeError as error:
        raise BadInput(f"data.source: {path} is not UTF-8 text: {error}") from error
    except csv.Error as error:
        reason = too_long if "field limit" in str(error) else f"is not valid CSV ({error})"
        raise BadInput(f"data.source: {path.name} line {reader.line_num} {reason}") from None


_CSV_OPTIONS = {"target", "task", "delimiter", "max_classes"}  # and TABLE_OPTIONS
