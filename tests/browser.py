"""Headless Chromium (Debian's) driven by Playwright, and a local server that records
every request a page makes, for tests of the pages we write."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
VIDEO_READY = "v => new Promise(r => v.readyState >= 2 ? r() : (v.onloadeddata = r))"


@contextlib.contextmanager
def browser_page(scrollbars: bool = False, camera: bool = False) -> Iterator:
    """A fresh page of headless Chromium; skips where Chromium is not installed.

    ``scrollbars``: classic scrollbars that take room, as on a desktop (headless hides them);
    ``camera``: Chromium's fake camera stands in for a webcam, allowed without asking.
    """
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=FLAGS + FAKE_CAMERA if camera else FLAGS,
            ignore_default_args=["--hide-scrollbars"] if scrollbars else None,
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def start_camera(tab, url: str, capture: str) -> None:
    """Open ``url``, switch its page to the camera and wait until ``capture`` (the page's
    capture button) shows and the video has a frame."""
    tab.goto(url + "/")
    tab.click("#camera")
    tab.wait_for_selector(f"{capture}:not([hidden])")
    tab.locator("#video").evaluate(VIDEO_READY)


@contextlib.contextmanager
def request_recorder() -> Iterator[tuple[str, list[str]]]:
    """``(base URL, paths requested)`` of a server on 127.0.0.1 that answers 200 to all."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
