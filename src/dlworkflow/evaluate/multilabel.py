"""Step 10 for multilabel targets: each row has a set of labels, each label its own yes/no.

Metrics are scikit-learn's on 0/1 indicator matrices: per-label precision, recall, F1,
support and ROC-AUC; micro (pooled over every cell), macro (mean over labels), weighted
and samples (mean over rows) averages; Hamming loss (share of wrong cells) and subset
accuracy (share of rows whose whole label set is right). A per-label majority answer,
taken from the training split, is scored beside them as the baseline to beat.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import (
    accuracy_score,
    hamming_loss,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
)

from dlworkflow.data import Dataset, Split
from dlworkflow.figures import plt, save_figure

AVERAGES = ("micro", "macro", "weighted", "samples")
LABEL_SCORES = "label_scores.svg"
# samples average: a row with no true label answered with none is right (1), not 0/0 = 0;
# elsewhere a label never predicted has precision 0, as in scikit-learn's reports
SAMPLES_EMPTY = 1.0


@dataclass(frozen=True)
class Thresholds:
    """One probability cut per label and how it was chosen (``fixed`` or ``tuned on val``)."""

    values: np.ndarray
    chosen: str = "fixed"

    @classmethod
    def fixed(cls, value: float, labels: int) -> Thresholds:
        return cls(np.full(labels, float(value)))


def decide(y_prob: np.ndarray, thresholds: Thresholds | np.ndarray) -> np.ndarray:
    """0/1 label matrix: a label is on when its probability reaches its threshold."""
    values = thresholds.values if isinstance(thresholds, Thresholds) else thresholds
    return (np.asarray(y_prob) >= np.asarray(values)[np.newaxis, :]).astype(np.int64)


def tune_thresholds(y_true: np.ndarray, y_prob: np.ndarray) -> Thresholds:
    """Per label, the cut with the highest F1 on these (validation) rows.

    A label with one value only in these rows keeps 0.5. The cut sits halfway between
    the lowest score kept positive and the next lower score, so scores near a boundary
    on new data fall on the side the tuning saw.
    """
    cuts = []
    for label in range(y_true.shape[1]):
        truth, scores = y_true[:, label], np.asarray(y_prob[:, label], np.float64)
        if len(np.unique(truth)) < 2:  # no F1 to maximise: keep the usual cut
            cuts.append(0.5)
            continue
        precision, recall, candidates = precision_recall_curve(truth, scores)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.nan_to_num(2 * precision * recall / (precision + recall))[:-1]
        best = int(np.argmax(f1))  # the lowest cut among ties: recall first
        below = scores[scores < candidates[best]]
        lower = below.max() if len(below) else 0.0
        cuts.append((candidates[best] + lower) / 2)
    return Thresholds(np.asarray(cuts, np.float64), "tuned on val")


def multilabel_metrics(
    y_true: np.ndarray,
    y_prob: np.ndarray,
    names: list[str],
    thresholds: Thresholds,
    y_train: np.ndarray | None = None,
) -> dict:
    """Every multilabel metric as plain data (``metrics.json``'s ``evaluation``)."""
    y_true = np.asarray(y_true).astype(np.int64)
    y_pred = decide(y_prob, thresholds)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=0
    )
    auc = per_label_auc(y_true, y_prob)
    labels = [
        {
            "label": name,
            "threshold": float(thresholds.values[i]),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
            "predicted": int(y_pred[:, i].sum()),
            "roc_auc": auc[i],
        }
        for i, name in enumerate(names)
    ]
    defined = [value for value in auc if value is not None]
    result = {
        "labels": labels,
        "averages": _averages(y_true, y_pred),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
        "subset_accuracy": float(accuracy_score(y_true, y_pred)),
        "roc_auc_macro": float(np.mean(defined)) if defined else None,
        "thresholds": {name: float(t) for name, t in zip(names, thresholds.values, strict=True)},
        "thresholds_chosen": thresholds.chosen,
        "rows": len(y_true),
    }
    if y_train is not None:
        result["majority_baseline"] = majority_baseline(y_true, y_train)
    return result


def evaluate_multilabel(
    dataset: Dataset,
    split: Split,
    y_prob: np.ndarray,
    figures: Path | None = None,
    thresholds: Thresholds | None = None,
) -> dict:
    """The metrics of ``split`` (0.5 per label unless ``thresholds``), with the training
    split's majority as baseline; with ``figures``, the per-label scores figure."""
    thresholds = thresholds or Thresholds.fixed(0.5, dataset.num_classes)
    result = multilabel_metrics(split.y, y_prob, dataset.class_names, thresholds, dataset.train.y)
    if figures is not None:
        save_figure(label_scores_figure(result), figures / LABEL_SCORES)
    return result


def per_label_auc(y_true: np.ndarray, y_prob: np.ndarray) -> list[float | None]:
    """ROC-AUC of each label; None where the rows hold only one of its values."""
    return [
        float(roc_auc_score(y_true[:, i], y_prob[:, i])) if len(np.unique(y_true[:, i])) == 2
        else None
        for i in range(y_true.shape[1])
    ]  # fmt: skip


def majority_baseline(y_true: np.ndarray, y_train: np.ndarray) -> dict:
    """Scores of answering each label's training majority for every row."""
    majority = (2 * np.asarray(y_train).sum(axis=0) > len(y_train)).astype(np.int64)
    y_pred = np.broadcast_to(majority, y_true.shape)
    _, _, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
    return {
        "answer": majority.tolist(),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
        "subset_accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_micro": float(f1),
    }


def _averages(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    averages = {}
    for average in AVERAGES:
        precision, recall, f1, _ = precision_recall_fscore_support(
            y_true,
            y_pred,
            average=average,
            zero_division=SAMPLES_EMPTY if average == "samples" else 0,
        )
        averages[average] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
        }
    return averages


def label_scores_figure(evaluation: dict) -> Figure:
    """Precision, recall and F1 of each label side by side; the threshold in the label."""
    rows = evaluation["labels"]
    names = [f"{row['label']}\n(t={row['threshold']:.2f})" for row in rows]
    positions = np.arange(len(rows))
    width = 0.27
    figure, axis = plt.subplots(figsize=(max(6.0, 0.9 * len(rows) + 2), 4.2))
    for offset, key, colour in ((-1, "precision", "tab:blue"), (0, "recall", "tab:orange"),
                                (1, "f1", "tab:green")):  # fmt: skip
        axis.bar(positions + offset * width, [row[key] for row in rows], width, label=key,
                 color=colour)  # fmt: skip
    crowded = len(rows) > 8
    axis.set_xticks(positions, names, rotation=45 if crowded else 0,
                    ha="right" if crowded else "center", fontsize=8)  # fmt: skip
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("score")
    axis.axhline(evaluation["averages"]["macro"]["f1"], color="tab:green", linestyle="--",
                 linewidth=1, label="macro F1")  # fmt: skip
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    axis.set_title("per-label precision, recall and F1")
    return figure
