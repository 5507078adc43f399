"""Reading one YAML file: the fast libyaml path, and the line of every key for messages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem

try:  # libyaml: the same YAML, parsed about ten times faster
    from yaml import CSafeLoader as FastSafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    FastSafeLoader = yaml.SafeLoader


def read_yaml(path: Path, label: str) -> tuple[Any, Mapping[tuple, int], list[Problem]]:
    """Parse one YAML file, returning its data, the line of every key path, and problems.

    The lines are worked out only when a problem needs one (few files ever do)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return (
            None,
            {},
            [
                Problem(
                    label,
                    line,
                    "",
                    f"file is not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start}); save it as UTF-8",
                )
            ],
        )
    try:
        data = _safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return None, {}, [Problem(label, line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if data is None:
        return None, {}, [Problem(label, 1, "", "file is empty; it needs a mapping of keys to values")]
    if not isinstance(data, dict):
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        return (
            None,
            {},
            [
                Problem(
                    label,
                    node.start_mark.line + 1,
                    "",
                    f"file must be a mapping of keys to values, not a {type(data).__name__}",
                )
            ],
        )
    return data, KeyLines(text), []


def _safe_load(text: str) -> Any:
    """yaml.safe_load, faster: libyaml parses, and plain strings, lists and mappings are built here
    (PyYAML builds them in Python, one method call per value). Anything else (numbers, dates,
    merge keys, recursive anchors...) is left to PyYAML's own constructor; a file libyaml rejects
    gets the pure-Python loader's answer or error."""
    if FastSafeLoader is yaml.SafeLoader:
        return yaml.load(text, Loader=yaml.SafeLoader)
    try:
        loader = FastSafeLoader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else _build(loader, node, {})
        finally:
            loader.dispose()
    except (_Unusual, yaml.YAMLError):
        return yaml.load(text, Loader=yaml.SafeLoader)


_STR, _SEQ, _MAP, _MERGE = (
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:merge",
)


class _Unusual(Exception):
    """A document _build leaves to PyYAML whole (a merge key, a recursive anchor, an unhashable key)."""


def _build(loader, node: yaml.Node, memo: dict[int, Any]) -> Any:
    kind = type(node)
    if kind is yaml.ScalarNode:
        return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
    key = id(node)
    if key in memo:  # an alias: the same object, as PyYAML gives
        if memo[key] is _IN_PROGRESS:
            raise _Unusual
        return memo[key]
    memo[key] = _IN_PROGRESS
    if kind is yaml.SequenceNode and node.tag == _SEQ:
        built: Any = [_build(loader, item, memo) for item in node.value]
    elif kind is yaml.MappingNode and node.tag == _MAP:
        built = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise _Unusual
            name = _build(loader, key_node, memo)
            try:
                built[name] = _build(loader, value_node, memo)
            except TypeError:  # an unhashable key: PyYAML's error
                raise _Unusual from None
    else:
        raise _Unusual
    memo[key] = built
    return built


_IN_PROGRESS = object()


class KeyLines(Mapping):
    """The line of every key path of a YAML file, indexed on first use from its text (or its path)."""

    def __init__(self, text: str | None = None, *, path: str | Path | None = None):
        self._text, self._path = text, path
        self._lines: dict[tuple, int] = {}

    def _index(self) -> dict[tuple, int]:
        if self._text is not None or self._path is not None:
            text, path = self._text, self._path
            self._text = self._path = None
            try:
                if text is None:
                    with open(path, encoding="utf-8") as handle:
                        text = handle.read()
                node = yaml.compose(text, Loader=yaml.SafeLoader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                node = None
            if node is not None:
                _index_lines(node, (), self._lines)
        return self._lines

    def __getitem__(self, key: tuple) -> int:
        return self._index()[key]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._index())

    def __len__(self) -> int:
        return len(self._index())

    def __contains__(self, key: object) -> bool:
        return key in self._index()


def _index_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = path + (key.value,)
            _index_lines(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines)


def _line_of(loc: tuple, lines: Mapping[tuple, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1
