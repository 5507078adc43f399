"""Import an existing Markdown glossary (Jekyll / Hugo style) as draft concepts.

A source glossary is a directory of Markdown files, one term per file, each with
YAML (or TOML) front matter.  Two families are understood:

* Jekyll style (e.g. the Machine Learning Glossary): ``title``,
  ``related_terms``, ``references: [{link_title, link_url}]``, redirect stubs
  (``layout: redirect`` / ``destination``), reference-style links to
  ``/terms/<slug>/``, Liquid tags.
* Hugo style (e.g. the Kubernetes glossary): ``title``, ``id``, ``full_link``,
  ``short_description``, ``aka``, ``tags``, ``related``, ``{{< glossary_tooltip >}}``
  shortcodes and ``<!--more-->`` markers.

Every imported term becomes ``concepts/<slug>.yaml`` with ``draft: true`` and no
``facts`` (key facts have to be written by a person).  This module holds
:func:`import_glossary` and :class:`ImportReport`; reading, attribution, Markdown clean-up and
summaries are its neighbours in ``generator/importer/``, the command is ``generator/cli/importer.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.importer.attribution import _attribution_source
from generator.importer.markdown import _clean_markdown, _Context
from generator.importer.read import (
    GlossaryImportError,
    _as_list,
    _existing_concepts,
    _fm,
    _fm_all,
    _is_http,
    _list_markdown,
    _norm_key,
    _normalise_text,
    _one_line,
    _read_text,
    _split_front_matter,
    slugify,
)
from generator.importer.summary import (
    _finish_summary,
    _stub_reason,
    _summary_from_markdown,
    _to_plain,
    first_sentence,
)
from generator.texts.store import atomic_write

#: Keys written to a concept file, in this order (``facts`` and
#: ``misconceptions`` are never produced by an import but keep their place).
CONCEPT_KEYS = (
    "title",
    "aliases",
    "summary",
    "definition",
    "facts",
    "misconceptions",
    "tags",
    "related",
    "sources",
    "draft",
)

# Files in a glossary directory that are about the glossary, not terms in it.
_NON_TERM_STEMS = {
    "readme",
    "license",
    "licence",
    "copying",
    "source",
    "sources",
    "contributing",
    "changelog",
    "changes",
    "code_of_conduct",
    "code-of-conduct",
    "authors",
    "notice",
    "index",
    "_index",
    "security",
}


@dataclass
class ImportReport:
    """What :func:`import_glossary` did.

    ``skipped`` holds ``(file name, reason)``; a reason starts with a category
    (``stub``, ``exists``, ``redirect``, ``collision``, ``not a term``,
    ``unpublished``, ``invalid``), optionally followed by ``": detail"``.
    ``dropped_related`` holds ``(slug, missing related slug)`` and
    ``dropped_aliases`` holds ``(slug, alias, reason)``.
    """

    imported: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    dropped_related: list[tuple[str, str]] = field(default_factory=list)
    dropped_aliases: list[tuple[str, str, str]] = field(default_factory=list)
    source_attribution: dict[str, str] | None = None
    warnings: list[str] = field(default_factory=list)
    source: Path | None = None
    concepts_dir: Path | None = None

    def skipped_by_reason(self) -> Counter[str]:
        """Count skipped files per reason category (the text before ``:``)."""
        return Counter(reason.split(":", 1)[0].strip() for _, reason in self.skipped)


# --------------------------------------------------------------------------- #
# YAML output
# --------------------------------------------------------------------------- #


class _ConceptDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # never emit &anchors
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # indent list items under their key ("key:\n  - item")
        super().increase_indent(flow, False)


class _Block(str):
    """A string always written as a ``|-`` block scalar (the definition)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value or isinstance(value, _Block):
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_ConceptDumper.add_representer(str, _represent_str)
_ConceptDumper.add_representer(_Block, _represent_str)


def dump_concept(data: dict[str, Any]) -> str:
    """Readable YAML for a concept (keys in :data:`CONCEPT_KEYS` order, block scalars)."""
    ordered = {k: data[k] for k in CONCEPT_KEYS if k in data}
    if isinstance(ordered.get("definition"), str):
        ordered["definition"] = _Block(ordered["definition"])
    text = yaml.dump(
        ordered,
        Dumper=_ConceptDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    if yaml.safe_load(text) != ordered:  # pragma: no cover - guard against emitter surprises
        raise RuntimeError("concept YAML does not round-trip")
    return text


# --------------------------------------------------------------------------- #
# Import
# --------------------------------------------------------------------------- #


@dataclass
class _Term:
    file: str
    slug: str
    title: str
    fm: dict[str, Any]
    body: str
    aliases: list[str] = field(default_factory=list)
    definition: str = ""
    summary: str = ""
    related: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)


def _related_slug(value: Any, ctx: _Context) -> str:
    text = str(value).strip()
    if "/" in text:  # a path such as /terms/foo/
        return ctx.term_from_url(text)[0] or ""
    return text


