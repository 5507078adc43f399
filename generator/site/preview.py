"""Fast preview: under `mkdocs serve`, a rebuild renders only the pages whose inputs changed.

MkDocs rebuilds the whole site on every save: it reads the config again and renders every page's
Markdown, search entries and template. The glossary plugin has an `on_startup` hook, so MkDocs
keeps one plugin object for the whole `mkdocs serve` session, and with it a `Preview`: per
edition (language), the last output of every page the plugin generates, keyed by every input
that changes it (site/pagecache.py):

- the page's own inputs: its generated Markdown (the concept's fields, the related concepts'
  titles and summaries, the readers' tabs) and each text on it (body and provenance);
- the site: mkdocs.yml's bytes, the navigation, the MkDocs, Material and package versions, the
  language, the repository links;
- the links the linker made: the summary each linked concept shows; a change to any concept's
  names (titles and aliases, concepts added or removed) drops the pages whose text contains an old
  or new name, since only those can link differently.

After one concept changes, its page, the A to Z and reader pages when what they list changed,
the tags page, hand-written pages and the search index file are built again; every other page is
written from the cache. Texts unchanged on disk keep what was read and rendered from them, and the
theme's templates stay compiled. Full collections of Python's cycle collector are paused during a
build: the session's caches are a large, long-lived heap they would walk again and again.
Edits to theme overrides or to the package's own code need a restart, as MkDocs watches neither.
`mkdocs build` and `glossary build` never use any of it; GLOSSARY_PREVIEW_CACHE=0 turns it off.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from generator.site import pagecache


def wanted(command: str) -> bool:
    """Fast preview for `mkdocs serve` unless GLOSSARY_PREVIEW_CACHE=0."""
    return command == "serve" and os.environ.get("GLOSSARY_PREVIEW_CACHE", "1") != "0"


def _keep_only_pages(folder: Path, slugs, depth: int) -> None:
    """Leave in `concepts/` only its index.html and the folders of current concepts with their index.html."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if depth and entry.name in slugs:
                    _keep_only_pages(Path(entry.path), (), depth - 1)
                else:
                    shutil.rmtree(entry.path)
            elif entry.name != "index.html":
                os.unlink(entry.path)


class Edition:
    """One language's caches for a session."""

    def __init__(self) -> None:
        self.cache = pagecache.PageCache()
        self.texts: dict[str, tuple] = {}  # path -> (stat, body, meta) of the last build's explanations
        self.pages: dict[str, tuple] = {}  # slug -> (inputs, concept page, key) of the last build
        self.pages_next: dict[str, tuple] = {}
        # kind -> key -> what was made from it: a text's HTML and opening words (by its Markdown), a
        # reader's search text (see remembered)
        self.memos: dict[str, dict] = {}
        self.memos_used: dict[str, set] = {}


