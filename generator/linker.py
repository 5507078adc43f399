"""Links between concepts: the first mention of another concept in a text links to its page.

The linker works on sanitised HTML, never on Markdown: it walks the tags, looks for concept names
only in text outside `code`, `pre`, `a` and headings, and wraps the first mention of each concept in
`<a href="..." title="summary">`, which Material's `content.tooltips` shows on hover.

Names match case-insensitively, the longest name first. Where a name begins or ends with a Latin
letter or digit, the neighbouring character must not be one (so "rank" is not found in "ranking",
but "LoRAは" and "「LoRA」" do match: Japanese text has no word boundaries for `\\b` to find). A
name ending in a Latin letter also matches its plural ("adapters" for "adapter"). A name that
begins or ends with katakana must not continue a katakana word ("ランク" is not found in
"ランキング"); kanji and kana otherwise need no boundary, as Japanese has no spaces.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Callable, Iterable

SKIP_TAGS = {"code", "pre", "a", "h1", "h2", "h3", "h4", "h5", "h6", "kbd", "script", "style", "textarea", "abbr"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LATIN = "A-Za-z0-9\u00c0-\u024f"
KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"


@dataclass(frozen=True)
class Term:
    """A concept the linker can link to."""

    slug: str
    names: tuple[str, ...]
    summary: str


def _tokens(name: str) -> list[str]:
    """A name as trie keys: lower-cased characters, any run of white space as one key."""
    out: list[str] = []
    for char in name.strip():
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(char.lower())
    return out


def _before(first: str) -> str:
    """What may not precede a name starting with `first`, checked just after matching `first`.

    Checking after the first character (a two-character look-behind) lets every branch of the
    pattern start with a literal, so the regex engine skips ahead to candidate characters instead
    of trying each branch at every position: about twice as fast on long texts.
    """
    if re.match(f"[{LATIN}]", first):
        return f"(?<![{LATIN}].)"
    if re.match(f"[{KATAKANA}]", first):
        return f"(?<![{KATAKANA}].)"
    return ""


def _after(last: str) -> str:
    """What may follow a name ending with `last` (a Latin word may take a plural ending)."""
    if re.match(f"[{LATIN}]", last):
        plural = "(?:e?s)?" if re.match("[A-Za-z]", last) else ""
        return f"{plural}(?![{LATIN}])"
    if re.match(f"[{KATAKANA}]", last):
        return f"(?![{KATAKANA}])"
    return ""


_END = object()


def _trie_pattern(names: Iterable[str]) -> str:
    """One regex for every name, shaped as a prefix tree so that matching stays fast with thousands
    of names; at each branch the longer names are tried first."""
    trie: dict = {}
    for name in names:
        node = trie
        for key in _tokens(name):
            node = node.setdefault(key, {})
        node[_END] = True

    def walk(node: dict, last: str | None) -> str:
        branches = [(r"\s+" if key == " " else re.escape(key)) + walk(child, key) for key, child in sorted(node.items(), key=lambda kv: str(kv[0])) if key is not _END]
        if _END in node:
            branches.append(_after(last or ""))
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    roots = []
    for key, child in sorted(trie.items(), key=lambda kv: str(kv[0])):
        roots.append(re.escape(key) + _before(key) + walk(child, key))
    return "|".join(roots)


class Linker:
    """Finds concept names in HTML text and links their first mention."""

    def __init__(self, terms: Iterable[Term]):
        self.terms = {t.slug: t for t in terms}
        self.owner: dict[str, str] = {}
        for term in self.terms.values():
            for name in term.names:
                key = " ".join(name.split()).casefold()
                if key:
                    self.owner.setdefault(key, term.slug)
        self.pattern = re.compile(_trie_pattern(self.owner), re.IGNORECASE) if self.owner else None

    def slug_for(self, matched: str) -> str | None:
        """The concept a matched string names (plural endings and white space forgiven)."""
        key = " ".join(matched.split()).casefold()
        for candidate in (key, key[:-1] if key.endswith("s") else None, key[:-2] if key.endswith("es") else None):
            if candidate is not None and candidate in self.owner:
                return self.owner[candidate]
        return None

    def link(self, fragment: str, self_slug: str | None, href_for: Callable[[str], str | None], scope_tag: str | None = None) -> str:
        """The HTML with the first mention of each other concept linked.

        `scope_tag` starts a fresh "first mention" at each such element (e.g. "li" for a list of
        facts, each its own text); otherwise the whole fragment is one text.
        """
        if self.pattern is None:
            return fragment
        rewriter = _Rewriter(self, self_slug, href_for, scope_tag)
        rewriter.feed(fragment)
        rewriter.close()
        return "".join(rewriter.out)


class _Rewriter(HTMLParser):
    def __init__(self, linker: Linker, self_slug: str | None, href_for: Callable[[str], str | None], scope_tag: str | None):
        super().__init__(convert_charrefs=True)
        self.linker = linker
        self.self_slug = self_slug
        self.href_for = href_for
        self.scope_tag = scope_tag
        self.out: list[str] = []
        self.stack: list[str] = []
        self.seen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag == self.scope_tag and self.scope_tag not in self.stack:
            self.seen = set()
        self.out.append(self.get_starttag_text())
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if any(t in SKIP_TAGS for t in self.stack):
            self.out.append(html.escape(data, quote=False))
            return
        self.out.append(self._link_text(data))

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def _link_text(self, text: str) -> str:
        parts: list[str] = []
        cursor = 0
        for match in self.linker.pattern.finditer(text):
            slug = self.linker.slug_for(match.group(0))
            if slug is None or slug == self.self_slug or slug in self.seen:
                continue  # the text is consumed: a shorter name inside it is not a mention either
            href = self.href_for(slug)
            if href is None:
                continue
            self.seen.add(slug)
            term = self.linker.terms[slug]
            parts.append(html.escape(text[cursor:match.start()], quote=False))
            parts.append(
                f'<a class="glossary-mention" href="{html.escape(href, quote=True)}" title="{html.escape(term.summary, quote=True)}">'
                f"{html.escape(match.group(0), quote=False)}</a>"
            )
            cursor = match.end()
        parts.append(html.escape(text[cursor:], quote=False))
        return "".join(parts)


def terms_from(glossary) -> list[Term]:
    """One term per concept of a glossary (drafts included: their pages exist)."""
    return [Term(c.slug, tuple(c.names()), c.summary) for c in glossary.concepts.values()]
