"""What plain text is: the one rule for every human-written field, from validation to the page.

A field of a concept or persona file (a title, an alias, a summary, a tag, a source) is text, never
markup, wherever it appears:

- at validation, a one-line field refuses line breaks and control characters, every field refuses
  control characters other than line breaks and tabs, and every field has a length limit;
- in HTML it is escaped (`html`), quotes included, so it is inert in text and in attributes;
- in Markdown that the page parses (a heading, a tab label, a list item) every ASCII punctuation
  character becomes a numeric character reference (`markdown`): no emphasis, link, attribute list,
  heading, HTML tag or extension syntax can start, and the browser shows the same characters;
- a URL is parsed and allowed only with the schemes in URL_SCHEMES and without characters that
  end a Markdown link or an HTML attribute (`check_url`), and is written as an escaped href.

The texts that are Markdown on purpose (a definition, facts, the committed explanations) are
rendered on their own and sanitised by nh3 (see texts/sanitize.py); they are not this module's business.
"""

from __future__ import annotations

import html as _html
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, the bidirectional overrides
# and isolates (text that reads one way and runs another), and a byte order mark inside a value.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_NOT_ONE_LINE = re.compile(f"[\n\t{_CONTROL}]")
_NOT_TEXT = re.compile(f"[{_CONTROL}]")
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation character

URL_SCHEMES = ("https", "http", "mailto")
_URL_FORBIDDEN = re.compile(r"[\s()\[\]{}<>\"'`\\^|]")

# Length limits, in characters: generous for any real glossary, small enough that no field can
# slow a build down or crowd a page.
NAME_MAX = 200  # a title, an alias, a persona's name, a source's title
SENTENCE_MAX = 400  # a summary
LINE_MAX = 1000  # a fact, a misconception, a persona's description, an analogy
PARAGRAPH_MAX = 10_000  # a definition, a persona's background
URL_MAX = 2000
LIST_MAX = 50  # items in any list of a concept or persona file
FACTS_MAX = 50


def describe(char: str) -> str:
    """A character as people can find it in an editor: U+000A LINE FEED."""
    import unicodedata

    name = unicodedata.name(char, "")
    if not name:
        name = {"\n": "LINE FEED", "\t": "TAB", "\r": "CARRIAGE RETURN", "\x00": "NULL"}.get(char, "control character")
    return f"U+{ord(char):04X} {name}"


def quoted(value: str, limit: int = 60) -> str:
    """A value as a message quotes it, cut to about `limit` characters."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value):,} characters)"


def one_line(value: str) -> str:
    """A one-line field: no line break, tab or control character."""
    bad = _NOT_ONE_LINE.search(value)
    if bad:
        raise ValueError(
            f"must be one line of plain text, but {quoted(value)} holds {describe(bad.group())} (character {bad.start() + 1})"
        )
    return value


def text(value: str) -> str:
    """A multi-line field: line breaks and tabs allowed, other control characters not."""
    bad = _NOT_TEXT.search(value)
    if bad:
        raise ValueError(
            f"must be plain text, but {quoted(value)} holds {describe(bad.group())} (character {bad.start() + 1})"
        )
    return value


def check_url(value: str) -> str:
    """A link a page may carry: https, http or mailto, nothing that ends a link or an attribute."""
    bad = _URL_FORBIDDEN.search(value) or _NOT_TEXT.search(value)
    if bad:
        shown = describe(bad.group()) if not bad.group().isprintable() or bad.group().isspace() else repr(bad.group())
        raise ValueError(
            f"bad URL {quoted(value)}: it must not contain {shown} (spaces, quotes, brackets, braces and parentheses end a link); percent-encode it"
        )
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise ValueError(f"bad URL {quoted(value)}: it must start with http://, https:// or mailto:")
    if scheme != "mailto" and not (parts.netloc and parts.hostname):
        raise ValueError(f"bad URL {quoted(value)}: it names no host")
    if scheme == "mailto" and not parts.path:
        raise ValueError(f"bad URL {quoted(value)}: it names no address")
    return value


def Line(max_length: int = LINE_MAX):  # noqa: N802 - a type, as pydantic spells them
    """A required one-line field of at most max_length characters."""
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length), AfterValidator(one_line)
    ]


def Paragraphs(max_length: int = PARAGRAPH_MAX):  # noqa: N802
    """A required field that may span lines."""
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length), AfterValidator(text)
    ]


Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=URL_MAX), AfterValidator(check_url)
]


def html(value: object) -> str:
    """Text for HTML, in an element or in a double- or single-quoted attribute."""
    return _html.escape(str(value), quote=True)


def markdown(value: object) -> str:
    """Text for a line of Markdown that the page parses: inert, shown as written.

    Every ASCII punctuation character becomes a numeric character reference, which Markdown
    (Python-Markdown with any extension) passes through as it is and the browser shows as the
    character; line breaks and control characters become spaces."""
    flat = _NOT_ONE_LINE.sub(" ", str(value))
    return _PUNCTUATION.sub(lambda m: f"&#{ord(m.group())};", flat)


_REFERENCE = re.compile(r"&#(3[3-9]|4[0-7]|5[89]|6[0-4]|9[1-6]|12[3-6]);")


def tidy(rendered: str) -> str:
    """HTML rendered from `markdown` text with its references to ASCII punctuation turned back into
    characters (`&#46;` into `.`; `&#60;` into `&lt;`): the same page, as people read its source.

    For HTML outside `<script>` and `<style>` only, where a reference and its character are one."""
    return _REFERENCE.sub(lambda m: html(chr(int(m.group(1)))), rendered)


def href(url: str) -> str:
    """A checked URL as an attribute value (escaped); an unchecked one never reaches a page."""
    return html(check_url(url))
