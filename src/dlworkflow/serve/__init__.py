"""The web face of dlworkflow: one FastAPI application kit with three servers.

``dlw serve`` answers with a run's model (dynamic batching, explanations, a page),
``dlw gallery serve`` identifies and enrolls faces, ``dlw ui`` browses the runs folder.
Every page is rendered by the page kit, so it runs only its own hashed scripts and
talks to nothing but its own server.
"""

from dlworkflow.lazy import exports

__all__ = ["create_gallery_app", "create_predict_app", "create_ui_app"]

__getattr__ = exports(
    __name__,
    {
        "create_predict_app": "predict_app",
        "create_gallery_app": "gallery_app",
        "create_ui_app": "ui_app",
    },
)
