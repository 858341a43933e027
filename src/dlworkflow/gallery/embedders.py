"""Embedders: images in, float32 vectors out, with a name, a dimension and a threshold.

Two kinds share one small interface. ``faces(image)`` finds every subject in an
image with its box; ``embed(images)`` wants exactly one subject per image. Distances
are Euclidean; a gallery stores the embedder's name and refuses any other's vectors.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from dlworkflow.errors import BadInput

Box = tuple[int, int, int, int]  # left, top, right, bottom in pixels


@dataclass(frozen=True)
class Face:
    box: Box
    score: float | None  # detector confidence; None when the box was given
    vector: np.ndarray


class Embedder(Protocol):
    name: str
    dim: int
    default_threshold: float

    def spec(self) -> dict: ...

    def faces(self, image: np.ndarray) -> list[Face]: ...

    def embed(self, images: list[np.ndarray]) -> np.ndarray: ...


def one_face_each(embedder: Embedder, images: list[np.ndarray], sources: list[str]) -> np.ndarray:
    """One vector per image; no subject or several are a one-line error naming the image."""
    vectors = []
    for image, source in zip(images, sources, strict=True):
        found = embedder.faces(image)
        if len(found) != 1:
            what = "no face" if not found else f"{len(found)} faces"
            raise BadInput(f"{source}: {what} found where exactly one is expected")
        vectors.append(found[0].vector)
    return np.stack(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)


# -- dlib ---------------------------------------------------------------------------------


def dlib_models() -> Path:
    """The ``models/`` folder of face_recognition_models, without importing it.

    (Importing it needs ``pkg_resources``, which new setuptools no longer ships.)
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise BadInput("dlib faces need the face_recognition_models package (pip install it)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


_DLIB_CACHE: dict[str, object] = {}


def _dlib_model(kind: str):
    """Load each dlib model once per process (the ResNet file is 21 MB)."""
    import dlib

    if kind not in _DLIB_CACHE:
        folder = dlib_models()
        _DLIB_CACHE[kind] = {
            "hog": dlib.get_frontal_face_detector,
            "cnn": lambda: dlib.cnn_face_detection_model_v1(
                str(folder / "mmod_human_face_detector.dat")
            ),
            "landmarks": lambda: dlib.shape_predictor(
                str(folder / "shape_predictor_5_face_landmarks.dat")
            ),
            "resnet": lambda: dlib.face_recognition_model_v1(
                str(folder / "dlib_face_recognition_resnet_model_v1.dat")
            ),
        }[kind]()
    return _DLIB_CACHE[kind]


def clipped(box: Box, width: int, height: int) -> Box:
    """A box trimmed to the image, as face_recognition's ``face_locations`` trims dlib's."""
    left, top, right, bottom = box
    return max(left, 0), max(top, 0), min(right, width), min(bottom, height)


class DlibFaces:
    """dlib's face pipeline: detect, align on 5 landmarks, 150×150 chip, 128-d ResNet.

    ``cropped=True`` is for images that are already one tight face (ORL-style): the
    whole image is the box, landmarks still align it; nothing is detected.
    """

    name = "dlib_face_recognition_resnet_model_v1"
    dim = 128
    default_threshold = 0.6  # dlib's documented same-person distance

    def __init__(
        self,
        detector: Literal["hog", "cnn"] = "hog",
        upsample: int = 0,
        cropped: bool = False,
    ) -> None:
        if detector not in ("hog", "cnn"):
            raise BadInput(f"--detector: '{detector}' is not hog or cnn")
        if not 0 <= upsample <= 3:
            raise BadInput(f"--upsample: {upsample} is not 0, 1, 2 or 3")
        self.detector, self.upsample, self.cropped = detector, upsample, cropped

    def spec(self) -> dict:
        return {"kind": "dlib"}

    def detect(self, image: np.ndarray) -> list[tuple[Box, float | None]]:
        """Face boxes with detector scores, best first (``image``: contiguous RGB uint8)."""
        if self.cropped:
            return [((0, 0, image.shape[1], image.shape[0]), None)]
        if self.detector == "cnn":
            found = [
                (d.rect, float(d.confidence)) for d in _dlib_model("cnn")(image, self.upsample)
            ]
        else:
            rects, scores, _ = _dlib_model("hog").run(image, self.upsample, 0.0)
            found = list(zip(rects, map(float, scores), strict=True))
        found.sort(key=lambda item: -item[1])
        return [((r.left(), r.top(), r.right(), r.bottom()), score) for r, score in found]

    def embed_boxes(self, image: np.ndarray, boxes: list[Box]) -> np.ndarray:
        import dlib

        if not boxes:
            return np.zeros((0, self.dim), np.float32)
        chips = [
            dlib.get_face_chip(
                image, _dlib_model("landmarks")(image, dlib.rectangle(*box)), 150, 0.25
            )
            for box in boxes
        ]
        descriptors = _dlib_model("resnet").compute_face_descriptor(chips)
        return np.asarray([np.asarray(d) for d in descriptors], np.float32)

    def faces(self, image: np.ndarray) -> list[Face]:
        """Each face with its box trimmed to the image (for drawing, logs and crops).

        The descriptor is taken from dlib's own box, past the edge: fitting landmarks in
        the trimmed box moved the aligned chip and put a face cut by the edge further
        from the same face uncut (ORL, 5 people cut 10-25 px: up to 0.61 against 0.32).
        """
        image = np.ascontiguousarray(image, dtype=np.uint8)  # dlib misreads strided frames
        found = self.detect(image)
        vectors = self.embed_boxes(image, [box for box, _ in found])
        height, width = image.shape[:2]
        return [
            Face(clipped(box, width, height), score, vector)
            for (box, score), vector in zip(found, vectors, strict=True)
        ]

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        return one_face_each(self, images, [f"image {i}" for i in range(len(images))])


# -- Keras --------------------------------------------------------------------------------


class KerasEmbedder:
    """A layer of a saved Keras model (or of a dlworkflow run) as the embedding.

    A run folder brings its recorded preprocessing, so the network sees inputs scaled
    as in training. Vectors are L2-normalised, so Euclidean distance orders like the
    cosine; the default threshold 1.0 is cosine similarity 0.5, to be calibrated.
    """

    default_threshold = 1.0

    def __init__(self, source: str | Path, layer: str | None = None) -> None:
        import keras

        from dlworkflow.modelfile import load_model_file
        from dlworkflow.runfolder import read_run

        source = Path(source).resolve()
        model_file, self.preprocessing = source, None
        if source.is_dir():
            record = read_run(source)
            model_file = record.model_path
            self.preprocessing = record.preprocessing
        model = load_model_file(model_file)
        names = [item.name for item in model.layers]
        layer = layer or (names[-2] if len(names) > 1 else names[-1])  # before the classifier
        if layer not in names:
            raise BadInput(f"--layer: '{layer}' is not a layer of {model.name}: {', '.join(names)}")
        self.model = keras.Model(model.inputs, model.get_layer(layer).output)
        self.source, self.layer = source, layer
        self.input_shape = tuple(model.inputs[0].shape[1:])
        self.dim = int(np.prod(self.model.outputs[0].shape[1:]))
        digest = hashlib.sha256(model_file.read_bytes()).hexdigest()[:12]
        self.name = f"keras:{model.name}/{layer}@{digest}"

    def spec(self) -> dict:
        return {"kind": "keras", "source": str(self.source), "layer": self.layer}

    def faces(self, image: np.ndarray) -> list[Face]:
        height, width = image.shape[:2]
        return [Face((0, 0, width, height), None, self.embed([image])[0])]

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        batch = np.stack([self._fit(image) for image in images])
        if self.preprocessing is not None:
            batch = self.preprocessing.apply(batch)
        else:
            batch = batch.astype(np.float32) / 255.0
        if len(self.input_shape) == 1:
            batch = batch.reshape(len(batch), -1)
        out = np.asarray(self.model.predict(batch, verbose=0), np.float32).reshape(len(batch), -1)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def _fit(self, image: np.ndarray) -> np.ndarray:
        """Resize and set channels to the model's input (flat inputs: a square image)."""
        from PIL import Image

        shape = self.input_shape
        if len(shape) == 1:
            side = int(round(np.sqrt(shape[0])))
            shape = (side, side, 1)
        height, width, channels = shape
        picture = Image.fromarray(image).convert("L" if channels == 1 else "RGB")
        array = np.asarray(picture.resize((width, height), Image.Resampling.BILINEAR))
        return array.reshape(height, width, channels)


def make_embedder(spec: dict, **options) -> Embedder:
    """The embedder a gallery was made with, from its stored spec (plus run-time options)."""
    if spec.get("kind") == "dlib":
        return DlibFaces(**options)
    if spec.get("kind") == "keras":
        return KerasEmbedder(spec["source"], spec.get("layer"))
    raise BadInput(f"unknown embedder spec {spec!r}")
