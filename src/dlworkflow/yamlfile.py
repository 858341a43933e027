"""Reading YAML someone else wrote, within limits: a size cap before parsing, and a cap
on nesting depth and on nodes counted with every alias expanded, checked on the node
graph before any Python object is built (an alias bomb or a deep nest costs nothing).
"""

from __future__ import annotations

from typing import Any

import yaml

from dlworkflow.errors import BadInput

MAX_BYTES = 1_000_000  # a config is a page or two; a megabyte is generous
MAX_DEPTH = 64
MAX_NODES = 100_000  # with aliases expanded: a billion laughs stops here


def load_yaml(text: str, origin: str) -> Any:
    """The YAML document in ``text``; ``origin`` (the file) starts every error line."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise BadInput(f"{origin}: larger than {MAX_BYTES:,} bytes; not a config")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise BadInput(f"{origin}:{where}: not valid YAML ({problem})") from None
    if node is None:
        return None
    _check_size(node, origin)
    return yaml.SafeLoader(text).get_single_data()


def _check_size(root: yaml.Node, origin: str) -> None:
    """Walk the node graph as the constructor would (aliases are shared nodes, so each
    use counts again), stopping at the caps."""
    count = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise BadInput(
                f"{origin}: more than {MAX_NODES:,} values once its aliases are expanded; "
                "not a config"
            )
        if depth > MAX_DEPTH:
            raise BadInput(f"{origin}: nested deeper than {MAX_DEPTH} levels; not a config")
        if isinstance(node, yaml.MappingNode):
            stack.extend((part, depth + 1) for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
