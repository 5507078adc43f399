"""Explicit references on hand-written pages: `[[lora]]` or `[[LoRA|low-rank adapters]]` link a concept.

A reference names a concept by its slug, title or an alias (case does not matter); the text after
`|` is the link's text. A reference that names no concept is a problem reported with its page and
line, which fails a strict build. References inside code (fenced blocks and inline spans) stay as
written.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from generator.errors import GlossaryError
from generator.site.linker import tooltip_attribute

REF_RE = re.compile(r"\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]+?))?\]\]")
REF_ATTR_RE = re.compile(r'data-glossary-ref="([a-z0-9-]+)"')  # on the link a reference became, until add_titles
FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def in_code(lines: list[str]) -> list[bool]:
    """For each line of Markdown, whether it belongs to a fenced code block (its fences included)."""
    flags: list[bool] = []
    fence: str | None = None
    for line in lines:
        match = FENCE_RE.match(line)
        if fence is None and match:
            fence = match.group(1)
            flags.append(True)
        elif fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            flags.append(True)
        else:
            flags.append(False)
    return flags


CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")
MARKDOWN_SPECIALS = "\\`*_[]"


@dataclass(frozen=True)
class UnknownRef:
    """A `[[...]]` that names no concept."""

    line: int
    name: str
    hint: str | None


def resolve(name: str, slugs: set[str], owner: dict[str, str]) -> str | None:
    """The slug a reference names: a slug, or a title or alias as the linker knows them."""
    key = " ".join(name.split())
    if key in slugs:
        return key
    return owner.get(key.casefold())


def replace_refs(markdown: str, page_uri: str, glossary, owner: dict[str, str]) -> str:
    """A hand-written page's Markdown with each reference made a link (unknown ones stay as written)."""
    titles = {slug: concept.title for slug, concept in glossary.concepts.items()}
    return link_references(markdown, page_uri, set(glossary.concepts), owner, titles)[0]


class UnknownReferences(GlossaryError):
    """A strict build with `[[...]]` references to concepts that do not exist (like MissingExplanations)."""


def check(files, glossary, owner: dict[str, str], root: Path, *, strict: bool) -> list[str]:
    """Unknown references: all of them fail a strict build before a page is written; else the warnings to log."""
    found = problems(files, glossary, owner, root)
    if found and strict:
        raise UnknownReferences(f"{len(found)} unknown reference(s), and the build is strict:\n" + "\n".join(found))
    return found


def problems(files, glossary, owner: dict[str, str], root: Path) -> list[str]:
    """Every unknown reference in the hand-written pages, as "docs/page.md:LINE: ..." (read from the files
    themselves, front matter included, so the line is the file's own)."""
    found = []
    for file in files.documentation_pages():
        if getattr(file, "generated_by", None) is not None:
            continue
        try:
            source = file.content_string
        except (OSError, ValueError):
            continue
        if "[[" not in source:
            continue
        _, unknown = link_references(source, file.src_uri, set(glossary.concepts), owner, {})
        found += [describe(u, _where(file, root)) for u in unknown]
    return found


def _where(file, root: Path) -> str:
    path = Path(file.abs_src_path or file.src_uri)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return file.src_uri


def add_titles(content: str, linker, mentioned: set[str]) -> str:
    """The rendered page with each reference's link given its concept's tooltip (and counted as a mention)."""

    def title(match: re.Match) -> str:
        slug = match.group(1)
        if slug not in linker.terms:
            return ""
        mentioned.add(slug)
        return f'title="{tooltip_attribute(linker.tooltip(slug))}"'

    return REF_ATTR_RE.sub(title, content)


def link_references(
    markdown: str, page_uri: str, slugs: set[str], owner: dict[str, str], titles: dict[str, str]
) -> tuple[str, list[UnknownRef]]:
    """The Markdown with every reference made a link to its concept page, and the unknown ones."""
    unknown: list[UnknownRef] = []
    out: list[str] = []
    lines = markdown.split("\n")
    for number, (line, code) in enumerate(zip(lines, in_code(lines)), start=1):
        if not code and "[[" in line:
            line = _replace_line(line, number, page_uri, slugs, owner, titles, unknown)
        out.append(line)
    return "\n".join(out), unknown


def _replace_line(
    line: str,
    number: int,
    page_uri: str,
    slugs: set[str],
    owner: dict[str, str],
    titles: dict[str, str],
    unknown: list[UnknownRef],
) -> str:
    spans: list[str] = []

    def keep(match: re.Match) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    def link(match: re.Match) -> str:
        name, text = match.group(1).strip(), (match.group(2) or "").strip()
        slug = resolve(name, slugs, owner)
        if slug is None:
            unknown.append(UnknownRef(number, name, _hint(name, slugs)))
            return match.group(0)
        target = posixpath.relpath(f"concepts/{slug}.md", posixpath.dirname(page_uri) or ".")
        shown = text or (name if name != slug else titles.get(slug, slug))
        return f'[{_escape(shown)}]({target}){{ data-glossary-ref="{slug}" }}'

    line = CODE_SPAN_RE.sub(keep, line)
    line = REF_RE.sub(link, line)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], line)


def _hint(name: str, slugs: set[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name.casefold().replace(" ", "-"), sorted(slugs), n=1)
    return close[0] if close else None


def _escape(text: str) -> str:
    """Link text from a page as Markdown that shows exactly those characters (no HTML, no emphasis)."""
    text = html.escape(text, quote=False)
    for char in MARKDOWN_SPECIALS:
        text = text.replace(char, "\\" + char)
    return text


def describe(unknown: UnknownRef, where: str) -> str:
    """One line naming the page, the line and the bad reference."""
    hint = f"; did you mean [[{unknown.hint}]]?" if unknown.hint else ""
    return f"{where}:{unknown.line}: [[{unknown.name}]] names no concept (a slug, title or alias from concepts/*.yaml){hint}"
