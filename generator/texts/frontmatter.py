"""Front matter of an explanation file: split, parsed fast for the common flat shape."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import yaml

from generator.inputs import safeyaml


class StoreError(Exception):
    """An explanation file that cannot be read: its path, the line (0: the whole file) and why."""

    def __init__(self, path: Path | str, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")
        self.path = os.fspath(path)
        self.line = line
        self.reason = reason

    def __reduce__(self):  # a worker process hands it back whole
        return (StoreError, (self.path, self.line, self.reason))


def split_front_matter(text: str, path: Path | str = "") -> tuple[dict[str, Any], str]:
    """Split `---` front matter from the body; the body is kept byte for byte (a leading BOM dropped).

    The front matter is YAML within the bounds of inputs/safeyaml.py (no anchors, aliases, deep
    nesting or repeated keys); StoreError names the line of anything wrong."""
    if text.startswith("\ufeff"):  # a byte order mark, as some editors save: the front matter is still there
        text = text[1:]
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise StoreError(path, 1, "front matter opened with '---' on line 1 is not closed with a '---' line")
    try:
        meta = load_front_matter(text[4 : end + 1])
    except safeyaml.Refused as exc:
        raise StoreError(path, exc.line + 1, f"front matter: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1  # + the opening '---' line
        raise StoreError(
            path, line, f"front matter is not valid YAML: {getattr(exc, 'problem', None) or exc}"
        ) from None
    if not isinstance(meta, dict):
        raise StoreError(path, 2, "front matter must be a mapping of keys to values")
    return meta, text[end + 5 :]


def load_front_matter(text: str) -> Any:
    """Parse front matter: the plain form `Store.write` produces directly, anything else with YAML."""
    simple = _simple_mapping(text)
    if simple is not None:
        return simple
    return safeyaml.load(text) or {}


# The subset of YAML that `yaml.safe_dump` writes for our front matter: `key: scalar` lines and one
# level of nested `  key: scalar` mappings, where a scalar is a single-quoted string, a decimal
# integer, a hex digest or a plain word. Anything else (lists, dates, floats, booleans, block or
# double-quoted strings, comments, blank lines) returns None and goes to the YAML parser, so the
# result is always exactly what yaml.safe_load gives. One regular expression checks the whole
# text, so a front matter costs a few microseconds instead of the YAML parser's 150.
_LINE = re.compile(r"(  )?([A-Za-z_][A-Za-z0-9_]*):(?: ([^\n]+))?\n")
_DOCUMENT = re.compile(r"(?:(?:  )?[A-Za-z_][A-Za-z0-9_]*:(?: [^\n]+)?\n)*")
_PLAIN = re.compile(
    r"(-?(?:0|[1-9][0-9]*))"  # 1: a decimal integer
    r"|[A-Za-z][A-Za-z0-9_./-]*"  # a plain word (unless a boolean or null)
    r"|[0-9a-f]*[a-f][0-9a-f]*"  # a hex digest (unless a YAML 1.1 binary integer)
    r"|0[0-9]*[89][0-9]*"  # digits after a 0, not octal: a string in YAML 1.1 (a hex digest without letters)
)
_BINARY = re.compile(r"0b[01]+")
_NOT_STRINGS = frozenset(
    {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}
)  # YAML 1.1 booleans and null (y/n, to be safe)
# What YAML rejects (non-printable characters), and the line breaks other than \n, which fold quoted strings.
_NOT_PLAIN_TEXT = re.compile("[^\x09\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NO = object()


@functools.lru_cache(maxsize=4096)  # most values recur from file to file (source, model, date, input hashes)
def _scalar(value: str) -> Any:
    if value[0] == "'":
        inner = value[1:-1]
        if len(value) >= 2 and value[-1] == "'" and "'" not in inner.replace("''", ""):
            return inner.replace("''", "'")
        return _NO
    match = _PLAIN.fullmatch(value)
    if match is None:
        return _NO
    if match.group(1) is not None:
        return int(value)
    if value.lower() in _NOT_STRINGS or _BINARY.fullmatch(value):
        return _NO
    return value


def _simple_mapping(text: str) -> dict[str, Any] | None:
    if not _DOCUMENT.fullmatch(text) or _NOT_PLAIN_TEXT.search(text):
        return None
    out: dict[str, Any] = {}
    nested: dict[str, Any] | None = None
    for indent, key, value in _LINE.findall(text):
        if key.lower() in _NOT_STRINGS:
            return None  # a boolean key
        if indent:
            if nested is None or not value or key in nested:
                return None
            target = nested
        else:
            if key in out:
                return None  # a repeated key: let YAML decide
            if not value:
                nested = out[key] = {}
                continue
            target, nested = out, None
        parsed = _scalar(value)
        if parsed is _NO:
            return None
        target[key] = parsed
    if any(v == {} for v in out.values()):
        return None  # `key:` with nothing under it is null in YAML
    return out
