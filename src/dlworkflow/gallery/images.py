"""Reading images and video frames for the gallery, refusing what cannot be a photo.

Images go through :func:`dlworkflow.imagefile.open_image` (pixel cap from the header,
EXIF orientation applied); a corrupt file names itself in one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.imagefile import MAX_PIXELS, open_image

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def load_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """An RGB uint8 array of the image at ``path``."""
    return np.asarray(open_image(path, max_pixels).convert("RGB"))


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def video_frames(
    path: str | Path, every: int = 5, max_pixels: int = MAX_PIXELS
) -> Iterator[tuple[int, np.ndarray]]:
    """Every ``every``-th frame of a video as (frame number, RGB array), via FFmpeg (PyAV)."""
    import av

    path = Path(path)
    if every < 1:
        raise BadInput(f"--every: {every} is not a positive frame step")
    if not path.is_file():
        raise BadInput(f"{path}: video file does not exist")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise BadInput(f"{path}: not a readable video ({error})") from None
    with container:
        if not container.streams.video:
            raise BadInput(f"{path}: has no video stream")
        stream = container.streams.video[0]
        if stream.width * stream.height > max_pixels:
            raise BadInput(f"{path}: frames of {stream.width}x{stream.height} are over the cap")
        try:
            for number, frame in enumerate(container.decode(stream)):
                if number % every == 0:
                    yield number, frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as error:
            raise BadInput(f"{path}: video is damaged at frame {number + 1} ({error})") from None
