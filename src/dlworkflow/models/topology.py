"""Which layer feeds which: a built Keras model as a flat list of graph nodes.

The layer table, the graph drawing and the layered view all need the same thing —
every layer in data-flow order with its real input/output shapes and the layers it
reads from — for Sequential and functional models alike, with nested models either
kept as one node or opened up. Keras keeps that graph in private attributes
(``_operations``, ``_inbound_nodes``, ``_nodes``, as ``keras.utils.plot_model`` reads
them), so this module is the one place that touches them.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras.src.models.functional import Functional
from keras.src.ops.function import make_node_key

from dlworkflow.errors import BadInput

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class LayerNode:
    """One call of one layer inside the model being walked."""

    layer: keras.Operation
    name: str  # unique path, e.g. "vgg16/block1_conv1" when a nested model is opened
    scope: tuple[str, ...]  # names of the nested models this node sits in
    input_shapes: tuple[Shape, ...]  # without the batch axis
    output_shapes: tuple[Shape, ...]
    parents: tuple[str, ...]  # names of the nodes whose outputs this node reads


def walk(model: keras.Model, expand_nested: bool = False) -> list[LayerNode]:
    """The model's layers in data-flow order.

    Input layers appear where ``model.layers`` lists them (functional models, not
    Sequential ones), so the collapsed walk has one node per entry of ``model.layers``.
    With ``expand_nested`` a nested Sequential/functional model is replaced by its own
    layers, wired to the layers around it.
    """
    if not is_graph_model(model):
        raise BadInput(
            f"model '{model.name}': only built Sequential or functional models can be "
            "walked; give the model an Input (or call build) first"
        )
    return _walk(model, {}, (), expand_nested)


def is_graph_model(operation: keras.Operation) -> bool:
    """A model whose layers form a graph Keras recorded (not a subclassed model)."""
    return _graph(operation) is not None


def format_shape(shape: Shape) -> str:
    """``(55, 55, 96)`` → ``55×55×96``, the course's notation; unknown sizes are ``?``."""
    return "×".join("?" if size is None else str(size) for size in shape) or "scalar"


def format_shapes(shapes: tuple[Shape, ...]) -> str:
    return ", ".join(format_shape(shape) for shape in shapes)


def shape_of(tensor: keras.KerasTensor) -> Shape:
    """A symbolic tensor's shape without the batch axis."""
    return tuple(None if size is None else int(size) for size in tensor.shape[1:])


def trace_outputs(model: keras.Model, names: list[str]) -> keras.Model:
    """A model with outputs ``[output of each named layer…, model output]``, sharing weights.

    ``keras.Model(model.input, layer.output)`` only reaches layers of the outer graph; a
    transfer-learning model keeps its conv base as a nested model whose layers' outputs
    are not tensors of the outer graph. So the graph is re-run on a fresh input with
    nested models opened, keeping the tensors asked for. ``names`` are :func:`walk` paths
    (``vgg16/block1_conv1``).
    """
    if not is_graph_model(model):
        raise BadInput(f"model '{model.name}': only Sequential or functional models can be probed")
    inputs = keras.Input(shape=model.input_shape[1:], dtype=model.inputs[0].dtype)
    recorded: dict[str, keras.KerasTensor] = {}
    output = _rerun(model, inputs, "", recorded)
    missing = [name for name in names if name not in recorded]
    if missing:
        raise BadInput(f"model '{model.name}' has no layer {', '.join(missing)}")
    return keras.Model(inputs, [*(recorded[name] for name in names), output])


def _rerun(model: keras.Model, inputs, prefix: str, recorded: dict) -> keras.KerasTensor:
    """Call ``model``'s layers on ``inputs`` one by one, recording each output by path."""

    def operation_fn(operation):
        if is_graph_model(operation):
            inner_prefix = f"{prefix}{operation.name}/"
            return lambda value, *_, **__: _rerun(operation, value, inner_prefix, recorded)

        def call(*args, **kwargs):
            result = operation(*args, **kwargs)
            recorded.setdefault(prefix + operation.name, result)
            return result

        return call

    return _graph(model)._run_through_graph(inputs, operation_fn=operation_fn)


def _graph(operation: keras.Operation) -> Functional | None:
    if isinstance(operation, keras.Sequential):
        return getattr(operation, "_functional", None)  # set once the model is built
    return operation if isinstance(operation, Functional) else None


def _walk(
    model: keras.Model, sources: dict[int, str], scope: tuple[str, ...], expand: bool
) -> list[LayerNode]:
    """Walk one (possibly nested) model; ``sources`` maps a tensor's id to its producer."""
    graph = _graph(model)
    prefix = "".join(f"{name}/" for name in scope)
    nodes: list[LayerNode] = []
    for operation in graph._operations:
        for node in _calls_in(graph, operation):
            if expand and is_graph_model(operation):
                inner = _graph(operation)
                for outer, inner_input in zip(node.input_tensors, inner.inputs, strict=True):
                    if id(outer) in sources:
                        sources[id(inner_input)] = sources[id(outer)]
                nodes += _walk(operation, sources, (*scope, operation.name), expand)
                for outer, inner_output in zip(node.outputs, inner.outputs, strict=True):
                    sources[id(outer)] = sources[id(inner_output)]
                continue
            is_input = isinstance(operation, keras.layers.InputLayer)
            if is_input and (scope or isinstance(model, keras.Sequential)):
                continue  # fed from outside, or hidden as Keras hides a Sequential's input
            name = prefix + operation.name
            parents = [sources[id(t)] for t in node.input_tensors if id(t) in sources]
            nodes.append(
                LayerNode(
                    layer=operation,
                    name=name,
                    scope=scope,
                    input_shapes=tuple(shape_of(t) for t in node.input_tensors),
                    output_shapes=tuple(shape_of(t) for t in node.outputs),
                    parents=tuple(dict.fromkeys(parents)),
                )
            )
            for tensor in node.outputs:
                sources[id(tensor)] = name
    return nodes


def _calls_in(graph: Functional, operation: keras.Operation) -> list:
    """The calls (Keras ``Node``s) of ``operation`` that belong to this graph."""
    return [
        node
        for index, node in enumerate(operation._inbound_nodes)
        if make_node_key(operation, index) in graph._nodes
    ]