def _clean_aliases(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        if isinstance(v, (dict, list)):
            continue
        text = _one_line(v)
        # Hugo's ``aliases`` are URL redirects, not names.
        if not text or text.startswith("/") or "://" in text:
            continue
        out.append(text)
    return out


def _clean_tags(value: Any) -> list[str]:
    raw: list[str] = []
    for v in _as_list(value):
        if isinstance(v, str):
            raw.extend(v.split(",") if "," in v else [v])
        elif not isinstance(v, (dict, list)):
            raw.append(str(v))
    tags: list[str] = []
    for t in raw:
        slug = slugify(t)
        if slug and slug not in tags:
            tags.append(slug)
    return tags


def _encode_url(url: str) -> str:
    """A link as the concept schema accepts it: characters that would end a Markdown link or an
    HTML attribute percent-encoded (Wikipedia's "Kernel_(image_processing)" and the like)."""
    from urllib.parse import quote

    return quote(url, safe=":/?#@!$&'*+,;=%~-._").replace("'", "%27")


def _references(fm: dict[str, Any]) -> list[dict[str, str]]:
    sources: list[dict[str, str]] = []
    seen: set[str] = set()
    for key in ("references", "new_references", "sources"):
        for ref in _as_list(fm.get(key)):
            if isinstance(ref, dict):
                url = ref.get("link_url") or ref.get("url") or ref.get("href") or ref.get("link")
                title = ref.get("link_title") or ref.get("title") or ref.get("name")
            elif isinstance(ref, str):
                url, title = ref, None
            else:
                continue
            if not _is_http(url):
                continue
            url = _encode_url(str(url).strip())
            if url in seen:
                continue
            seen.add(url)
            sources.append({"title": _one_line(title) or url, "url": url})
    return sources


def import_glossary(
    source: Path,
    concepts_dir: Path,
    *,
    origin: str | None = None,
    licence: str | None = None,
) -> ImportReport:
    """Import the Markdown glossary in ``source`` as draft concepts into ``concepts_dir``.

    ``origin`` / ``licence`` name the source glossary and its licence (``"Name"``,
    ``"Name <url>"`` or a URL); by default they are read from SOURCE.md,
    LICENSE.md or README in ``source`` or its parent.  Existing concept files are
    never overwritten.  Raises :class:`GlossaryImportError` (writing nothing) if
    ``source`` cannot be read or holds no Markdown files.
    """
    source = Path(source)
    concepts_dir = Path(concepts_dir)
    report = ImportReport(source=source, concepts_dir=concepts_dir)
    files = _list_markdown(source)
    if concepts_dir.exists() and not concepts_dir.is_dir():
        raise GlossaryImportError(f"concepts directory {concepts_dir} is not a directory")
    warnings = report.warnings
    report.source_attribution = _attribution_source(source, origin, licence, warnings)

    existing = _existing_concepts(concepts_dir, warnings)
    ctx = _Context()
    ctx.existing = set(existing)

    # -- pass 1: read every file ------------------------------------------------
    terms: list[_Term] = []
    redirect_titles: list[tuple[str, str, str]] = []  # (file, title, destination slug)
    slug_files: dict[str, str] = {}
    for path in files:
        name = path.name
        if path.stem.lower() in _NON_TERM_STEMS or path.name.startswith((".", "_")):
            report.skipped.append((name, "not a term: README/LICENSE/index page"))
            continue
        try:
            text = _normalise_text(_read_text(path, warnings))
        except OSError as exc:
            report.skipped.append((name, f"invalid: unreadable ({exc.strerror or exc})"))
            continue
        try:
            fm, body = _split_front_matter(text)
        except ValueError as exc:
            report.skipped.append((name, f"invalid: {exc}"))
            continue
        title = _one_line(_fm(fm, "title", "name", "term"))
        slug = slugify(path.stem) or slugify(title)
        if not slug:
            report.skipped.append((name, "invalid: no usable slug in file name or title"))
            continue
        if slug in slug_files:
            report.skipped.append((name, f"collision: slug {slug!r} already used by {slug_files[slug]}"))
            continue
        slug_files[slug] = name
        ctx.slugs.add(slug)
        title = title or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
        ctx.titles[slug] = title
        term_id = _fm(fm, "id")
        if term_id and slugify(str(term_id)) and slugify(str(term_id)) != slug:
            ctx.ids.setdefault(slugify(str(term_id)), slug)
        destination = _fm(fm, "destination", "redirect_to", "redirect")
        if (isinstance(destination, str) and destination.strip()) or _one_line(fm.get("layout")).lower() == "redirect":
            dest = ""
            if isinstance(destination, str):
                dest_slug, _ = (
                    ctx.term_from_url(destination.strip()) if "/" in destination else (slugify(destination), True)
                )
                dest = dest_slug or ""
            if dest and dest != slug:
                ctx.redirects[slug] = dest
                redirect_titles.append((name, title, dest))
            else:
                report.skipped.append((name, "redirect: without destination"))
            continue
        if fm.get("published") is False:
            report.skipped.append((name, "unpublished: published: false"))
            continue
        terms.append(_Term(file=name, slug=slug, title=title, fm=fm, body=body))

    # -- pass 2: clean bodies, stubs, existing ----------------------------------
    kept: list[_Term] = []
    for t in terms:
        body = t.body
        if not body.strip():
            body = str(_fm(t.fm, "long_description", "description_long") or "")
        cleaned = _clean_markdown(body, ctx, self_slug=t.slug)
        t.definition = cleaned.markdown
        for w in dict.fromkeys(cleaned.warnings):
            warnings.append(f"{t.file}: {w}")
        reason = _stub_reason(t.definition, t.title, t.slug, t.fm)
        if reason:
            report.skipped.append((t.file, reason))
            continue
        if t.slug in existing:
            report.skipped.append((t.file, "exists"))
            continue
        short = _fm(t.fm, "short_description", "summary", "description", "excerpt")
        if isinstance(short, str) and short.strip():
            sc = _clean_markdown(short, ctx, self_slug=t.slug)
            t.summary = _finish_summary(first_sentence(_to_plain(sc.markdown)))
            cleaned.links.extend(sc.links)
        if not t.summary:
            t.summary = _summary_from_markdown(t.definition)
        if not t.summary:
            report.skipped.append((t.file, "stub: no sentence for a summary"))
            continue
        related_fm = [ctx.canon(_related_slug(r, ctx)) for r in _fm_all(t.fm, "related_terms", "related")]
        t.related = list(dict.fromkeys(s for s in related_fm + cleaned.links if s and s != t.slug))
        t.aliases = _clean_aliases(_fm_all(t.fm, "aka", "aliases", "synonyms"))
        t.tags = _clean_tags(_fm(t.fm, "tags"))
        t.sources = _references(t.fm)
        full_link = _fm(t.fm, "full_link")
        if _is_http(full_link) and all(s["url"] != full_link for s in t.sources):
            t.sources.append({"title": t.title, "url": str(full_link).strip()})
        if report.source_attribution:
            t.sources.append(dict(report.source_attribution))
        kept.append(t)

    # -- pass 3: title and alias collisions -------------------------------------
    names: dict[str, str] = {}  # normalised title/alias -> slug owning it
    for slug, data in existing.items():
        for n in [data.get("title")] + _as_list(data.get("aliases")):
            if isinstance(n, str) and n.strip():
                names.setdefault(_norm_key(n), slug)
    merged: dict[str, str] = {}  # skipped duplicate-title slug -> kept slug
    final: list[_Term] = []
    for t in kept:
        key = _norm_key(t.title)
        if key in names:
            other = names[key]
            report.skipped.append((t.file, f"collision: title {t.title!r} already used by {other}"))
            merged[t.slug] = other
            continue
        names[key] = t.slug
        final.append(t)
    redirect_aliases: dict[str, list[tuple[str, str]]] = {}
    for file, title, dest in redirect_titles:
        dest = ctx.canon(dest)
        dest = merged.get(dest, dest)
        if any(t.slug == dest for t in final):
            redirect_aliases.setdefault(dest, []).append((file, title))
            report.skipped.append((file, f"redirect: to {dest} (title kept as alias)"))
        else:
            report.skipped.append((file, f"redirect: to {dest} (not imported)"))
    for t in final:
        aliases: list[str] = []
        own = {_norm_key(t.title)}
        candidates = [(a, "aka") for a in t.aliases] + [
            (a, f"redirect {f}") for f, a in redirect_aliases.get(t.slug, [])
        ]
        for alias, _origin in candidates:
            key = _norm_key(alias)
            if key in own:
                continue
            if key in names and names[key] != t.slug:
                report.dropped_aliases.append((t.slug, alias, f"already used by {names[key]}"))
                continue
            names[key] = t.slug
            own.add(key)
            aliases.append(alias)
        t.aliases = aliases

    # -- pass 4: related must point at concepts that exist ----------------------
    available = {t.slug for t in final} | set(existing)
    for t in final:
        related: list[str] = []
        for slug in t.related:
            slug = merged.get(slug, slug)
            if slug == t.slug or slug in related:
                continue
            if slug in available:
                related.append(slug)
            else:
                report.dropped_related.append((t.slug, slug))
        t.related = related

    # -- pass 5: render everything, then write ----------------------------------
    rendered: list[tuple[_Term, str]] = []
    for t in final:
        data: dict[str, Any] = {"title": t.title}
        if t.aliases:
            data["aliases"] = t.aliases
        data["summary"] = t.summary
        data["definition"] = t.definition
        if t.tags:
            data["tags"] = t.tags
        if t.related:
            data["related"] = t.related
        data["sources"] = t.sources
        data["draft"] = True
        rendered.append((t, dump_concept(data)))
    if rendered:
        concepts_dir.mkdir(parents=True, exist_ok=True)
    for t, text in rendered:
        target = concepts_dir / f"{t.slug}.yaml"
        if target.exists() or (concepts_dir / f"{t.slug}.yml").exists():  # appeared meanwhile
            report.skipped.append((t.file, "exists"))
            continue
        atomic_write(target, text)
        report.imported.append(t.slug)
    report.skipped.sort(key=lambda item: item[0].casefold())
    return report
