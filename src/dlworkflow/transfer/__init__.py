"""Transfer learning: a pretrained backbone as a feature extractor for a scikit-learn
head, or fine-tuned in two stages; run through ``dlw run`` with a ``transfer:`` section."""
