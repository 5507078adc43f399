"""PyYAML's parser errors as one line a person can act on: where, and what is probably wrong."""

from __future__ import annotations

import re

import yaml

_CANNOT_START = re.compile(r"found character '(?P<char>.+)' that cannot start any token")
_SIMPLE_KEY = re.compile(r"^\s*(?:-\s+)?[\w .'\"-]+:(?:\s|$)")


def explain(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The line to point at and a message naming the likely mistake, for a file PyYAML rejected."""
    problem = str(getattr(exc, "problem", "") or exc)
    context = str(getattr(exc, "context", "") or "")
    mark = getattr(exc, "problem_mark", None)
    opened = getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark else 0
    column = mark.column + 1 if mark else 0
    where = f"line {opened.line + 1}, column {opened.column + 1}" if opened else ""
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""

    found = _CANNOT_START.search(problem)
    if found and found.group("char") in ("\\t", "\t"):
        return line, f"column {column}: a tab; YAML indents with spaces only, so replace the tab with spaces"
    if found:
        char = found.group("char")
        return line, f"column {column}: a value cannot start with {char!r}; put the whole value in quotes"
    if "scanning a quoted scalar" in context and "end of stream" in problem:
        return opened.line + 1, f"column {opened.column + 1}: unclosed quote; the quote opened here is never closed"
    if "quoted scalar" in context and "escape" in problem:
        return line, f"column {column}: a backslash in double quotes starts an escape; use single quotes, or write \\\\"
    if "mapping values are not allowed" in problem:
        before = source[: max(column - 1, 0)]
        if ": " in before or before.rstrip().endswith(":") or re.match(r"^\s*-\s+\S", before) and ":" in before:
            return line, f"column {column}: a colon and a space inside an unquoted value; put the whole value in quotes"
        return (
            line,
            f"column {column}: bad indentation; this key is indented more than the keys above it (or the line above needs quotes)",
        )
    if "could not find expected ':'" in problem and opened is not None:
        return opened.line + 1, "a line with no colon; write `key: value`, or indent a continued value under its key"
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        return (
            opened.line + 1 if opened else line
        ), f"unclosed {bracket!r} opened at {where}, or a value inside it needs quotes"
    if "expected <block end>" in problem:
        if "<block sequence start>" in problem or "'-'" in problem:
            return line, f"column {column}: bad indentation of a list item; line up every `-` of a list"
        if "<scalar>" in problem and re.search(r"""["']\s*\S""", source[: column - 1] + " x"):
            return line, f"column {column}: text after a quoted value; put the whole value inside the quotes"
        return line, f"column {column}: bad indentation; line this key up with the keys above it"
    if "undefined alias" in problem:
        return line, f"column {column}: a value starting with '*' is read as an alias; put the whole value in quotes"
    return line, f"column {column}: {problem}" + (f" ({context})" if context else "")
