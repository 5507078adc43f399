"""Text from a model or a contributor can never break its page: clean the Markdown, sanitise the HTML."""

from __future__ import annotations

import functools
import re

import cmarkgfm
import nh3
from cmarkgfm import cmark

FENCE_RE = re.compile(r"^(`{3,}|~{3,})")
# An answer or text that is one code block around everything; an `html` one is unwrapped from answers only.
WHOLE_FENCE_RE = re.compile(
    r"\A\s*(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>markdown|md|text|html)?[ \t]*\n(?P<body>.*)\n(?P=fence)[ \t]*\s*\Z",
    re.S | re.I,
)
ATX_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
SETEXT_RE = re.compile(r"^(=+|-+)[ \t]*$")
# Lines PyMdown would read as page structure (tabs, admonitions, details, front matter, snippets). They stay
# inert because each text is rendered on its own, by a Markdown without those extensions, never spliced
# into the page's Markdown; they must still never turn the line above them into a heading.
STRUCTURE_RE = re.compile(r"^([ \t]*)(===|!!!|\?\?\?\+?|---[ \t]*$|-{2,}8<-{2,}|\+\+\+[ \t]*$)")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "a",
    "em",
    "strong",
    "b",
    "i",
    "code",
    "pre",
    "kbd",
    "sup",
    "sub",
    "del",
    "ins",
    "mark",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
    "abbr",
    "dl",
    "dt",
    "dd",
}
# No `title` anywhere: Material's tooltips insert a title into the page as HTML, so a title from a
# text ("[x](https://a.org "<img onerror=...>")") would run on hover. The linker adds its own
# titles after sanitising, escaped for that.
ALLOWED_ATTRIBUTES = {
    "*": set(),  # without this nh3 allows `title` and `lang` on every tag
    "a": {"href"},
    "code": {"class"},
    "span": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
TOP_HEADING_LEVEL = 3  # the page has its h1 title and h2 sections; a tab's own headings start below them


@functools.lru_cache(maxsize=32768)  # a build cleans each text for its page and again for its plain Markdown
def clean_markdown(text: str) -> str:
    """Drop front matter and a leading title, demote headings.

    A text that is one whole code fence stays one: only a model's answer is unwrapped (by
    writing/answers.py, before it is stored), never a text a person wrote or kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    text = _drop_front_matter(text)
    lines = _setext_to_atx(text.split("\n"))
    lines = _drop_leading_title(lines)
    lines = _demote_and_neutralise(lines)
    return "\n".join(lines).strip() + "\n"


def _drop_front_matter(text: str) -> str:
    match = re.match(r"\A---[ \t]*\n(?:[\w-]+[ \t]*:.*\n)+---[ \t]*(?:\n|\Z)", text)
    return text[match.end() :].lstrip("\n") if match else text


def _setext_to_atx(lines: list[str]) -> list[str]:
    out: list[str] = []
    fenced = False
    for line in lines:
        if FENCE_RE.match(line.strip()):
            fenced = not fenced
        if (
            not fenced
            and out
            and out[-1].strip()
            and not out[-1].startswith(("#", " ", "\t", "-", "*", ">"))
            and not STRUCTURE_RE.match(out[-1])
            and SETEXT_RE.match(line)
        ):
            level = "#" if line.startswith("=") else "##"
            out[-1] = f"{level} {out[-1].strip()}"
            continue
        out.append(line)
    return out


def _drop_leading_title(lines: list[str]) -> list[str]:
    if lines and re.match(r"^#[ \t]", lines[0]):
        return lines[1:]
    return lines


def _demote_and_neutralise(lines: list[str]) -> list[str]:
    levels = [len(m.group(1)) for m in (ATX_RE.match(line) for line in _outside_fences(lines)) if m]
    shift = max(0, TOP_HEADING_LEVEL - min(levels)) if levels else 0
    out: list[str] = []
    fenced = False
    for line in lines:
        if FENCE_RE.match(line.strip()):
            fenced = not fenced
            out.append(line)
            continue
        if not fenced:
            heading = ATX_RE.match(line)
            if heading:
                level = min(6, len(heading.group(1)) + shift)
                line = f"{'#' * level} {heading.group(2)}"
        out.append(line)
    return out


def _outside_fences(lines: list[str]):
    fenced = False
    for line in lines:
        if FENCE_RE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            yield line


# Each text is rendered on its own by cmark-gfm, the C reference implementation of GitHub-flavoured
# Markdown: the Markdown models write (lists without a blank line before them, tables, ~~strike~~),
# about ten times faster than Python-Markdown. Raw HTML passes through it untouched, on purpose:
# nh3 then removes it from the HTML, so a `<` in text is never mistaken for a tag.
_CMARK_OPTIONS = cmark.Options.CMARK_OPT_UNSAFE
_CMARK_EXTENSIONS = ["table", "strikethrough", "autolink"]


def render_markdown(text: str) -> str:
    """Markdown to HTML, then sanitised: raw HTML is removed from the HTML, so `r < min(d, k)` survives."""
    html = cmarkgfm.markdown_to_html_with_extensions(text, options=_CMARK_OPTIONS, extensions=_CMARK_EXTENSIONS)
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    """Keep only harmless tags and attributes; scripts and styles go with their content."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "template",
            "noscript",
            "textarea",
            "select",
            "svg",
            "math",
        },
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
