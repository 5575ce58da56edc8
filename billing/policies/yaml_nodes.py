"""YAML nodes with their lines: how policy checks point at the line and field of a problem."""

from __future__ import annotations

import re
from typing import Any

import yaml

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_nodes(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping node's entries: name -> (key node, value node); none for anything else."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): (key, value) for key, value in node.value}


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def value(node: yaml.Node) -> Any:
    """The Python value a node stands for, as `yaml.safe_load` reads it."""
    return yaml.safe_load(yaml.serialize(node))


def locate(node: yaml.Node, path: str) -> yaml.Node:
    """The node at a dotted path below `node` (`accountable`, `responsible[2]`); the
    deepest node found when the path goes further than the document, so a problem about a
    missing key points at its parent."""
    for name, index in _PART.findall(path):
        if name:
            entries = key_nodes(node)
            if name not in entries:
                return node
            node = entries[name][1]
        else:
            if not isinstance(node, yaml.SequenceNode) or int(index) > len(node.value):
                return node
            node = node.value[int(index) - 1]
    return node
