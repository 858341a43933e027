"""Step 2 of the workflow: load, split, scale and survey data."""

from dlworkflow.data.dataset import Dataset, Split
from dlworkflow.data.loader import load_dataset
from dlworkflow.data.preprocess import Preprocessing, encode_labels
from dlworkflow.data.spec import DataSpec

__all__ = ["DataSpec", "Dataset", "Preprocessing", "Split", "encode_labels", "load_dataset"]
