"""What the three servers share: request limits, one-line JSON errors, uploads, pages.

A server faces strangers: every request is size-capped before its body is read, and
every failure (bad input, a wrong content type, an internal error) becomes a 4xx/5xx
with ``{"error": "one line"}``; nothing a client sends can stop the process.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dlworkflow.errors import BadInput
from dlworkflow.pages import environment

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """Caps on what one request may cost."""

    max_body_bytes: int = 16 * 2**20  # a whole request, uploads included
    max_files: int = 64  # uploads in one request
    max_pixels: int = 16_000_000  # of one image, read from its header before decoding
    max_samples: int = 4096  # rows or images in one request
    timeout_s: float = 30.0  # the work of one request, after its body is in


class Refused(Exception):
    """A request refused with an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status)


def install_errors(app: FastAPI) -> None:
    """Every failure as ``{"error": "..."}``: bad input 400, refusals their own status."""

    async def bad_input(request: Request, exc: Exception) -> JSONResponse:
        return error(400, str(exc))

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refused)
        return error(exc.status, str(exc))

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error(exc.status_code, str(exc.detail))

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error(422, f"{where}: {first.get('msg', 'invalid request')}")

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return error(500, f"internal error: {type(exc).__name__}: {exc}")

    app.add_exception_handler(BadInput, bad_input)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, internal)


class BodyLimit:
    """Refuse a request body over ``limit`` bytes: by its Content-Length before reading,
    and while reading when it has none (chunked), so no large body is ever buffered."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await error(413, self._message())(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise Refused(413, self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"request body over the limit of {self.limit:,} bytes"


async def with_timeout(work: Awaitable[T], limits: Limits) -> T:
    try:
        return await asyncio.wait_for(work, limits.timeout_s)
    except asyncio.TimeoutError:
        raise Refused(
            503, f"the request took over {limits.timeout_s:g} s; try fewer inputs"
        ) from None


async def uploads(request: Request, limits: Limits) -> tuple[list[UploadFile], dict[str, str]]:
    """The files and text fields of a multipart request, within the limits."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        raise Refused(415, f"content type '{kind or 'none'}': send multipart/form-data")
    try:
        form = await request.form(max_files=limits.max_files, max_fields=64)
    except StarletteHTTPException as exc:
        raise Refused(exc.status_code, str(exc.detail)) from None
    files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    return files, fields


def image_upload(upload: UploadFile) -> str:
    """The upload's name, once its declared type is an image (else 415)."""
    name = upload.filename or "upload"
    kind = (upload.content_type or "").split(";")[0].strip()
    if not kind.startswith("image/"):
        raise Refused(415, f"{name}: content type '{kind or 'none'}' is not an image")
    return name


def require_key(request: Request, key: str | None) -> None:
    """Changes need the server's API key (``X-API-Key`` or a Bearer token)."""
    if key is None:
        raise Refused(403, "this server was started without --api-key; changes are disabled")
    given = request.headers.get("x-api-key") or ""
    bearer = request.headers.get("authorization", "")
    if not given and bearer.lower().startswith("bearer "):
        given = bearer[7:]
    if not hmac.compare_digest(given.encode(), key.encode()):
        raise Refused(401, "missing or wrong API key (send it as X-API-Key)")


def page(package: str, template: str, **context: Any) -> HTMLResponse:
    """A page of the kit that may call its own server (CSP ``connect-src 'self'``)."""
    html = environment(package, connect_self=True).get_template(template).render(**context)
    return HTMLResponse(html)
