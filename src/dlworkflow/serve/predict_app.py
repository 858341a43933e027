"""``dlw serve``: a run's model over HTTP, with dynamic batching and a page.

``POST /predict`` takes image uploads (multipart), a JSON array or CSV rows and gives
the same answers as ``dlw predict``; ``POST /explain`` gives a heatmap over the image;
``GET /model`` describes the run; ``/`` is a page to try it in a browser.
"""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from dlworkflow.errors import BadInput
from dlworkflow.experiments.inputs import decode_image, read_npy, read_rows, rows_from_json
from dlworkflow.experiments.predict import Predictor
from dlworkflow.serve.batching import Batcher
from dlworkflow.serve.common import (
    BodyLimit,
    Limits,
    Refused,
    image_upload,
    install_errors,
    page,
    uploads,
    with_timeout,
)

SHOWN_METRICS = ("accuracy", "loss", "params", "epochs_run")  # in the page's subtitle
BODY_FORMATS = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            },
            "application/json": {
                "schema": {"type": "array", "items": {}},
                "example": [[0.0, 1.0]],
            },
            "text/csv": {"schema": {"type": "string"}},
        },
        "required": True,
    }
}


def create_predict_app(
    run: str | Path,
    limits: Limits | None = None,
    max_batch: int = 64,
    max_wait: float = 0.002,
) -> FastAPI:
    """The prediction server of one finished run (its model loaded once, here)."""
    limits = limits or Limits()
    predictor = Predictor.open(run)
    batcher = Batcher(predictor.model.predict_on_batch, max_batch, max_wait)
    record = predictor.record

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(
        title=f"dlworkflow: {record.name}",
        description="Answers of a finished run's model, its recorded preprocessing replayed.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    install_errors(app)
    app.state.predictor, app.state.batcher = predictor, batcher

    async def samples(request: Request) -> tuple[list[str], np.ndarray]:
        """The request's inputs as raw samples, by its content type."""
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        spec = predictor.spec
        if kind == "multipart/form-data":
            files, _ = await uploads(request, limits)
            if not files:
                raise BadInput("no files in the form; send images as multipart files")
            names, parts = [], []
            for upload in files:
                name, data = upload.filename or "upload", await upload.read()
                if name.lower().endswith(".npy"):
                    part = await run_in_threadpool(read_npy, data, name, spec)
                elif name.lower().endswith(".csv") or upload.content_type == "text/csv":
                    part = read_rows(data.decode("utf-8-sig", "replace"), name, spec)
                else:
                    image_upload(upload)
                    image = await run_in_threadpool(
                        decode_image, data, name, spec, limits.max_pixels
                    )
                    part = image[None]
                names += [name] if len(part) == 1 else [f"{name}#{i}" for i in range(len(part))]
                parts.append(part)
            x = np.concatenate(parts)
        elif kind == "application/json":
            try:
                body = json.loads(await request.body())
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise BadInput(f"request body: not JSON ({exc})") from None
            if isinstance(body, dict):
                body = body.get("inputs")
            x = rows_from_json(body, "request body", spec)
            names = [str(i) for i in range(len(x))]
        elif kind in ("text/csv", "text/plain"):
            x = read_rows(
                (await request.body()).decode("utf-8-sig", "replace"), "request body", spec
            )
            names = [str(i) for i in range(len(x))]
        else:
            raise Refused(
                415,
                f"content type '{kind or 'none'}': send multipart/form-data images, "
                "application/json arrays or text/csv rows",
            )
        if len(x) > limits.max_samples:
            raise Refused(
                413, f"{len(x):,} samples in one request; the limit is {limits.max_samples:,}"
            )
        return names, x

    @app.post("/predict", openapi_extra=BODY_FORMATS)
    async def predict(request: Request, top_k: int = Query(3, ge=1, le=1000)) -> dict[str, Any]:
        """Class names with probabilities and the top k (or values), and the latency."""
        started = time.perf_counter()

        async def work() -> list[dict]:
            names, raw = await samples(request)
            outputs = predictor.finish(await batcher(predictor.prepare(raw)))
            return predictor.answers(names, outputs, top_k)

        answers = await with_timeout(work(), limits)
        return {
            "run": record.name,
            "task": predictor.task,
            "predictions": answers,
            "latency_ms": round((time.perf_counter() - started) * 1000.0, 3),
        }

    @app.post("/explain", response_class=Response, openapi_extra=BODY_FORMATS)
    async def explain(
        request: Request,
        method: str | None = Query(None, pattern="^(gradcam|gradcam\\+\\+|saliency|smoothgrad)$"),
        target: str | None = Query(None, alias="class"),
    ) -> Response:
        """The first uploaded image with a Grad-CAM or saliency heatmap over it, as PNG."""
        files, _ = await uploads(request, limits)
        if len(files) != 1:
            raise BadInput(f"{len(files)} files sent; /explain takes exactly one image")
        name = image_upload(files[0])
        raw = await run_in_threadpool(
            decode_image, await files[0].read(), name, predictor.spec, limits.max_pixels
        )
        png, shown, chosen = await with_timeout(
            batcher.in_model_thread(lambda: _explain(predictor, raw, method, target)), limits
        )
        headers = {"X-Class": shown, "X-Method": chosen}
        return Response(png, media_type="image/png", headers=headers)

    @app.get("/model")
    def model() -> dict[str, Any]:
        """The run's layer table, input shape, classes and test metrics."""
        return {
            "run": record.name,
            "task": predictor.task,
            "input_shape": list(predictor.spec.shape),
            "input_kind": predictor.spec.kind,
            "classes": predictor.class_names,
            "feature_names": list(predictor.spec.feature_names),
            "preprocessing": record.preprocessing.to_dict(),
            "metrics": {k: v for k, v in record.metrics.items() if isinstance(v, int | float)},
            "table": record.model_table(),
        }

    @app.get("/health")
    def health() -> dict[str, Any]:
        stats = batcher.stats
        return {"status": "ok", "run": record.name, "model_calls": stats.calls,
                "samples": stats.samples, "largest_batch": stats.largest}  # fmt: skip

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        return page(
            "dlworkflow.serve",
            "predict.html.j2",
            name=record.name,
            task=predictor.task,
            spec=predictor.spec,
            classes=predictor.class_names,
            metrics={k: record.metrics[k] for k in SHOWN_METRICS if k in record.metrics},
        )

    return app


def _explain(
    predictor: Predictor, raw: np.ndarray, method: str | None, target: str | None
) -> tuple[bytes, str, str]:
    """(PNG, class shown, method) for one raw image; runs on the model thread."""
    from dlworkflow.interpret.methods import LABELS, attribution_maps, has_conv
    from dlworkflow.serve.overlay import overlay_png

    model = predictor.model
    if predictor.task == "regression":
        raise BadInput("/explain: heatmaps explain a class; this run is a regression")
    method = method or ("gradcam" if has_conv(model) else "saliency")
    if method.startswith("gradcam") and not has_conv(model):
        raise BadInput(f"method={method}: needs a conv layer; this model is dense-only (saliency)")
    names = predictor.class_names
    x = predictor.record.preprocessing.with_flatten(False).apply(raw[None])
    if target is None:
        shown = int(
            predictor.finish(model.predict_on_batch(predictor.prepare(raw[None])))[0].argmax()
        )
    elif target in names:
        shown = names.index(target)
    else:
        raise BadInput(f"class={target}: not one of the run's classes: {', '.join(names)}")
    maps = attribution_maps(model, x, [method], np.array([shown]), seed=0)
    return overlay_png(raw, maps[LABELS[method]][0]), names[shown], method
