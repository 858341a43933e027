"""The notes' from-scratch lessons, each computed by hand, checked against Keras and
gathered into a :class:`Lesson`: plain tables, figures and numbers.

Every function checks its input first (raising ``BadInput``) and writes nothing;
``dlworkflow.experiments.scratch_folder.write_lesson`` turns a lesson into a run
folder. Keras is imported only for the comparison at the end (``keras=False`` skips
it), so bad input is refused before TensorFlow starts.
"""

from dlworkflow.scratch.lessons.common import TOLERANCE, Lesson, Table
from dlworkflow.scratch.lessons.functions import activations, convolution
from dlworkflow.scratch.lessons.networks import backprop_example, xor
from dlworkflow.scratch.lessons.regressions import linear, logistic

__all__ = [
    "TOLERANCE",
    "Lesson",
    "Table",
    "activations",
    "backprop_example",
    "convolution",
    "linear",
    "logistic",
    "xor",
]
