"""The skeleton's blanks: a value still holding one must never be published."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.errors import Problem

# What `glossary new` writes where a person must write: "TODO ..." texts and an example.org/TODO link.
PLACEHOLDER_RE = re.compile(r"^\s*TODO\b|//example\.org/TODO\b")


def placeholder_problems(data: Any, label: str, lines: Mapping[tuple, int], line_of) -> list[Problem]:
    """Every value of a parsed input file that still holds a skeleton placeholder."""
    problems = []
    for loc, value in _strings(data, ()):
        if PLACEHOLDER_RE.search(value):
            shown = value.strip() if len(value.strip()) <= 60 else value.strip()[:57] + "..."
            problems.append(
                Problem(
                    label,
                    line_of(loc, lines),
                    ".".join(map(str, loc)),
                    f"still holds the skeleton's placeholder {shown!r}: write the real value (or remove the entry)",
                )
            )
    return problems


def _strings(node: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(node, str):
        yield loc, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, loc + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, loc + (i,))
