"""The glossary for machines: schema.org JSON-LD, glossary.json, llms.txt with plain Markdown per concept, an Atom feed.

All of it is written from the committed text the pages show. Human-written values reach JSON only
through json.dumps (and, inside a <script>, with `<`, `>` and `&` escaped), XML only through
ElementTree, Markdown only escaped, and a reader's Markdown with every `<` outside code escaped.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from mkdocs.utils import get_relative_url

from generator.inputs.schemas import Concept, Glossary
from generator.site import pages, refs
from generator.texts.sanitize import clean_markdown
from generator.texts.status import MISSING

GLOSSARY_JSON, LLMS_TXT, FEED = "glossary.json", "llms.txt", "feed.xml"
MARKDOWN = "index.md"  # beside a concept page's index.html: its readers' texts as plain Markdown
FEED_LENGTH = 50  # concepts on the What's new page and in the feed
ATOM = "http://www.w3.org/2005/Atom"
CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")


class Urls:
    """URLs as machines get them: absolute under site_url, else from the site's root."""

    def __init__(self, site_url: str | None):
        self.base = (site_url or "").rstrip("/")

    def page(self, url: str) -> str:
        return f"{self.base}/{url.lstrip('/')}"

    def term_set(self, config) -> dict:
        """The schema.org DefinedTermSet every concept belongs to: the A to Z page."""
        data = {
            "@type": "DefinedTermSet",
            "@id": self.page("concepts/"),
            "name": config.site_name,
            "url": self.page("concepts/"),
        }
        if config.site_description:
            data["description"] = config.site_description
        return data


@dataclass
class Reader:
    """One reader's explanation of a concept, as machines get it."""

    persona: str
    name: str
    gist: str | None
    page: str  # the concept page with this reader's tab (#persona)
    markdown: str  # the concept's plain Markdown, which holds this reader's text
    body: str
    provenance: str
    date: str | None


@dataclass
class Entry:
    """One concept, its page and its readers' texts."""

    concept: Concept
    page: str
    readers: list[Reader] = field(default_factory=list)


def script_json(value) -> str:
    """JSON that cannot end its <script> element or start markup: `<`, `>`, `&` as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def defined_term(concept: Concept, url: str, term_set: dict) -> dict:
    """A concept page's schema.org DefinedTerm, in the glossary's DefinedTermSet."""
    data = {
        "@context": "https://schema.org",
        "@type": "DefinedTerm",
        "@id": f"{url}#term",
        "name": concept.title,
        "description": concept.summary,
        "termCode": concept.slug,
        "url": url,
        "inDefinedTermSet": term_set,
    }
    if concept.aliases:
        data["alternateName"] = list(concept.aliases)
    return data


def json_ld_script(data: dict) -> str:
    return f'<script type="application/ld+json">{script_json(data)}</script>'


def head(config, page_url: str, feed_name: str, concept: Concept | None) -> str:
    """What a page's <head> gets: the feed's link (with site_url), and a concept's JSON-LD."""
    out = ""
    if config.site_url:
        # Relative: Material takes every link[rel=alternate] for another language of the site and
        # fetches the sitemap.xml beside it, which must not be on another host.
        feed = html.escape(get_relative_url(feed_name, page_url), quote=True)
        out += f'<link rel="alternate" type="application/atom+xml" href="{feed}" title="{html.escape(config.site_name, quote=True)}">'
    if concept is not None:
        urls = Urls(config.site_url)
        out += json_ld_script(defined_term(concept, urls.page(page_url), urls.term_set(config)))
    return out


def write_all(
    config, glossary: Glossary, by_pair: dict, language: str, feed_name: str, changes: list, markdown: bool = True
) -> None:
    """glossary.json, llms.txt and (unless told not to) each concept's plain Markdown; the Atom feed of
    `changes` (What's new) when site_url is set."""
    site = Path(config.site_dir)
    urls = Urls(config.site_url)
    s = pages.strings(language)
    entries = entries_of(glossary, by_pair, urls, language)
    for entry in entries if markdown else ():
        if entry.readers:
            # One file per concept, not one per reader: creating a file is most of what writing it
            # costs, and at 3,000 concepts x 6 readers that was seconds of a build.
            _write(site / "concepts" / entry.concept.slug / MARKDOWN, concept_markdown(entry))
    _write(site / GLOSSARY_JSON, glossary_json(config.site_name, config.site_url, language, entries))
    _write(site / LLMS_TXT, llms_txt(config.site_name, config.site_description, s["plain_markdown"], entries))
    if config.site_url:
        title = f"{config.site_name}: {s['whats_new_title']}"
        _write(
            site / feed_name,
            atom_feed(title, urls.page(feed_name), urls.page("whats-new/"), changes, urls, s["whats_new_readers"]),
        )


def entries_of(glossary: Glossary, by_pair: dict, urls: Urls, language: str) -> list[Entry]:
    """Every non-draft concept in A to Z order, with each reader's written text."""
    entries = []
    for concept in sorted(glossary.concepts.values(), key=lambda c: pages.sort_key(c.title)):
        if concept.draft:
            continue
        entry = Entry(concept, urls.page(f"concepts/{concept.slug}/"))
        for persona in glossary.ordered_personas():
            status = by_pair.get(concept.slug, {}).get(persona.slug)
            explanation = status.explanation if status is not None and status.state != MISSING else None
            if explanation is None:
                continue
            provenance = pages.plain_text(pages.provenance(explanation, language))
            date = explanation.reviewed if explanation.curated else explanation.date
            markdown = urls.page(f"concepts/{concept.slug}/{MARKDOWN}")
            entry.readers.append(
                Reader(
                    persona.slug,
                    persona.name,
                    explanation.gist,
                    f"{entry.page}#{persona.slug}",
                    markdown,
                    explanation.body,
                    provenance,
                    date,
                )
            )
        entries.append(entry)
    return entries


