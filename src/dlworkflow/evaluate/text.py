"""What text classification adds to the usual evaluation: the texts the model got most
confidently wrong, and a picture of the word vectors it learnt (PCA) with the nearest
words to a few probes."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

FIRST_WORD = 2  # ids 0 and 1 are padding and out-of-vocabulary


def class_probabilities(y_prob: np.ndarray) -> np.ndarray:
    """Model outputs as one probability per class (a sigmoid unit becomes two)."""
    y_prob = np.asarray(y_prob, np.float64)
    return np.hstack([1 - y_prob, y_prob]) if y_prob.shape[1] == 1 else y_prob


def most_confused_texts(
    texts: list[str], y_true: np.ndarray, y_prob: np.ndarray, class_names: list[str], k: int = 10
) -> list[dict]:
    """The ``k`` wrong predictions made with the most confidence, most confident first."""
    probabilities = class_probabilities(y_prob)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    order = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")][:k]
    return [
        {
            "text": texts[i],
            "actual": class_names[y_true[i]],
            "predicted": class_names[predicted[i]],
            "confidence": float(probabilities[i, predicted[i]]),
        }
        for i in order
    ]


def nearest_words(
    vectors: np.ndarray, vocabulary: list[str], probes: list[str], k: int = 5
) -> list[dict]:
    """Cosine nearest neighbours of each probe among the real words of the vocabulary."""
    words = vocabulary[FIRST_WORD:]
    matrix = vectors[FIRST_WORD : len(vocabulary)]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.where(norms > 0, norms, 1)
    rows = []
    for probe in probes:
        if probe not in words:
            rows.append({"probe": probe, "neighbours": [], "note": "not in the vocabulary"})
            continue
        similarity = unit @ unit[words.index(probe)]
        similarity[words.index(probe)] = -np.inf
        best = np.argsort(-similarity, kind="stable")[:k]
        rows.append(
            {
                "probe": probe,
                "neighbours": [{"word": words[i], "cosine": float(similarity[i])} for i in best],
            }
        )
    return rows


def embedding_figure(
    vectors: np.ndarray, vocabulary: list[str], count: int = 60, seed: int = 0
) -> tuple[Figure, float]:
    """The ``count`` most frequent words' vectors projected on their first two principal
    components; returns the figure and the share of variance the plane keeps."""
    words = vocabulary[FIRST_WORD : FIRST_WORD + count]
    points = vectors[FIRST_WORD : FIRST_WORD + len(words)]
    pca = PCA(n_components=2, random_state=seed).fit(points)
    plane = pca.transform(points)
    figure = Figure(figsize=(8, 6))
    axes = figure.add_subplot()
    axes.scatter(plane[:, 0], plane[:, 1], s=10, color="tab:blue")
    for (x, y), word in zip(plane, words, strict=True):
        axes.annotate(word, (x, y), fontsize=8, xytext=(2, 2), textcoords="offset points")
    kept = float(np.sum(pca.explained_variance_ratio_))
    axes.set_title(
        f"Learned word vectors: {len(words)} most frequent words, PCA ({100 * kept:.0f} % of "
        "variance)"
    )
    axes.set_xlabel("PC 1")
    axes.set_ylabel("PC 2")
    figure.tight_layout()
    return figure, kept
