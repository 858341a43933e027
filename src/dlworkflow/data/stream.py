"""Image files read on demand: a ``tf.data`` pipeline from paths, so memory stays flat
with the dataset's size (``data.stream``).

:class:`ImageFiles` stands where a split's ``x`` array would: it has a length, a shape
and a dtype, and indexing it (an int, a slice, an index array) reads just those images
as numpy, so surveys, sample grids and interpretation take bounded samples as they do
from arrays. Training, evaluation and prediction read it through :func:`epoch_stream`
and :func:`model_input`: read, decode, turn upright, resize, scale, batch and prefetch,
with parallel maps. Every file is checked up front (:func:`check_files`): a bad file
stops the run with its name before a run folder exists, not mid-epoch.

Decoding is TensorFlow's (JPEG, PNG, GIF, BMP), resized bilinearly with antialiasing
like Pillow's, so the streamed pixels match the in-memory path's within rounding.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.preprocess import Preprocessing
from dlworkflow.errors import BadInput
from dlworkflow.imagefile import MAX_PIXELS, check_image

STREAM_BYTES = 1 << 30  # float32 footprint above which data.stream: auto streams a folder
STREAM_FORMATS = ("JPEG", "PNG", "GIF", "BMP")  # what tf.io.decode_image reads
EAGER_READS = 16  # reads of at most this many images skip building a tf.data pipeline
SAMPLE_IMAGES = 512  # images a statistic of a streamed split (survey, scaling) is taken on
CACHE_HOME = "dlworkflow-cache"  # data.cache: true puts the decoded arrays under tmp/this


def stream_choice(stream: bool | str, images: int, shape: tuple[int, int, int]) -> bool:
    """Whether to stream: ``true``/``false`` as given; ``auto`` when the float32 arrays
    the in-memory path builds would exceed :data:`STREAM_BYTES`."""
    if stream == "auto":
        return images * int(np.prod(shape)) * 4 > STREAM_BYTES
    if not isinstance(stream, bool):
        raise BadInput(f"data.stream: {stream!r} is not auto, true or false")
    return stream


def cache_folder(cache: bool | str | None) -> Path | None:
    """Where decoded images are kept between epochs and runs (``data.cache``)."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return Path(tempfile.gettempdir()) / CACHE_HOME
    if not isinstance(cache, str) or not cache.strip():
        raise BadInput(f"data.cache: {cache!r} is not true, false or a folder path")
    folder = Path(cache).expanduser()
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"data.cache: {folder} exists and is not a folder")
    return folder