def glossary_json(site_name: str, site_url: str | None, language: str, entries: list[Entry]) -> str:
    """glossary.json: every concept, alias and summary, and each reader's gist and links."""
    concepts = [
        {
            "slug": e.concept.slug,
            "title": e.concept.title,
            "aliases": list(e.concept.aliases),
            "summary": e.concept.summary,
            "tags": list(e.concept.tags),
            "url": e.page,
            "readers": [
                {
                    "persona": r.persona,
                    "name": r.name,
                    "gist": r.gist,
                    "url": r.page,
                    "markdown": r.markdown,
                    "date": r.date,
                }
                for r in e.readers
            ],
        }
        for e in entries
    ]
    data = {"name": site_name, "url": site_url, "language": language, "concepts": concepts}
    return json.dumps(data, ensure_ascii=False) + "\n"  # no indent: json's C encoder, 5x faster


def llms_txt(site_name: str, description: str | None, intro: str, entries: list[Entry]) -> str:
    """llms.txt (llmstxt.org): a section per concept, with its page and, for each reader, the plain Markdown."""
    out = [f"# {md_text(site_name)}", ""]
    if description:
        out += [f"> {md_text(description)}", ""]
    out += [md_text(intro), ""]
    for entry in entries:
        title = md_text(entry.concept.title)
        out += [f"## {title}", "", f"- [{title}]({entry.page}): {md_text(entry.concept.summary)}"]
        for reader in entry.readers:
            note = f": {md_text(reader.gist)}" if reader.gist else ""
            out.append(f"- [{title}, for: {md_text(reader.name)}]({reader.markdown}){note}")
        out.append("")
    return "\n".join(out)


def concept_markdown(entry: Entry) -> str:
    """A concept's readers' texts as plain Markdown, a section each, inert wherever it is served (no raw HTML survives)."""
    out = [
        f"# {md_text(entry.concept.title)}",
        "",
        f"> {md_text(entry.concept.summary)}",
        "",
        f"Page: <{entry.page}>",
        "",
    ]
    for reader in entry.readers:
        out += [f"## {md_text(entry.concept.title)}, for: {md_text(reader.name)}", ""]
        if reader.gist:
            out += [f"> {md_text(reader.gist)}", ""]
        out += [inert_markdown(clean_markdown(reader.body)).rstrip("\n"), ""]  # its headings start at ###
        out += [f"{md_text(reader.provenance)}. Page: <{reader.page}>", "", "---", ""]
    return "\n".join(out)


def md_text(text: str) -> str:
    """Plain text as one line of Markdown: no HTML, no emphasis, no links."""
    text = " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_[]":
        text = text.replace(char, "\\" + char)
    return text


def inert_markdown(text: str) -> str:
    """Markdown with every `<` outside code written `&lt;`, so no renderer finds raw HTML in it."""
    out: list[str] = []
    lines = text.split("\n")
    for line, code in zip(lines, refs.in_code(lines)):
        if not code:
            spans: list[str] = []

            def keep(m: re.Match, spans: list[str] = spans) -> str:
                spans.append(m.group(0))
                return f"\x00{len(spans) - 1}\x00"

            line = CODE_SPAN_RE.sub(keep, line).replace("<", "&lt;")
            line = re.sub(r"\x00(\d+)\x00", lambda m, spans=spans: spans[int(m.group(1))], line)
        out.append(line)
    return "\n".join(out)


def atom_feed(title: str, feed_url: str, page_url: str, changes: list, urls: Urls, readers_label: str) -> str:
    """An Atom feed of new and changed concepts: an entry per concept and date of its latest text."""
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")

    def sub(parent, tag: str, text: str | None = None, **attrs) -> ElementTree.Element:
        el = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        el.text = text
        return el

    sub(feed, "title", title)
    sub(feed, "id", page_url)
    sub(feed, "link", href=feed_url, rel="self")
    sub(feed, "link", href=page_url, rel="alternate")
    sub(feed, "updated", f"{max((c.date for c in changes), default='1970-01-01')}T00:00:00Z")
    sub(sub(feed, "author"), "name", title)
    for change in changes:  # dates are ISO dates: browse.changes keeps no other
        url = urls.page(f"concepts/{change.concept.slug}/")
        entry = sub(feed, "entry")
        sub(entry, "title", change.concept.title)
        sub(entry, "id", f"{url}#{change.date}")
        sub(entry, "link", href=url, rel="alternate")
        sub(entry, "updated", f"{change.date}T00:00:00Z")
        readers = ", ".join(p.name for p in change.personas)
        sub(entry, "summary", f"{change.concept.summary} ({readers_label} {readers})")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(feed, encoding="unicode") + "\n"


def _write(path: Path, text: str) -> None:
    try:  # a concept's folder is there already (its page is): no mkdir for each of thousands of files
        path.write_text(text, encoding="utf-8")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
