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


@contextlib.contextmanager
def browser_page(scrollbars: bool = False) -> Iterator:
    """A fresh page of headless Chromium; skips where Chromium is not installed.

    ``scrollbars``: classic scrollbars that take room, as on a desktop (headless hides them).
    """
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=FLAGS,
            ignore_default_args=["--hide-scrollbars"] if scrollbars else None,
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


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
