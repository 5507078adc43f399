"""Reading one YAML file: confined to the repository, bounded (inputs/safeyaml.py), and the line of every key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from generator import safefs
from generator.errors import Problem
from generator.inputs import safeyaml
from generator.inputs.yamlerrors import explain

MAX_BYTES = 256 * 1024  # a concept or persona file is a few kilobytes; a bigger one is a mistake or an attack


def read_yaml(
    path: Path, label: str, root: Path | None = None, reader: safefs.Confined | None = None
) -> tuple[Any, Mapping[tuple, int], list[Problem]]:
    """Parse one YAML file, returning its data, the line of every key path, and problems.

    The file is refused if it leads out of `root` (the repository; by default its own folder)
    through a symbolic link, or is bigger than MAX_BYTES; the YAML is parsed within the bounds of
    inputs/safeyaml.py. The lines are worked out only when a problem needs one (few files ever do).
    `reader`: a safefs.Confined over `root`, for many files in one pass."""
    try:
        if reader is not None:
            raw = reader.read_bytes(path, MAX_BYTES)
        else:
            raw = safefs.read_bytes(path, root if root is not None else path.parent, MAX_BYTES)
    except safefs.Unsafe as exc:
        return None, {}, [Problem(label, 0, "", exc.reason)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = f"file is not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start}); save it as UTF-8"
        return None, {}, [Problem(label, line, "", problem)]
    try:
        data = safeyaml.load(text)
    except safeyaml.Refused as exc:
        return None, {}, [Problem(label, exc.line, "", exc.message)]
    except yaml.YAMLError as exc:
        line, message = explain(exc, text)
        return None, {}, [Problem(label, line, "", f"not valid YAML: {message}")]
    if data is None:
        return None, {}, [Problem(label, 1, "", "file is empty; it needs a mapping of keys to values")]
    if not isinstance(data, dict):
        line = safeyaml.compose(text).start_mark.line + 1
        problem = f"file must be a mapping of keys to values, not a {type(data).__name__}"
        return None, {}, [Problem(label, line, "", problem)]
    return data, KeyLines(text), []


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
                node = safeyaml.compose(text)
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
