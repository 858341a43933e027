"""Object detection building blocks: plain NumPy functions on arrays of boxes.

Boxes are ``[x1, y1, x2, y2]`` corners in pixels unless a function says otherwise;
:mod:`dlworkflow.detection.boxes` converts from and to ``xywh`` and ``cxcywh``.
"""

from dlworkflow.detection.anchors import make_anchors
from dlworkflow.detection.boxes import (
    box_area,
    convert_boxes,
    decode_boxes,
    encode_boxes,
    pairwise_iou,
)
from dlworkflow.detection.roi import crop_and_resize, roi_align, roi_pool
from dlworkflow.detection.suppression import batched_nms, nms

__all__ = [
    "batched_nms",
    "box_area",
    "convert_boxes",
    "crop_and_resize",
    "decode_boxes",
    "encode_boxes",
    "make_anchors",
    "nms",
    "pairwise_iou",
    "roi_align",
    "roi_pool",
]
