"""Real dlib faces from the ORL set, a real video, and Keras models as embedders."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlworkflow.errors import BadInput
from dlworkflow.gallery import Gallery
from dlworkflow.gallery.attendance import attendance
from dlworkflow.gallery.embedders import DlibFaces, KerasEmbedder
from dlworkflow.gallery.images import load_image
from dlworkflow.gallery.operations import enroll_files, identify_files, track_video, verify_files

from .conftest import DATA_HOME

ORL = DATA_HOME / "faces_att"


def face(person: int, index: int) -> Path:
    return ORL / f"s{person}" / f"{index}.pgm"


def side_by_side(tmp_path: Path, *paths: Path) -> Path:
    """Several ORL faces pasted apart on a grey canvas: a group photo."""
    canvas = Image.new("L", (130 * len(paths), 150), 128)
    for position, path in enumerate(paths):
        canvas.paste(Image.open(path), (130 * position + 19, 19))
    target = tmp_path / f"group{len(paths)}.png"
    canvas.save(target)
    return target


@pytest.fixture(scope="module")
def faces() -> DlibFaces:
    return DlibFaces()


def dlib_gallery(tmp_path: Path, embedder: DlibFaces) -> Gallery:
    return Gallery.create(tmp_path / "faces.db", embedder.name, embedder.spec(), embedder.dim, 0.6)


def test_every_face_with_its_box(tmp_path: Path, faces: DlibFaces):
    group = load_image(side_by_side(tmp_path, face(1, 1), face(2, 1)))
    found = faces.faces(group)
    assert len(found) == 2 and all(f.vector.shape == (128,) for f in found)
    lefts = sorted(f.box[0] for f in found)
    assert lefts[0] < 130 <= lefts[1]  # one face in each half
    assert faces.faces(np.full((150, 150, 3), 128, np.uint8)) == []
    cropped = DlibFaces(cropped=True).faces(load_image(face(1, 1)))
    assert [f.box for f in cropped] == [(0, 0, 92, 112)]
    detected = faces.faces(load_image(face(1, 1)))[0]
    assert np.linalg.norm(cropped[0].vector - detected.vector) < 0.3  # same face, same space


def test_enroll_identify_verify_and_log(tmp_path: Path, faces: DlibFaces):
    gallery = dlib_gallery(tmp_path, faces)
    assert enroll_files(gallery, faces, "ann", [face(1, 1), face(1, 2)]) == 2
    assert enroll_files(gallery, faces, "bob", [face(2, 1), face(2, 2)]) == 2
    group = side_by_side(tmp_path, face(2, 5), face(1, 5), face(3, 1))
    sightings = identify_files(gallery, faces, [group], k=2, log=True)
    by_left = sorted(sightings, key=lambda s: s.box[0])
    assert [s.decision.name for s in by_left] == ["bob", "ann", None]  # s3 was never enrolled
    assert by_left[2].decision.distance >= 0.6 and len(by_left[0].decision.candidates) == 2
    assert [(r["name"], r["sightings"]) for r in attendance(gallery)] == [
        ("ann", 1), ("bob", 1), ("unknown", 1)
    ]  # fmt: skip
    assert verify_files(faces, face(1, 3), face(1, 4), 0.6)[0] is True
    assert verify_files(faces, face(1, 3), face(2, 3), 0.6)[0] is False


def test_bad_images_enroll_nothing(tmp_path: Path, faces: DlibFaces):
    gallery = dlib_gallery(tmp_path, faces)
    blank = tmp_path / "blank.png"
    Image.new("RGB", (120, 120), (90, 90, 90)).save(blank)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    group = side_by_side(tmp_path, face(1, 1), face(2, 1))
    cases = [
        ([face(1, 1), blank], "blank.png: no face found"),
        ([face(1, 1), group], "group2.png: 2 faces found; enrollment needs exactly one"),
        ([broken], "cannot read image .*broken.png"),
    ]
    for paths, message in cases:
        with pytest.raises(BadInput, match=message):
            enroll_files(gallery, faces, "ann", paths)
    with pytest.raises(BadInput, match="over the cap of 5,000"):
        enroll_files(gallery, faces, "ann", [face(1, 1)], max_pixels=5_000)
    with sqlite3.connect(gallery.path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM identities").fetchone()[0] == 0


def test_video_enrollment_every_kth_frame(tmp_path: Path, faces: DlibFaces):
    import av

    video = tmp_path / "walk.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 184, 224, "yuv420p"
        for index in range(1, 8):
            pixels = np.asarray(Image.open(face(4, index)).convert("RGB").resize((184, 224)))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    tracked = track_video(faces, video, every=3)
    assert [number for number, _ in tracked] == [0, 3, 6]
    gallery = dlib_gallery(tmp_path, faces)
    assert enroll_files(gallery, faces, "dee", [video], every=3) == 3
    sources = [r[0] for r in gallery.connection.execute("SELECT source FROM samples")]
    assert sources == [f"{video}#frame={n}" for n in (0, 3, 6)]
    (tmp_path / "fake.mp4").write_bytes(b"not a video")
    with pytest.raises(BadInput, match="fake.mp4: not a readable video"):
        track_video(faces, tmp_path / "fake.mp4")


def test_keras_layer_as_embedder(tmp_path: Path):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(6, name="embedding"),
            keras.layers.Dense(3, activation="softmax", name="classifier"),
        ],
        name="tiny",
    )
    model.save(tmp_path / "tiny.keras")
    embedder = KerasEmbedder(tmp_path / "tiny.keras")  # default: the layer before the head
    assert (embedder.layer, embedder.dim) == ("embedding", 6)
    assert embedder.name.startswith("keras:tiny/embedding@")
    images = [load_image(face(1, 1)), load_image(face(2, 1))]
    vectors = embedder.embed(images)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    small = np.stack(
        [
            np.asarray(Image.open(face(i, 1)).resize((12, 12), Image.Resampling.BILINEAR))
            for i in (1, 2)
        ]
    )
    expected = keras.Model(model.inputs, model.get_layer("embedding").output).predict(
        small[..., None] / 255.0, verbose=0
    )
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, atol=1e-4)  # resized, scaled, that layer
    assert KerasEmbedder(tmp_path / "tiny.keras", "conv").dim == 10 * 10 * 4
    with pytest.raises(BadInput, match="--layer: 'nope' is not a layer of tiny"):
        KerasEmbedder(tmp_path / "tiny.keras", "nope")
    (tmp_path / "broken.keras").write_bytes(b"PK not a zip")
    with pytest.raises(BadInput, match="broken.keras: cannot be loaded as a Keras model"):
        KerasEmbedder(tmp_path / "broken.keras")
    gallery = Gallery.create(tmp_path / "k.db", embedder.name, embedder.spec(), 6, 1.0)
    gallery.enroll("ann", vectors[:1], ["s1/1.pgm"], embedder_name=embedder.name)
    with pytest.raises(BadInput, match="holds vectors of embedder 'keras:tiny/embedding@"):
        gallery.enroll("x", vectors[:1], ["x"], embedder_name=DlibFaces.name)
    with pytest.raises(BadInput, match=r"shape \(128,\) do not fit"):
        gallery.enroll("x", np.zeros((1, 128)), ["x"])
