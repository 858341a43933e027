"""Open-set recognition: embed, keep vectors per identity, match by distance, say "unknown".

A softmax classifier must be retrained when a person joins and cannot refuse a
stranger; a gallery of embeddings with a calibrated distance threshold does both.
"""

from dlworkflow.gallery.calibration import Calibration
from dlworkflow.gallery.gallery import Decision, Gallery, Match

__all__ = ["Calibration", "Decision", "Gallery", "Match"]
