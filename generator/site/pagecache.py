"""The page cache of fast preview: each page's last output and the inputs it was made from (see site/preview.py).

A page still current is given to MkDocs as it was: `CachedPage` skips reading and rendering its
Markdown, the search plugin gets its entries as they were (`wrap_search`), and its template is
replaced by one that writes the cached HTML (`TEMPLATE`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.structure.pages import Page

TEMPLATE = "glossary-cached-page.html"
TEMPLATE_SOURCE = "{{ page.glossary_cached_output | safe }}"
TAG_RE = re.compile(r"<[^>]+>")


def digest(*parts: Any) -> str:
    """A sha256 over JSON-able parts."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def linkable_text(fragments_html: list[str]) -> str:
    """The text the linker searches, case-folded with white space collapsed: a changed name can
    only change the links of a page whose text contains it."""
    text = html.unescape(TAG_RE.sub(" ", " ".join(fragments_html)))
    return " ".join(text.split()).casefold()


@dataclass
class Entry:
    """One page's output and what it was made from."""

    key: str
    text: str  # linkable text (concept pages), "" otherwise
    linked: dict[str, str] = field(default_factory=dict)  # slug -> summary it shows
    meta: dict = field(default_factory=dict)
    title: str | None = None
    content: str = ""
    toc: Any = None
    anchors: set | None = None
    search: list | None = None
    output: str | None = None


class PageCache:
    """The pages of the last build, for one `mkdocs serve` session."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.names: dict[str, str] = {}  # the linker's name -> slug, as of the last build
        self.site_key = ""
        self.pending: dict[str, Entry] = {}  # src_uri -> the entry being recorded this build
        self.hits = 0
        self.misses = 0
        self.summaries: dict[str, str] = {}
        self.search: dict[str, tuple[str, list]] = {}  # src_uri -> (content key, search entries) of the last build
        self.search_next: dict[str, tuple[str, list]] = {}

    # -- the start of a build

    def start(self, site_key: str, names: dict[str, str], summaries: dict[str, str]) -> None:
        """Drop what the site or the names changed; remember this build's names."""
        self.hits = self.misses = 0
        self.pending = {}
        self.search_next = {}
        if site_key != self.site_key:
            self.entries.clear()
            self.site_key = site_key
        changed = {name for name in self.names.keys() | names.keys() if self.names.get(name) != names.get(name)}
        if changed:
            self.entries = {uri: e for uri, e in self.entries.items() if not any(name in e.text for name in changed)}
        self.names = dict(names)
        self.summaries = summaries

    def lookup(self, uri: str, key: str) -> Entry | None:
        """The cached entry of a page, if every input it was made from is the same now."""
        entry = self.entries.get(uri)
        if entry is None or entry.key != key or entry.output is None:
            return None
        if any(self.summaries.get(slug) != summary for slug, summary in entry.linked.items()):
            return None
        return entry

    def nav_changed(self, nav_key: str) -> None:
        """A different navigation changes every page's HTML."""
        if nav_key != getattr(self, "_nav_key", None):
            self.entries.clear()
            self._nav_key = nav_key

    # -- recording a page built this time

    def record(self, uri: str, key: str, text: str = "") -> Entry:
        entry = self.pending[uri] = Entry(key, text)
        return entry

    def end(self, built: set[str]) -> None:
        """Keep only the pages of this build."""
        self.entries = {uri: e for uri, e in self.entries.items() if uri in built}
        self.search, self.search_next = self.search_next, {}

    def finish(self, uri: str, output: str) -> None:
        entry = self.pending.pop(uri, None)
        if entry is not None:
            entry.output = output
            self.entries[uri] = entry


class CachedPage(Page):
    """A page served from the cache when its entry is still current after the navigation is known."""

    def __init__(self, title, file, config, cache: PageCache, entry: Entry):
        super().__init__(title, file, config)
        self._cache = cache
        self._entry = entry

    @property
    def cached(self) -> Entry | None:
        entry = self._entry
        return entry if entry is not None and self._cache.entries.get(self.file.src_uri) is entry else None

    def read_source(self, config) -> None:
        entry = self.cached
        if entry is None:
            self._entry = None
            return super().read_source(config)
        self.markdown = ""
        self.meta = {**entry.meta, "template": TEMPLATE}

    def render(self, config, files) -> None:
        entry = self.cached
        if entry is None:
            return super().render(config, files)
        self.content = entry.content
        self.toc = entry.toc
        self._title_from_render = entry.title
        self.present_anchor_ids = set(entry.anchors or ())
        self.links_to_anchors = None
        self.glossary_cached_output = entry.output


def site_key(config_file: Path, extra: Any) -> str:
    """What every page's HTML depends on besides its own inputs."""
    versions = []
    for package in ("mkdocs", "mkdocs-material", "glossary-generator"):
        try:
            versions.append(version(package))
        except PackageNotFoundError:
            versions.append("")
    try:
        config_bytes = config_file.read_bytes()
    except OSError:
        config_bytes = b""
    return digest(str(config_file), hashlib.sha256(config_bytes).hexdigest(), versions, extra)


def nav_key(nav) -> str:
    """The navigation every page shows: titles and URLs, in order."""

    def walk(items) -> list:
        out = []
        for item in items:
            children = getattr(item, "children", None)
            out.append(
                [str(getattr(item, "title", "")), getattr(item, "url", None), walk(children) if children else None]
            )
        return out

    return digest(walk(nav.items))


def _toc_ids(toc) -> list:
    out = []
    for item in toc or ():
        out.append(
            [getattr(item, "id", None), str(getattr(item, "title", "")), _toc_ids(getattr(item, "children", None))]
        )
    return out


def wrap_search(plugins, cache: PageCache) -> None:
    """Let the search plugin reuse the entries of a page it indexed before with the same content
    (every cached page, and the hand-written and index pages that did not change), and record
    the entries of the others."""
    for plugin in plugins.values():
        index = getattr(plugin, "search_index", None)
        original = getattr(index, "add_entry_from_context", None)
        entries = getattr(index, "entries", None)
        if original is None or not isinstance(entries, list) or getattr(original, "_glossary", False):
            continue

        def add_entry_from_context(page, _original=original, _entries=entries):
            entry = page.cached if isinstance(page, CachedPage) else None
            if entry is not None and entry.search is not None:
                _entries.extend(dict(e) for e in entry.search)
                return
            meta = page.meta or {}
            key = digest(page.url, page.content, page.title, meta.get("tags"), meta.get("search"), _toc_ids(page.toc))
            known = cache.search.get(page.file.src_uri)
            if known is not None and known[0] == key:
                made = known[1]
            else:
                before = len(_entries)
                _original(page)
                made = [dict(e) for e in _entries[before:]]
                del _entries[before:]
            _entries.extend(dict(e) for e in made)
            cache.search_next[page.file.src_uri] = (key, made)
            pending = cache.pending.get(page.file.src_uri)
            if pending is not None:
                pending.search = made

        add_entry_from_context._glossary = True
        index.add_entry_from_context = add_entry_from_context


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory across the builds of one session (Jinja checks each
    template's source checksum before using its code)."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()
