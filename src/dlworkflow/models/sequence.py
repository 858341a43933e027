"""Sequence models for forecasting and text: recurrent (rnn, lstm, gru, bilstm), a 1-D CNN,
stacked variants, and for text a masked mean of word vectors.

One body serves both tasks: a forecaster feeds it windows (lookback × columns) and
ends in one linear unit per step and target; a text classifier feeds it an
``Embedding`` of token ids (named ``embedding``, so the report can read the word
vectors) and ends in the classification head.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import keras
from keras import layers

from dlworkflow.errors import BadInput
from dlworkflow.models.head import Head

RECURRENT = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def _recurrent(kind: str, units: Sequence[int], dropout: float, bidirectional: bool) -> list:
    """Recurrent layers, each but the last returning its whole sequence to the next."""
    stack = []
    for i, size in enumerate(units):
        layer = RECURRENT[kind](size, return_sequences=i < len(units) - 1, dropout=dropout)
        stack.append(layers.Bidirectional(layer) if bidirectional else layer)
    return stack


def _units(units: int | Sequence[int]) -> list[int]:
    return [units] if isinstance(units, int) else list(units)


def rnn(units: int | Sequence[int] = 32, dropout: float = 0.0) -> list:
    """Elman RNN (the notes' many-to-one model); a list of sizes stacks layers."""
    return _recurrent("rnn", _units(units), dropout, False)


def lstm(units: int | Sequence[int] = 64, dropout: float = 0.0) -> list:
    return _recurrent("lstm", _units(units), dropout, False)


def gru(units: int | Sequence[int] = 64, dropout: float = 0.0) -> list:
    return _recurrent("gru", _units(units), dropout, False)


def bilstm(units: int | Sequence[int] = 32, dropout: float = 0.0) -> list:
    """Reads the window both ways and joins the two final states."""
    return _recurrent("lstm", _units(units), dropout, True)


def stacked_lstm(units: Sequence[int] = (64, 32), dropout: float = 0.0) -> list:
    """The notes' deep LSTM: layers that pass their whole sequence up."""
    return _recurrent("lstm", _units(units), dropout, False)


def stacked_gru(units: Sequence[int] = (64, 32), dropout: float = 0.0) -> list:
    return _recurrent("gru", _units(units), dropout, False)


def cnn1d(filters: Sequence[int] = (32, 32), kernel_size: int = 3, dropout: float = 0.0) -> list:
    """Causal 1-D convolutions (no peeking at later steps), then global max pooling."""
    stack: list = []
    for size in filters:
        stack.append(layers.Conv1D(size, kernel_size, padding="causal", activation="relu"))
    stack.append(layers.GlobalMaxPooling1D())
    if dropout:
        stack.append(layers.Dropout(dropout))
    return stack


def mean(dropout: float = 0.0) -> list:
    """The average of the word vectors (padding masked out): a bag of embeddings."""
    return [layers.GlobalAveragePooling1D()] + ([layers.Dropout(dropout)] if dropout else [])


BODIES = {
    "rnn": rnn,
    "lstm": lstm,
    "gru": gru,
    "bilstm": bilstm,
    "stacked_lstm": stacked_lstm,
    "stacked_gru": stacked_gru,
    "cnn1d": cnn1d,
    "mean": mean,
}
FORECAST_ZOO = [name for name in BODIES if name != "mean"]
TEXT_ZOO = list(BODIES)


def _body(name: str, names: list[str], options: dict, reserved: Sequence[str] = ()) -> list:
    if name not in names:
        raise BadInput(f"model.zoo: unknown sequence model '{name}'; use one of {', '.join(names)}")
    builder = BODIES[name]
    allowed = [*inspect.signature(builder).parameters, *reserved]
    for key in options:
        if key not in allowed:
            raise BadInput(
                f"model.options.{key}: not an option of '{name}' (valid: {', '.join(allowed)})"
            )
    try:
        return builder(**{k: v for k, v in options.items() if k not in reserved})
    except (TypeError, ValueError) as error:
        raise BadInput(f"model.options: '{name}' cannot be built: {error}") from None


def forecaster(
    name: str, lookback: int, columns: int, outputs: int, options: dict | None = None
) -> keras.Model:
    """Windows (lookback × columns) → ``outputs`` linear units (steps × targets)."""
    body = _body(name, FORECAST_ZOO, dict(options or {}))
    return keras.Sequential(
        [
            keras.Input(shape=(lookback, columns)),
            *body,
            layers.Dense(outputs, name="output"),
        ],
        name=name,
    )


def text_classifier(
    name: str, vocabulary: int, length: int, head: Head, options: dict | None = None
) -> keras.Model:
    """Token ids → ``Embedding`` (option ``embedding_dim``, default 32) → body → head.

    Padding (id 0) is masked for the recurrent and mean bodies; convolutions do not
    take masks, so the CNN sees the padding as a learned word.
    """
    options = dict(options or {})
    dim = options.get("embedding_dim", 32)
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
        raise BadInput(f"model.options.embedding_dim: {dim!r} is not a positive whole number")
    body = _body(name, TEXT_ZOO, options, reserved=("embedding_dim",))
    return keras.Sequential(
        [
            keras.Input(shape=(length,), dtype="int32"),
            layers.Embedding(vocabulary, dim, mask_zero=name != "cnn1d", name="embedding"),
            *body,
            layers.Dense(head.units, activation=head.activation, name="output"),
        ],
        name=f"text_{name}",
    )