@dataclass(frozen=True)
class ImageFiles:
    """A split's images as files, decoded when read.

    ``headers`` holds each file's EXIF orientation and stored width and height (from
    :func:`check_files`): the orientation is applied after decoding as
    ``ImageOps.exif_transpose`` does; the sizes say whether resizing ever shrinks (then
    it antialiases, as Pillow does). With ``preprocessing`` set
    (:meth:`scaled`), reads give the model's float32 inputs instead of raw uint8 pixels.
    """

    paths: tuple[str, ...]
    headers: np.ndarray  # (files, 3): orientation, width, height
    size: tuple[int, int]  # height, width
    channels: int
    preprocessing: Preprocessing | None = None
    cache: Path | None = None  # folder of decoded arrays (data.cache)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (*self.size, self.channels)

    @property
    def shape(self) -> tuple[int, ...]:
        pre = self.preprocessing
        if pre is not None and pre.flatten:
            return (len(self), int(np.prod(self.image_shape)))
        return (len(self), *self.image_shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8 if self.preprocessing is None else np.float32)

    def subset(self, indices: Sequence[int] | np.ndarray) -> ImageFiles:
        """The files at ``indices``, still unread (splitting and limits stay lazy)."""
        chosen = np.asarray(indices, np.int64)
        return replace(
            self, paths=tuple(self.paths[i] for i in chosen), headers=self.headers[chosen]
        )

    def scaled(self, preprocessing: Preprocessing) -> ImageFiles:
        """The same files read as ``preprocessing.apply`` of their pixels."""
        return replace(self, preprocessing=preprocessing)

    def __getitem__(self, key: int | slice | Sequence[int] | np.ndarray) -> np.ndarray:
        """Decoded images, as indexing an array of them would give."""
        if isinstance(key, (int, np.integer)):
            return self.read(np.asarray([key]))[0]
        if isinstance(key, slice):
            return self.read(np.arange(len(self))[key])
        indices = np.asarray(key)
        if indices.dtype == bool:
            indices = np.flatnonzero(indices)
        return self.read(indices.astype(np.int64))

    def read(self, indices: np.ndarray) -> np.ndarray:
        """The images at ``indices`` in one array (raw uint8, or scaled): a few decoded
        one by one, many through the parallel pipeline, or gathered from the cache."""
        import tensorflow as tf

        cached = self._cached()
        if cached is not None:
            images = cached[np.asarray(indices, np.int64)]
        elif len(indices) <= EAGER_READS:  # a sample grid's tile: no pipeline to build
            images = np.zeros((len(indices), *self.image_shape), np.uint8)
            options = self._decoding(rounded=True)
            for row, index in enumerate(indices):
                args = (self.paths[index], int(self.headers[index, 0]), *self.image_shape)
                images[row] = decode_image(*args, **options).numpy()
        else:
            raw = replace(self, preprocessing=None)
            batches = raw._pixels(tf.data.Dataset.from_tensor_slices(indices), 64)
            images = np.concatenate([np.asarray(batch) for batch in batches])
        return images if self.preprocessing is None else self.preprocessing.apply(images)

    def fingerprint(self) -> bytes:
        """What the split's checksum hashes instead of pixels: paths, sizes, modification
        times, orientations and the decoded shape (the cache key, too)."""
        digest = hashlib.sha256(repr((self.image_shape, self.headers.tolist())).encode())
        for path in self.paths:
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.digest()

    def _pixels(self, indices: Any, batch_size: int, y: np.ndarray | None = None) -> Any:
        """``indices`` (a tf.data stream of ints) as batches of images, decoded in parallel
        (or gathered from the decoded cache) and scaled; with ``y``, (images, targets)."""
        import tensorflow as tf

        targets = tf.constant(y if y is not None else np.zeros(len(self), np.int64))
        cached = self._cached()
        if cached is not None:

            def gather(rows: Any) -> Any:
                images = tf.numpy_function(lambda r: cached[r], [rows], tf.uint8, stateful=False)
                images.set_shape((None, *self.image_shape))
                return images, tf.gather(targets, rows)

            stream = indices.batch(batch_size).map(
                gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
            )
        else:
            paths = tf.constant(self.paths or ("",))
            turns = tf.constant(self.headers[:, 0].astype(np.int32))
            options = self._decoding(rounded=self.preprocessing is None)

            def decode(row: Any) -> Any:
                image = decode_image(paths[row], turns[row], *self.image_shape, **options)
                return image, targets[row]

            stream = indices.map(
                decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
            ).batch(batch_size)
        scale = scale_batch(self.preprocessing) if self.preprocessing else tf.identity
        if y is None:
            return stream.map(lambda images, _: scale(images))
        return stream.map(lambda images, labels: (scale(images), labels))

    def _decoding(self, rounded: bool) -> dict[str, bool]:
        """What decoding these files needs, decided once for the pipeline: EXIF turns only
        when a file is tagged, antialiasing only when a file is larger than the target
        (upscaling is the same without it, and each costs as much as the decode)."""
        orientation, stored = self.headers[:, 0], self.headers[:, 1:]
        return {
            "turn": bool(np.any(orientation != 1)),
            "antialias": bool(np.any(stored.max(axis=1) > min(self.size))),
            "rounded": rounded,
        }

    @cached_property
    def _cache_key(self) -> str:
        """The files' fingerprint, once per object (it stats every file)."""
        return hashlib.sha256(self.fingerprint()).hexdigest()[:32]

    def _cached(self) -> np.ndarray | None:
        """The decoded uint8 array of every file, kept in ``cache`` (filled on first use,
        then memory-mapped: pages are read from disk as batches need them)."""
        if self.cache is None or not self.paths:
            return None
        unscaled = replace(self, preprocessing=None, cache=None)
        path = self.cache / f"{self._cache_key}.npy"
        if not path.is_file():
            self.cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.cache) as work:
                filling = Path(work) / "filling.npy"
                array = np.lib.format.open_memmap(
                    filling, "w+", np.uint8, (len(self), *self.image_shape)
                )
                import tensorflow as tf

                start = 0
                every = tf.data.Dataset.range(len(self))
                for batch in unscaled._pixels(every, 256):
                    array[start : start + len(batch)] = np.asarray(batch)
                    start += len(batch)
                array.flush()
                del array
                os.replace(filling, path)
        return np.load(path, mmap_mode="r", allow_pickle=False)


