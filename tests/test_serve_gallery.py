"""``dlw gallery serve`` with real dlib faces from the ORL set, a real uvicorn and Chromium."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from dlworkflow.gallery import Gallery
from dlworkflow.gallery.embedders import DlibFaces
from dlworkflow.serve.common import Limits
from dlworkflow.serve.gallery_app import create_gallery_app
from tests.browser import browser_page
from tests.conftest import DATA_HOME
from tests.servers import running

ORL = DATA_HOME / "faces_att"
KEY = {"X-API-Key": "s3cret-key"}


def _grey_png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("L", (120, 120), 128).save(buffer, format="PNG")
    return buffer.getvalue()


GREY = _grey_png()  # a picture with no face in it


def face(person: int, index: int) -> Path:
    return ORL / f"s{person}" / f"{index}.pgm"


def part(person: int, index: int) -> tuple[str, tuple[str, bytes, str]]:
    return ("files", (f"s{person}-{index}.pgm", face(person, index).read_bytes(), "image/x-pgm"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A dlib gallery with ann (s1) and bob (s2) enrolled over HTTP."""
    db = tmp_path_factory.mktemp("gallery") / "faces.db"
    embedder = DlibFaces()
    Gallery.create(db, embedder.name, embedder.spec(), embedder.dim, 0.6).close()
    app = create_gallery_app(db, KEY["X-API-Key"], Limits(max_body_bytes=2**20))
    with running(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        for name, person in (("ann", 1), ("bob", 2)):
            enrolled = client.post(
                "/enroll",
                data={"name": name},
                files=[part(person, 1), part(person, 2)],
                headers=KEY,
            )
            assert enrolled.json() == {"name": name, "samples": 2}
        yield url, client, db


def identities(client: httpx.Client) -> dict[str, int]:
    return {row["name"]: row["samples"] for row in client.get("/identities").json()}


def test_identify_verify_and_attendance(served):
    _, client, _ = served
    found = client.post("/identify", params={"k": 2, "log": True}, files=[part(1, 5), part(3, 1)],
                        headers=KEY).json()["faces"]  # fmt: skip
    assert [f["name"] for f in found] == ["ann", None]  # s3 was never enrolled
    assert found[1]["distance"] >= found[1]["threshold"] and len(found[0]["candidates"]) == 2
    assert len(found[0]["box"]) == 4
    same = client.post("/verify", files=[part(1, 3), part(1, 4)]).json()
    other = client.post("/verify", files=[part(1, 3), part(2, 3)]).json()
    assert same["same"] is True and other["same"] is False
    rows = client.get("/attendance").json()
    assert {(r["name"], r["sightings"]) for r in rows} >= {("ann", 1), ("unknown", 1)}
    as_csv = client.get("/attendance", params={"format": "csv", "since": "2000-01-01"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0] == "day,name,first_seen,last_seen,sightings,best_distance"
    assert client.get("/calibration").json()["genuine_pairs"] >= 2


def test_identify_is_served_while_an_enrollment_commits(served):
    url, client, _ = served

    def identify(_: int) -> str | None:
        with httpx.Client(base_url=url, timeout=120) as own:
            return own.post("/identify", files=[part(2, 6)]).json()["faces"][0]["name"]

    with ThreadPoolExecutor(6) as pool:
        enrolling = pool.submit(
            client.post, "/enroll", data={"name": "cat"}, files=[part(4, i) for i in (1, 2, 3)],
            headers=KEY,
        )  # fmt: skip
        names = list(pool.map(identify, range(8)))
        assert enrolling.result().json() == {"name": "cat", "samples": 3}
    assert names == ["bob"] * 8
    assert identities(client)["cat"] == 3
    assert (
        client.post("/rename", json={"old": "cat", "new": "cathy"}, headers=KEY).status_code == 200
    )
    assert client.delete("/identities/cathy", headers=KEY).json()["removed_samples"] == 3
    assert "cathy" not in identities(client)


BAD = [
    ("no key", "post", "/enroll", {"data": {"name": "eve"}, "files": [part(5, 1)]}, {}, 401),
    ("wrong key", "delete", "/identities/ann", {}, {"X-API-Key": "guess"}, 401),
    ("log without key", "post", "/identify", {"params": {"log": True}, "files": [part(1, 1)]},
     {}, 401),
    ("rename without key", "post", "/rename", {"json": {"old": "ann", "new": "x"}}, {}, 401),
    ("traversal name", "post", "/enroll", {"data": {"name": "../../etc"}, "files": [part(5, 1)]},
     KEY, 400),
    ("traversal rename", "post", "/rename", {"json": {"old": "ann", "new": "a/b"}}, KEY, 400),
    ("traversal path", "delete", "/identities/..%2F..%2Fetc", {}, KEY, 404),
    ("unknown identity", "delete", "/identities/nobody", {}, KEY, 400),
    ("not multipart", "post", "/identify", {"json": [1]}, {}, 415),
    ("not an image", "post", "/identify", {"files": [("files", ("a.txt", b"hi", "text/plain"))]},
     {}, 415),
    ("corrupt image", "post", "/enroll",
     {"data": {"name": "eve"}, "files": [("files", ("a.png", b"\x89PNG..", "image/png"))]},
     KEY, 400),
    ("no face", "post", "/enroll",
     {"data": {"name": "eve"}, "files": [("files", ("g.png", GREY, "image/png"))]}, KEY, 400),
    ("huge upload", "post", "/identify",
     {"files": [("files", ("h.png", b"\0" * (2 * 2**20), "image/png"))]}, {}, 413),
    ("bad since", "get", "/attendance", {"params": {"since": "yesterday"}}, {}, 400),
]  # fmt: skip


@pytest.mark.parametrize(("case", "method", "path", "extra", "headers", "status"), BAD,
                         ids=[b[0] for b in BAD])  # fmt: skip
def test_bad_requests_change_nothing(served, case, method, path, extra, headers, status):
    _, client, db = served
    before = identities(client), (db.stat().st_size, len(client.get("/attendance").json()))
    response = client.request(method.upper(), path, headers=headers, **extra)
    assert response.status_code == status, response.text
    assert response.json()["error"] and "\n" not in response.json()["error"]
    assert (
        identities(client),
        (db.stat().st_size, len(client.get("/attendance").json())),
    ) == before


def test_the_page_enrolls_and_identifies(served, tmp_path: Path):
    url, client, _ = served
    from PIL import Image

    paths = []
    for index in (1, 2, 7):
        target = tmp_path / f"dan{index}.png"
        Image.open(face(6, index)).save(target)
        paths.append(target)
    with browser_page() as tab:
        tab.goto(url + "/")
        tab.fill("#key", KEY["X-API-Key"])
        tab.fill("#enroll-name", "dan")
        tab.set_input_files("#enroll-files", [str(p) for p in paths[:2]])
        tab.click("#enroll button")
        tab.wait_for_selector("#enroll-status.ok")
        assert "dan: 2 sample(s)" in tab.inner_text("#enroll-status")
        tab.wait_for_selector("#identities td:text('dan')")
        tab.set_input_files("#identify-files", str(paths[2]))
        tab.click("#identify button")
        tab.wait_for_selector("#identify-status.ok")
        assert tab.inner_text("#faces tbody td:nth-child(2)") == "dan"
        assert "threshold" in tab.inner_text("#calibration")
        assert tab.evaluate("document.getElementById('picture').width") == 92
    assert client.delete("/identities/dan", headers=KEY).status_code == 200


def test_the_page_identifies_a_camera_frame(served):
    """Chromium's fake camera (no face in its picture) through the page's capture buttons."""
    from tests.browser import browser_page, start_camera

    url, client, _ = served
    with browser_page(camera=True) as tab:
        start_camera(tab, url, "#capture-identify")
        tab.click("#capture-identify")
        tab.wait_for_selector("#identify-status.ok")
        assert tab.inner_text("#identify-status").startswith("0 face(s)")
        before = identities(client)
        tab.fill("#key", KEY["X-API-Key"])
        tab.fill("#enroll-name", "nobody")
        tab.click("#capture-enroll")
        tab.wait_for_selector("#enroll-status.error")
        assert "no face found" in tab.inner_text("#enroll-status")
        assert identities(client) == before
