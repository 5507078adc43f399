"""Links between concepts: the first mention of another concept in a text links to its page.

The linker works on sanitised HTML, never on Markdown: it walks the tags, looks for concept names
only in text outside `code`, `pre`, `a` and headings, and wraps the first mention of each concept in
`<a href="..." title="summary">`, which Material's `content.tooltips` shows on hover. A page that
links one concept from several texts (one per reader's tab) writes its summary once: the later
links carry an empty `title`, which glossary.js fills from the first before anyone can hover. In a
big glossary that keeps a page's size from growing with the number of names it mentions.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass

SKIP_TAGS = {"code", "pre", "a", "h1", "h2", "h3", "h4", "h5", "h6", "kbd", "script", "style", "textarea", "abbr"}
SKIP_TAGS |= {"label", "button", "select", "option", "summary", "nav", "svg"}  # controls on hand-written pages
RAW_TEXT_TAGS = {"script", "style"}  # their text is not HTML: it passes through untouched
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LATIN = "A-Za-z0-9\u00c0-\u024f"
KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"


@dataclass(frozen=True)
class Term:
    """A concept the linker can link to."""

    slug: str
    names: tuple[str, ...]
    summary: str
    draft: bool = False  # a draft's page has no readers' tabs to open


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

    def walk(root: dict, first: str) -> str:
        # Depth first with a stack of its own: a name is as deep as it is long, and a recursive walk
        # ran out of Python's stack on a title of a few hundred characters.
        done: dict[int, str] = {}
        stack: list[tuple[dict, str, bool]] = [(root, first, False)]
        while stack:
            node, last, expanded = stack.pop()
            children = [
                (key, child) for key, child in sorted(node.items(), key=lambda kv: str(kv[0])) if key is not _END
            ]
            if not expanded:
                stack.append((node, last, True))
                stack.extend((child, key, False) for key, child in children)
                continue
            branches = [(r"\s+" if key == " " else re.escape(key)) + done.pop(id(child)) for key, child in children]
            if _END in node:
                branches.append(_after(last or ""))
            done[id(node)] = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return done[id(root)]

    # Names starting with a Latin letter (or katakana) are grouped behind one boundary check, so
    # the regex engine tests the boundary once per position and then follows the prefix tree:
    # three times faster than a look-behind in every branch. Other names need no boundary.
    groups: dict[str, list[str]] = {LATIN: [], KATAKANA: [], "": []}
    for key, child in sorted(trie.items(), key=lambda kv: str(kv[0])):
        script = LATIN if re.match(f"[{LATIN}]", key) else KATAKANA if re.match(f"[{KATAKANA}]", key) else ""
        groups[script].append(re.escape(key) + walk(child, key))
    parts = [
        f"(?<![{script}])(?=[{script}])(?:{'|'.join(roots)})" for script, roots in groups.items() if script and roots
    ]
    parts += groups[""]
    return "|".join(parts)


class Linker:
    """Finds concept names in HTML text and links their first mention."""

    def __init__(self, terms: Iterable[Term]):
        self.terms = {t.slug: t for t in terms}
        self.gists: dict[tuple[str, str], str] = {}  # (concept, persona): that reader's gist, set per build
        self._slug_cache: dict[str, str | None] = {}
        self.owner: dict[str, str] = {}
        for term in self.terms.values():
            for name in term.names:
                key = " ".join(name.split()).casefold()
                if key:
                    self.owner.setdefault(key, term.slug)
        self.pattern = re.compile(_trie_pattern(self.owner), re.IGNORECASE) if self.owner else None

    def slug_for(self, matched: str) -> str | None:
        """The concept a matched string names (plural endings and white space forgiven)."""
        try:
            return self._slug_cache[matched]
        except KeyError:
            slug = self._slug_cache[matched] = self._lookup(matched)
            return slug

    def _lookup(self, matched: str) -> str | None:
        key = " ".join(matched.split()).casefold()
        for candidate in (key, key[:-1] if key.endswith("s") else None, key[:-2] if key.endswith("es") else None):
            if candidate is not None and candidate in self.owner:
                return self.owner[candidate]
        return None

    def link(
        self,
        fragment: str,
        self_slug: str | None,
        href_for: Callable[[str], str | None],
        scope_tag: str | None = None,
        titled: set | None = None,
        persona: str | None = None,
        mentioned: set[str] | None = None,
        limit: int | None = None,
    ) -> str:
        """The HTML with the first mention of each other concept linked.

        `scope_tag` starts a fresh "first mention" at each such element (e.g. "li" for a list of
        facts, each its own text); otherwise the whole fragment is one text. `titled`, shared by
        the fragments of one page, holds the tooltips the page already carries. In a reader's text
        (`persona`) a link opens the same reader's tab, and its tooltip is that reader's gist.
        The concepts linked are added to `mentioned`; at most `limit` of them, in reading order.
        """
        if self.pattern is None:
            return fragment
        if limit == 0:
            return fragment
        rewriter = _Rewriter(self, self_slug, href_for, scope_tag, titled, persona, limit)
        out = rewriter.rewrite(fragment)
        if mentioned is not None:
            mentioned |= rewriter.linked
        return out

    def tooltips(self, slug: str) -> str:
        """Every tooltip a link to the concept can show: its summary and each reader's gist."""
        gists = sorted(gist for (concept, _), gist in self.gists.items() if concept == slug)
        return "\n".join([self.terms[slug].summary, *gists])

    def tooltip(self, slug: str, persona: str | None = None) -> str:
        """What a link to a concept shows: the reader's gist of it, else its summary."""
        return self.gists.get((slug, persona or ""), "") or self.terms[slug].summary