def decode_image(
    path: Any,
    orientation: Any,
    height: int,
    width: int,
    channels: int,
    *,
    turn: bool = True,
    antialias: bool = True,
    rounded: bool = True,
) -> Any:
    """One file read, decoded, turned upright, resized bilinearly like Pillow; uint8 when
    ``rounded`` (raw pixels), else float32 (to be scaled at once)."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    if turn:
        image = upright(image, orientation)
    image = tf.image.resize(image, (height, width), method="bilinear", antialias=antialias)
    if not rounded:
        return image
    return tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)


def upright(image: Any, orientation: Any) -> Any:
    """``ImageOps.exif_transpose`` in TensorFlow ops: EXIF orientation 1..8."""
    import tensorflow as tf

    def transpose(x: Any) -> Any:
        return tf.transpose(x, (1, 0, 2))

    branches = [
        lambda: image,  # 1: as stored
        lambda: tf.image.flip_left_right(image),  # 2
        lambda: tf.image.rot90(image, 2),  # 3
        lambda: tf.image.flip_up_down(image),  # 4
        lambda: transpose(image),  # 5: transpose
        lambda: tf.image.rot90(image, 3),  # 6: turned 270° (clockwise)
        lambda: tf.image.rot90(transpose(image), 2),  # 7: transverse
        lambda: tf.image.rot90(image, 1),  # 8: turned 90°
    ]
    index = tf.clip_by_value(tf.cast(orientation, tf.int32) - 1, 0, 7)
    return tf.switch_case(index, branches)


def scale_batch(preprocessing: Preprocessing) -> Any:
    """``Preprocessing.apply`` as a tf.data map over a batch of uint8 images."""
    import tensorflow as tf

    offset = tf.constant(np.asarray(preprocessing.offset, np.float32))
    factor = tf.constant(np.asarray(preprocessing.factor, np.float32))

    def scale(images: Any) -> Any:
        out = tf.cast(images, tf.float32)
        if preprocessing.scale != "none":
            out = (out - offset) / factor
        if preprocessing.flatten:
            out = tf.reshape(out, (tf.shape(out)[0], -1))
        return out

    return scale


def check_files(
    paths: Sequence[Path], max_pixels: int = MAX_PIXELS, key: str = "data.source"
) -> np.ndarray:
    """Every file opened with Pillow before anything trains: the pixel cap from its
    header, a full pass over its compressed data (a JPEG at 1/8 scale), a format
    TensorFlow decodes. Returns each file's EXIF orientation, width and height (the
    ``headers`` of :class:`ImageFiles`). The first bad file (in order) is one BadInput
    line naming it."""
    workers = min(8, os.cpu_count() or 1)

    def check(path: Path) -> tuple[int, int, int]:
        kind, orientation, (width, height) = check_image(path, max_pixels, key)
        if kind not in STREAM_FORMATS:
            raise BadInput(
                f"{key}: {path} is {kind}; streamed folders take {', '.join(STREAM_FORMATS)} "
                "(convert it, or read the folder into memory: data.stream: false)"
            )
        return orientation, width, height

    with ThreadPoolExecutor(workers) as pool:  # Pillow decodes without the GIL
        return np.asarray(list(pool.map(check, paths)), np.int64).reshape(-1, 3)


def epoch_stream(
    x: ImageFiles,
    y: np.ndarray,
    batch_size: int,
    order: Any,
    first_epoch: int,
    epochs: int,
) -> Any:
    """Training batches of epochs ``first_epoch … epochs - 1``: each epoch's sample order
    is ``order(epoch)`` (``train/order.py``'s seeded permutation), its images decoded in
    that order; an epoch's last batch may be smaller."""
    import tensorflow as tf

    def one_epoch(epoch: Any) -> Any:
        indices = tf.numpy_function(lambda e: order(int(e)), [epoch], tf.int64, stateful=False)
        indices.set_shape([len(x)])
        return x._pixels(tf.data.Dataset.from_tensor_slices(indices), batch_size, y)

    return tf.data.Dataset.range(first_epoch, epochs).flat_map(one_epoch)


def model_input(x: Any, batch_size: int, y: np.ndarray | None = None) -> Any:
    """Inputs for ``model.predict``/``evaluate``/``validation_data``: arrays as they are
    (with ``y``, the pair), a stream as prefetched tf.data batches in file order."""
    if not isinstance(x, ImageFiles):
        return x if y is None else (x, y)
    import tensorflow as tf

    return x._pixels(tf.data.Dataset.range(len(x)), batch_size, y).prefetch(tf.data.AUTOTUNE)


def take(x: Any, indices: np.ndarray) -> Any:
    """``x[indices]`` that keeps a stream unread."""
    return x.subset(indices) if isinstance(x, ImageFiles) else x[indices]


def bounded_sample(x: Any) -> np.ndarray:
    """An array as it is; a stream as up to :data:`SAMPLE_IMAGES` images spread evenly
    over it, for statistics (survey numbers, scaling fits) whose memory must not grow
    with the data."""
    if not isinstance(x, ImageFiles):
        return x
    count = min(SAMPLE_IMAGES, len(x))
    chosen = np.unique(np.linspace(0, len(x) - 1, count).round().astype(np.int64))
    return x.read(chosen)