class Preview:
    """The session's caches, and what the plugin asks of them during a build."""

    def __init__(self) -> None:
        self.editions: dict[str, Edition] = {}
        self.bytecode = pagecache.MemoryBytecodeCache()
        self.current = Edition()
        self.kept: Path | None = None  # the concept pages' folders while MkDocs empties the site

    # -- a build

    def begin(self, language: str) -> None:
        gc.disable()
        self.current = self.editions.setdefault(language, Edition())
        self.current.memos_used = {}
        self.current.pages_next = {}

    def start_pages(self, config_file: Path, extra: Any, names: dict[str, str], summaries: dict[str, str]) -> None:
        """The site's key and the linker's names, once the glossary and the linker are known."""
        self.current.cache.start(pagecache.site_key(config_file, extra), names, summaries)

    def end(self, built: set[str]) -> tuple[int, int]:
        """Keep this build's pages and texts; return (pages rebuilt, pages reused)."""
        edition = self.current
        edition.cache.end(built)
        edition.pages, edition.pages_next = edition.pages_next, {}
        edition.memos = {
            kind: {k: v for k, v in table.items() if k in edition.memos_used.get(kind, ())}
            for kind, table in edition.memos.items()
        }
        gc.enable()
        return edition.cache.misses, edition.cache.hits

    def failed(self) -> None:
        gc.enable()
        self.drop_kept()

    # -- the site folder: MkDocs empties it before every build and writes every page again. Making a
    # thousand folders and files costs more than the rest of a rebuild on some disks, so the concept
    # pages' folders are moved aside while it does and put back: each page is then rewritten in place.

    def keep_concept_folders(self, site_dir: str) -> None:
        """Before MkDocs empties the site folder: move `concepts/` aside (beside the site folder)."""
        self.drop_kept()
        folder = Path(site_dir) / "concepts"
        if folder.is_dir() and not folder.is_symlink():
            kept = Path(tempfile.mkdtemp(prefix=".glossary-kept-", dir=Path(site_dir).parent))
            os.replace(folder, kept / "concepts")
            self.kept = kept

    def restore_concept_folders(self, site_dir: str, slugs) -> None:
        """Once MkDocs has emptied it: `concepts/` back, without the folders of concepts that are gone and
        without any file but the pages MkDocs writes again."""
        kept, self.kept = self.kept, None
        if kept is None:
            return
        target = Path(site_dir) / "concepts"
        if not target.exists():
            os.replace(kept / "concepts", target)
            _keep_only_pages(target, slugs, depth=1)
        shutil.rmtree(kept, ignore_errors=True)

    def drop_kept(self) -> None:
        kept, self.kept = self.kept, None
        if kept is not None:
            shutil.rmtree(kept, ignore_errors=True)

    def linker(self, terms: list, make):
        """The last build's linker while the terms are the same (compiling its pattern takes a while)."""
        edition = self.current
        known = getattr(edition, "linker", None)
        if known is None or list(known.terms.values()) != terms:
            known = edition.linker = make(terms)
        return known

    # -- what the plugin builds

    def reuse_texts(self, statuses: list) -> None:
        """Explanations unchanged on disk since the last build keep the body and front matter read then."""
        edition, fresh = self.current, {}
        for status in statuses:
            explanation = status.explanation
            path = getattr(explanation, "_path", None)
            if path is None or getattr(explanation, "_body", None) is not None:
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            known = edition.texts.get(path)
            if known is not None and known[0] == stamp:
                explanation._body, explanation._meta = known[1], known[2]
                fresh[path] = known
            else:
                fresh[path] = (stamp, explanation.body, explanation.meta)
        edition.texts = fresh

    def concept_page(self, slug: str, inputs: tuple, make, key_of) -> tuple[Any, str]:
        """A concept page and its cache key: the last build's while `inputs` are the same."""
        edition = self.current
        known = edition.pages.get(slug)
        if known is not None and known[0] == inputs:
            edition.pages_next[slug] = known
            return known[1], known[2]
        page = make()
        found = edition.pages_next[slug] = (inputs, page, key_of(page))
        return page, found[2]

    def remembered(self, kind: str, key, make):
        """What `make()` gave for `key` in the last build: kept while each build asks for it."""
        edition = self.current
        edition.memos_used.setdefault(kind, set()).add(key)
        table = edition.memos.setdefault(kind, {})
        if key not in table:
            table[key] = make()
        return table[key]

    def add(self, file, config, uri: str, key: str) -> None:
        """Give MkDocs a page object that serves the cached output while the page's inputs are the same."""
        cache = self.current.cache
        entry = cache.lookup(uri, key)
        if entry is None:
            cache.misses += 1
            cache.record(uri, key)
        else:
            cache.hits += 1
        pagecache.CachedPage(None, file, config, cache, entry)

    def pending(self, uri: str) -> pagecache.Entry | None:
        return self.current.cache.pending.get(uri)

    @property
    def summaries(self) -> dict[str, str]:
        return self.current.cache.summaries

    # -- MkDocs events

    def env(self, env: jinja2.Environment) -> None:
        env.loader = jinja2.ChoiceLoader(
            [jinja2.DictLoader({pagecache.TEMPLATE: pagecache.TEMPLATE_SOURCE}), env.loader]
        )
        env.bytecode_cache = self.bytecode  # the theme's templates compiled once per session

    def nav(self, nav, plugins) -> None:
        self.current.cache.nav_changed(pagecache.nav_key(nav))
        pagecache.wrap_search(plugins, self.current.cache)

    def before_search(self, page) -> None:
        # The search plugin reuses a cached page's entries, but would still scan its whole HTML to
        # strip attributes that were stripped when the page was cached.
        if getattr(page, "cached", None) is not None:
            page.content = ""

    def after_search(self, page) -> None:
        cached = getattr(page, "cached", None)
        if cached is not None:
            page.content = cached.content
        entry = self.pending(page.file.src_uri)
        if entry is not None:
            entry.meta = {k: v for k, v in page.meta.items() if k != "template"}
            entry.title = page._title_from_render
            entry.content = page.content
            entry.toc = page.toc
            entry.anchors = set(page.present_anchor_ids or ())

    def post_page(self, page, output: str) -> None:
        self.current.cache.finish(page.file.src_uri, output)