# Sanitised HTML (nh3's output) is regular enough to walk with one regex: comments, then tags whose
# attribute values are double-quoted, then text. html.parser did the same walk three times slower.
_TOKEN_RE = re.compile(r'<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)(?:[^>"]|"[^"]*")*>|[^<]+|<', re.S)


class _Rewriter:
    """One pass over a fragment of sanitised HTML, linking text outside code, links and headings."""

    def __init__(
        self,
        linker: Linker,
        self_slug: str | None,
        href_for: Callable[[str], str | None],
        scope_tag: str | None,
        titled: set | None,
        persona: str | None = None,
        limit: int | None = None,
    ):
        self.linker = linker
        self.left = limit if limit is not None else -1  # links still allowed; -1: no limit
        self.self_slug = self_slug
        self.href_for = href_for
        self.scope_tag = scope_tag
        self.titled = titled
        self.persona = persona
        self.seen: set[str] = set()
        self.linked: set[str] = set()

    def rewrite(self, fragment: str) -> str:
        out: list[str] = []
        stack: list[str] = []
        skipping = 0  # how many open SKIP_TAGS we are inside
        for match in _TOKEN_RE.finditer(fragment):
            token = match.group(0)
            tag = match.group(2)
            if tag is None:
                if stack and stack[-1] in RAW_TEXT_TAGS:
                    out.append(token)
                elif token.startswith("<!--") or skipping or self.left == 0:
                    out.append(token if token.startswith("<!--") else _escape_text(token))
                else:
                    out.append(self._link_text(html.unescape(token) if "&" in token else token))
                continue
            tag = tag.lower()
            out.append(token)
            if match.group(1):  # an end tag closes up to its start tag
                if tag in stack:
                    while stack:
                        closed = stack.pop()
                        skipping -= closed in SKIP_TAGS
                        if closed == tag:
                            break
            elif tag not in VOID_TAGS and not token.endswith("/>"):
                if tag == self.scope_tag and tag not in stack:
                    self.seen = set()
                stack.append(tag)
                skipping += tag in SKIP_TAGS
        return "".join(out)

    def _link_text(self, text: str) -> str:
        parts: list[str] = []
        cursor = 0
        for match in self.linker.pattern.finditer(text):
            if self.left == 0:
                break
            slug = self.linker.slug_for(match.group(0))
            if slug is None or slug == self.self_slug or slug in self.seen:
                continue  # the text is consumed: a shorter name inside it is not a mention either
            href = self.href_for(slug)
            if href is None:
                continue
            if self.persona and not self.linker.terms[slug].draft:
                href += f"#{self.persona}"  # the next page opens on the same reader
            self.seen.add(slug)
            self.linked.add(slug)
            self.left -= 1
            parts.append(_escape(text[cursor : match.start()]))
            # No class: a title is what marks a mention (glossary.css, glossary.js), and on a big
            # glossary's pages 25 bytes per link were 4% of the page.
            parts.append(
                f'<a href="{html.escape(href, quote=True)}" title="{self._title(slug)}">{_escape(match.group(0))}</a>'
            )
            cursor = match.end()
        parts.append(_escape(text[cursor:]))
        return "".join(parts)

    def _title(self, slug: str) -> str:
        """The tooltip, escaped; empty where this page already carries it for the same link."""
        if self.titled is not None:
            key = (slug, self.persona)
            if key in self.titled:
                return ""
            self.titled.add(key)
        return tooltip_attribute(self.linker.tooltip(slug, self.persona))


def tooltip_attribute(text: str) -> str:
    """A `title` for Material's tooltips, which put the title into the page as HTML (innerHTML):
    escaped once for the tooltip and once for the attribute, so the text shows exactly as written."""
    return html.escape(html.escape(text, quote=False), quote=True)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _escape_text(text: str) -> str:
    """HTML text as found, entities normalised (`&quot;` to `"`), never unescaped twice."""
    return _escape(html.unescape(text) if "&" in text else text)


def terms_from(glossary) -> list[Term]:
    """One term per concept of a glossary (drafts included: their pages exist)."""
    return [Term(c.slug, tuple(c.names()), c.summary, c.draft) for c in glossary.concepts.values()]
