"""``task: text``: texts → token ids (a recorded vocabulary) → Embedding + a sequence
body → classes; evaluated like any classifier, plus the most confidently wrong texts
and the learned word vectors."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from matplotlib.figure import Figure

from dlworkflow.config import ExperimentConfig
from dlworkflow.data.survey import survey_figures
from dlworkflow.data.text import TextData, fit_vocabulary, load_texts, standardise, text_dataset
from dlworkflow.evaluate.evaluation import evaluate_predictions
from dlworkflow.evaluate.text import (
    FIRST_WORD,
    embedding_figure,
    most_confused_texts,
    nearest_words,
)
from dlworkflow.experiments.sequence_plan import SequencePlan, build_and_compile
from dlworkflow.figures import save_figure
from dlworkflow.models import head_for
from dlworkflow.models.sequence import text_classifier


def prepare_text(config: ExperimentConfig) -> SequencePlan:
    spec = config.text
    assert spec is not None
    data = load_texts(config.data, config.seed)
    vectorizer = fit_vocabulary(data.texts["train"], spec)
    dataset = text_dataset(data, vectorizer)
    head = head_for(dataset.task, dataset.num_classes)
    vocabulary = vectorizer["vocabulary"]

    def zoo() -> keras.Model:
        return text_classifier(
            config.model.zoo, len(vocabulary), spec.sequence_length, head, config.model.options
        )

    model, plan = build_and_compile(config, dataset, zoo, head.units, dataset.num_classes)
    record = {
        "task": "text",
        "class_names": data.class_names,
        "vocabulary_size": len(vocabulary),
        "vectorizer": vectorizer,
    }

    def survey(figures: Path) -> None:
        survey_figures(dataset, figures)
        figure = _length_figure(data, vectorizer)
        save_figure(figure, figures / "text_lengths.svg")

    def evaluate(model: keras.Model, split: str, y_prob: np.ndarray, figures: Path) -> dict:
        evaluation = evaluate_predictions(dataset, getattr(dataset, split), y_prob, figures)
        ids = getattr(dataset, split).x
        tokens = [len(t.split()) for t in standardise(data.texts[split], spec.standardize)]
        record["out_of_vocabulary"] = float(np.mean(ids == 1) / max(np.mean(ids > 0), 1e-12))
        record["truncated"] = float(np.mean(np.array(tokens) > spec.sequence_length))
        record["evaluation"] = {
            "split": split,
            "most_confused_texts": most_confused_texts(
                data.texts[split], data.labels[split], y_prob, data.class_names
            ),
            **_word_vectors(model, vocabulary, spec.probes, spec.standardize, figures),
        }
        return evaluation

    return SequencePlan(config, dataset, model, plan, record, survey, evaluate)


def _word_vectors(
    model: keras.Model, vocabulary: list[str], probes: list[str], mode: str, figures: Path
) -> dict:
    """The embedding's PCA picture and the nearest words to the probes (default: the
    five most frequent words); nothing when the model has no layer named embedding."""
    try:
        vectors = model.get_layer("embedding").get_weights()[0]
    except ValueError:
        return {"nearest_words": [], "embedding_note": "no layer named 'embedding'"}
    words = standardise(probes, mode) if probes else vocabulary[FIRST_WORD : FIRST_WORD + 5]
    if len(vocabulary) - FIRST_WORD >= 3:
        figure, kept = embedding_figure(vectors, vocabulary)
        save_figure(figure, figures / "embedding_pca.svg")
    else:
        kept = None
    return {"nearest_words": nearest_words(vectors, vocabulary, words), "pca_variance": kept}


def _length_figure(data: TextData, vectorizer: dict) -> Figure:
    """Words per training text against the sequence length (longer texts are cut)."""
    lengths = [len(text.split()) for text in data.texts["train"]]
    figure = Figure(figsize=(6, 3.2))
    axes = figure.add_subplot()
    axes.hist(lengths, bins=30, color="tab:blue")
    axes.axvline(vectorizer["sequence_length"], color="tab:red", ls="--", label="sequence length")
    axes.set_xlabel("words per text (training split)")
    axes.set_ylabel("texts")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
