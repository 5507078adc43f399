"""YAML that a pull request can write, parsed within bounds.

Concept files, persona files and the front matter of explanation files are plain data: mappings,
lists and scalars. Anything beyond that is refused while the document is composed, before a value
is built, with the line it is on:

- anchors and aliases (`&name`, `*name`): nobody needs them in these files, and nine levels of
  aliases expand to hundreds of millions of values (a "billion laughs");
- nesting deeper than MAX_DEPTH mappings and lists (1,000 levels overflow recursive parsers);
- a key given twice in one mapping (YAML would silently keep the last one).

libyaml scans and parses; PyYAML's composer, with these checks, builds the node tree (about a
quarter slower than libyaml's own composer, which cannot be checked as it goes). A document with no
`&` and few indicators (so no anchor and no deep nesting) is composed by libyaml itself and kept
when its tree passes the same checks; any other goes the checked way, which names the problem.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:  # libyaml: the same YAML, parsed about ten times faster
    from yaml import CSafeLoader as _CLoader
    from yaml._yaml import CParser as _FastParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _FastParser = _CLoader = None

MAX_DEPTH = 16  # a concept file needs 4 (translations: {ja: {facts: [...]}})

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class Refused(yaml.YAMLError):
    """A document this module will not build: `line` (1-based) and a message for the author."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class _Guard(Composer):
    """PyYAML's composer with the checks above; the parser underneath is libyaml's or PyYAML's."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if type(event) is AliasEvent:
            raise Refused(
                event.start_mark.line + 1,
                f"alias *{event.anchor} is not allowed here: write the value out in full (anchors and aliases are refused)",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise Refused(
                event.start_mark.line + 1,
                f"anchor &{anchor} is not allowed here: write values out in full (anchors and aliases are refused)",
            )
        kind = type(event)
        if kind is ScalarEvent:
            return self.compose_scalar_node(None)
        self._depth = getattr(self, "_depth", 0) + 1
        if self._depth > MAX_DEPTH:
            raise Refused(
                event.start_mark.line + 1, f"nested more than {MAX_DEPTH} levels deep; these files hold flat data"
            )
        try:
            if kind is SequenceStartEvent:
                return self.compose_sequence_node(None)
            if kind is MappingStartEvent:
                return self._compose_mapping(self.get_event())
        finally:
            self._depth -= 1
        return super().compose_node(parent, index)  # pragma: no cover - the parser gives no other event here

    def _compose_mapping(self, start) -> MappingNode:
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode, None, start.implicit)
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        seen: dict[Any, int] = {}
        while not self.check_event(MappingEndEvent):
            key = self.compose_node(node, None)
            if type(key) is ScalarNode:
                name = (key.tag, key.value)
                line = key.start_mark.line + 1
                if name in seen:
                    raise Refused(
                        line,
                        f"key {key.value!r} is given twice, on lines {seen[name]} and {line}; keep one (YAML would silently use the last)",
                    )
                seen[name] = line
            value = self.compose_node(node, key)
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        return node


if _FastParser is not None:

    class _FastLoader(_Guard, _FastParser, SafeConstructor, Resolver):
        def __init__(self, stream):
            _FastParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:  # pragma: no cover
    _FastLoader = None


class _PureLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _Guard, SafeConstructor, Resolver):
    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def load(text: str) -> Any:
    """The data of a YAML document, or yaml.YAMLError (Refused for what the checks above refuse).

    libyaml parses; a document it rejects gets the pure-Python parser's answer or error (they
    differ on a few characters), with the same checks."""
    checked = _composed_by_libyaml(text)
    if checked is not None:
        loader, node = checked
        try:
            return _build(loader, node)
        finally:
            loader.dispose()
    if _FastLoader is not None:
        try:
            return _load(_FastLoader, text)
        except Refused:
            raise
        except yaml.YAMLError:
            pass
    try:
        return _load(_PureLoader, text)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise Refused(1, f"nested more than {MAX_DEPTH} levels deep") from None


# Every collection in a document starts at an indicator of its own (a `-`, `?`, `:`, `[` or `{`), so
# a document with fewer of them cannot nest deeper: libyaml's composer (recursive C) then builds it
# safely, and the checks run on its node tree.
_INDICATORS_AT_MOST = 2000


def _composed_by_libyaml(text: str):
    """(loader, node tree) of a document libyaml's own composer builds (several times faster than
    the checked composer), when it passes the same checks; None for the checked path to decide:
    anchors or aliases (no `&` in the text: none), an empty or invalid document, too many
    indicators to rule out deep nesting, nesting deeper than MAX_DEPTH, a repeated key."""
    if _CLoader is None or "&" in text:
        return None
    if sum(text.count(c) for c in "-?:[{") > _INDICATORS_AT_MOST:
        return None
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _passes(node, 0):
            return loader, node
    except yaml.YAMLError:
        pass
    loader.dispose()
    return None


def _passes(node, depth: int) -> bool:
    """Whether _Guard would compose this tree: no collection deeper than MAX_DEPTH, no scalar key twice in a mapping."""
    kind = type(node)
    if kind is ScalarNode:
        return True
    depth += 1
    if depth > MAX_DEPTH:
        return False
    if kind is SequenceNode:
        return all(_passes(item, depth) for item in node.value)
    seen = set()
    for key, value in node.value:
        if type(key) is ScalarNode:
            name = (key.tag, key.value)
            if name in seen:
                return False
            seen.add(name)
        if not (_passes(key, depth) and _passes(value, depth)):
            return False
    return True


def _load(loader_class, text: str) -> Any:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node)
    finally:
        loader.dispose()


def compose(text: str):
    """The node tree of a document (for the line of every key), with the same checks; None if empty."""
    for loader_class in (_FastLoader, _PureLoader):
        if loader_class is None:
            continue
        loader = loader_class(text)
        try:
            return loader.get_single_node()
        except Refused:
            raise
        except yaml.YAMLError:
            if loader_class is _PureLoader:
                raise
        finally:
            loader.dispose()
    return None  # pragma: no cover


def _build(loader, node) -> Any:
    """Plain strings, lists and mappings built here (PyYAML builds them one method call per value);
    other scalars (numbers, dates, booleans) and tagged values by PyYAML's safe constructor."""
    kind = type(node)
    if kind is ScalarNode:
        return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
    if kind is SequenceNode and node.tag == _SEQ:
        return [_build(loader, item) for item in node.value]
    if kind is MappingNode and node.tag == _MAP:
        built = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node)
            if isinstance(key, (list, dict, set)):
                raise Refused(key_node.start_mark.line + 1, "a key must be a single value, not a list or mapping")
            built[key] = _build(loader, value_node)
        return built
    return loader.construct_object(node, deep=True)  # a tagged collection (!!set, !!omap...): PyYAML's answer
