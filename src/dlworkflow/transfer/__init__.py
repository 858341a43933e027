"""Transfer learning: a pretrained backbone as a feature extractor for a scikit-learn
head, or fine-tuned in two stages; run through ``dlw run`` with a ``transfer:`` section."""

from dlworkflow.transfer.advice import four_way_advice
from dlworkflow.transfer.backbone import Backbone, feature_model, load_backbone
from dlworkflow.transfer.features import cached_features, extract
from dlworkflow.transfer.finetune import fine_tune_model, two_stages
from dlworkflow.transfer.heads import grid_search, head_scores, make_pipeline
from dlworkflow.transfer.spec import TransferSpec

__all__ = [
    "Backbone",
    "TransferSpec",
    "cached_features",
    "extract",
    "feature_model",
    "fine_tune_model",
    "four_way_advice",
    "grid_search",
    "head_scores",
    "load_backbone",
    "make_pipeline",
    "two_stages",
]
