"""YAML text to plain Python data plus the line of every key and list item.

We walk ruamel.yaml's composed node graph ourselves instead of loading with
its round-trip constructor. The nodes carry the same marks that feed the
round-trip objects' ``.lc``, but the constructor stops at the first duplicate
key, and we want to report every one of them with its line, then go on
validating the rest of the file.

Scalars become ``None``, ``bool``, ``int``, ``float`` or ``str`` (YAML 1.2
core schema). Anything more exotic (timestamps, ``!!binary``, local tags) is
kept as its text or reported: an intent file has no use for them, and
``2024-01-01`` as a site name should stay a name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sprmon.intentfile.problems import FieldPath, Problem, Problems, quote, render_path

_TAG = "tag:yaml.org,2002:"
#: The most values (scalars, lists and mappings, each alias counted as every
#: value it repeats) one document may hold. ruamel.yaml composes about 8,000
#: values a second of CPU (bench/README.md), so this bounds what a document
#: can cost before it is refused to about 6 s and 70 MB, and aliases cannot
#: expand a small file into a huge one ("billion laughs"). Written out in YAML a
#: site takes about 20 values: up to some 2,500 sites fit; larger fleets list
#: their sites in sites_csv, as the 10,000-site example does (its YAML holds
#: about 150 values).
MAX_VALUES = 50_000
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class YamlDocument:
    #: ``None`` for an empty document.
    data: object
    #: Path -> 1-based line of the key (mapping entries) or the item (lists).
    lines: dict[FieldPath, int]


class _TooBig(Exception):
    """The document expands beyond what an intent file could sensibly hold."""

    def __init__(self, *, by_aliases: bool) -> None:
        super().__init__()
        #: Whether aliases repeated values: then they, not the text, are the problem.
        self.by_aliases = by_aliases


class _CountingComposer(Composer):
    """ruamel.yaml's composer, stopped as soon as the document passes MAX_VALUES.

    Counting while composing, not after, is what bounds the time: composing
    is where a large document's cost lies (about 100 µs a value).
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self.count = 0
        #: How many of them aliases repeat.
        self.repeated = 0
        #: An anchored node -> how many values it holds, for its aliases.
        self.sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            node = super().compose_node(parent, index)
            size = self.sizes.get(id(node), 1)
            self.repeated += size
            self._add(size)
            return node
        before = self.count
        self._add(1)
        node = super().compose_node(parent, index)
        if node.anchor is not None:
            self.sizes[id(node)] = self.count - before
        return node

    def _add(self, size: int) -> None:
        self.count += size
        if self.count > MAX_VALUES:
            raise _TooBig(by_aliases=self.repeated > 0)


def parse_yaml(text: str, file: str, problems: Problems) -> YamlDocument | None:
    """Parse one YAML document; ``None`` (and a problem) when it is not valid YAML."""
    yaml = YAML(typ="rt")
    yaml.Composer = _CountingComposer
    try:
        root = yaml.compose(text)
    except _TooBig as exc:
        if exc.by_aliases:
            message = "the document expands to too many values (check anchors and aliases)"
        else:
            message = (
                f"the document holds more than {MAX_VALUES:,} values: an intent file holds a "
                "fleet's policy; put a large fleet's sites in a sites_csv file"
            )
        problems.add_file(file, None, message)
        return None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        problems.add_file(file, line, f"YAML syntax error: {what}{context}")
        return None
    except YAMLError as exc:
        problems.add_file(file, None, f"YAML syntax error: {exc}")
        return None
    except RecursionError:
        problems.add_file(file, None, "YAML syntax error: the document is nested too deeply")
        return None
    if root is None:
        return YamlDocument(data=None, lines={})
    walker = _Walker(file, problems)
    data = walker.build(root, (), 0, frozenset())
    walker.lines[()] = root.start_mark.line + 1
    return YamlDocument(data=data, lines=walker.lines)


class _Walker:
    def __init__(self, file: str, problems: Problems) -> None:
        self.file = file
        self.problems = problems
        self.lines: dict[FieldPath, int] = {}
        #: A collection node already built -> its value. An alias is the same
        #: node object as its anchor: we reuse the value instead of walking it
        #: again (the composer has bounded what aliases repeat).
        self.built: dict[int, object] = {}

    def _problem(self, node: Node, path: FieldPath, message: str, *, at_path: bool = False) -> None:
        line = node.start_mark.line + 1
        if at_path:
            # An alias is its anchor's node: its own place is only known by path.
            line = self.lines.get(path, line)
        self.problems.items.append(Problem(self.file, line, render_path(path), message))

    def build(self, node: Node, path: FieldPath, depth: int, active: frozenset[int]) -> object:
        """The value of ``node``."""
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.built:
            return self.built[id(node)]
        if id(node) in active:
            self._problem(node, path, "an alias refers to a value that contains it", at_path=True)
            return None
        if depth > _MAX_DEPTH:
            self._problem(node, path, "nested too deeply")
            return None
        inner = active | {id(node)}
        value: object
        if isinstance(node, SequenceNode):
            if node.tag != f"{_TAG}seq":
                self._problem(node, path, f"YAML tag {quote(str(node.tag))} is not supported here")
            items: list[object] = []
            for index, item in enumerate(node.value):
                item_path = (*path, index)
                self.lines.setdefault(item_path, item.start_mark.line + 1)
                items.append(self.build(item, item_path, depth + 1, inner))
            value = items
        elif isinstance(node, MappingNode):
            value = self._mapping(node, path, depth, inner)
        else:
            self._problem(node, path, "unsupported YAML node")
            value = None
        self.built[id(node)] = value
        return value

    def _mapping(
        self, node: MappingNode, path: FieldPath, depth: int, active: frozenset[int]
    ) -> dict[str, object]:
        if node.tag != f"{_TAG}map":
            self._problem(node, path, f"YAML tag {quote(str(node.tag))} is not supported here")
        result: dict[str, object] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == f"{_TAG}merge":
                self._problem(
                    key_node,
                    path,
                    "YAML merge keys ('<<') are not supported: "
                    "share settings with site_defaults or groups",
                )
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "a key must be a plain name, not a list or mapping")
                continue
            # Keys are names: keep their text, so that `2024:` or `true:` stay names.
            key = str(key_node.value)
            if key in first_line:
                self._problem(
                    key_node,
                    (*path, key),
                    f"duplicate key {quote(key)} (first given on line {first_line[key]})",
                )
                continue
            first_line[key] = key_line
            key_path = (*path, key)
            self.lines[key_path] = key_line
            result[key] = self.build(value_node, key_path, depth + 1, active)
        return result

    def _scalar(self, node: ScalarNode, path: FieldPath) -> object:
        tag = str(node.tag)
        text = str(node.value)
        if not tag.startswith(_TAG):
            self._problem(node, path, f"YAML tag {quote(tag)} is not supported")
            return text
        kind = tag[len(_TAG) :]
        if kind == "null":
            return None
        if kind == "bool":
            return text.lower() == "true"
        if kind == "int":
            return _parse_int(text)
        if kind == "float":
            return _parse_float(text)
        if kind in ("str", "timestamp"):
            return text
        self._problem(node, path, f"YAML type '!!{kind}' is not supported")
        return text


def _parse_int(text: str) -> int | str:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    try:
        if digits[:2].lower() in ("0x", "0o", "0b"):
            return sign * int(digits, 0)
        return sign * int(digits, 10)
    except ValueError:
        return text


def _parse_float(text: str) -> float | str:
    lowered = text.replace("_", "").lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(lowered)
    except ValueError:
        return text
