"""Cleaning imported Markdown: links rewritten, Liquid and Hugo shortcodes resolved, code and math kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from generator.importer.read import _normalise_text, slugify

# Path segments that mark a site-relative link as a link to a glossary term.
_TERM_DIRS = {"terms", "term", "glossary", "concepts", "_terms", "_glossary", "_concepts"}


# --------------------------------------------------------------------------- #
# Markdown cleaning
# --------------------------------------------------------------------------- #

_PH_OPEN, _PH_CLOSE = "\ue000", "\ue001"
_PH_RE = re.compile(_PH_OPEN + r"(\d+)" + _PH_CLOSE)


class _Protector:
    """Replaces spans that must be kept verbatim (code, math) by placeholders."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def hide(self, text: str) -> str:
        self.spans.append(text)
        return f"{_PH_OPEN}{len(self.spans) - 1}{_PH_CLOSE}"

    def sub(self, pattern: re.Pattern[str], text: str) -> str:
        return pattern.sub(lambda m: self.hide(m.group(0)), text)

    def restore(self, text: str, transform: Callable[[str], str] | None = None) -> str:
        for _ in range(5):  # spans may nest (code inside math etc.)
            if _PH_OPEN not in text:
                break
            text = _PH_RE.sub(lambda m: (transform or (lambda s: s))(self.spans[int(m.group(1))]), text)
        return text


def _protect_fenced(text: str, prot: _Protector) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", lines[i])
        if m and not (m.group(1)[0] == "`" and "`" in lines[i][m.end() :]):
            fence = m.group(1)
            j = i + 1
            close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
            while j < len(lines) and not close.match(lines[j]):
                j += 1
            out.append(prot.hide("\n".join(lines[i : j + 1])))
            i = j + 1
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)\1(?!`)", re.S)
_MATH = [
    re.compile(r"\$\$.+?\$\$", re.S),
    re.compile(r"\\\[.+?\\\]", re.S),
    re.compile(r"\\\((?:(?!\n[ \t]*\n).)+?\\\)", re.S),
    re.compile(r"(?<![\\$\w])\$(?=[^\s$])(?:[^$\\\n]|\\.|\n(?![ \t]*\n))+?(?<=[^\s\\])\$(?![\d$])"),
]
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LIQUID_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_LIQUID_HIGHLIGHT = re.compile(
    r"\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}\n?(.*?)\n?\{%-?\s*endhighlight\s*-?%\}", re.S
)
_LIQUID_PATH_TAG = re.compile(r"\{%-?\s*(?:link|post_url|include_relative)\s+(\S+?)\s*-?%\}")
_LIQUID_TAG = re.compile(r"\{%-?\s*[A-Za-z_][^%]*?-?%\}")
_LIQUID_OUT = re.compile(r"\{\{-?\s*[A-Za-z_][\w.]*(?:\s*\|[^{}]*?)?\s*-?\}\}")
_SHORTCODE = re.compile(r"\{\{([<%])\s*(/?)\s*([\w./-]+)(.*?)\s*[>%]\}\}", re.S)
_TOOLTIP_LIQUID = re.compile(r"\{%-?\s*glossary_tooltip\b(.*?)-?%\}", re.S)
_ATTR = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|(\S+))")
_REFDEF = re.compile(
    r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?([^\s>]*)>?"
    r"(?:[ \t]+(?:\"([^\"\n]*)\"|'([^'\n]*)'|\(([^)\n]*)\)))?[ \t]*(?:\n|\Z)",
    re.M,
)
_FIGURE = re.compile(r"<figure\b[^>]*>.*?</figure>", re.S | re.I)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_HTML_LINK = re.compile(r"<a\s[^>]*?href\s*=\s*[\"']([^\"']*)[\"'][^>]*>(.*?)</a>", re.S | re.I)


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(text)}


def _label_key(label: str) -> str:
    return " ".join(label.casefold().split())


def _img_src_is_local(tag: str) -> bool:
    m = re.search(r"\bsrc\s*=\s*[\"']?([^\"'\s>]*)", tag, re.I)
    return bool(m) and not re.match(r"(https?:|data:)", m.group(1), re.I)


def _find_closing_bracket(text: str, start: int) -> int:
    """Index of the ``]`` matching ``text[start] == '['`` (-1 if none)."""
    depth = 0
    i = start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i
        elif c == "\n" and text.startswith("\n", i + 1):
            return -1  # links do not span paragraphs
        i += 1
    return -1


def _parse_inline_dest(text: str, start: int) -> tuple[str, str | None, int] | None:
    """Parse ``(url "title")`` at ``text[start] == '('``; return (url, title, end index)."""
    i = start + 1
    n = len(text)
    while i < n and text[i] in " \t\n":
        i += 1
    if i < n and text[i] == "<":
        j = text.find(">", i)
        if j < 0:
            return None
        url, i = text[i + 1 : j], j + 1
    else:
        depth, j = 0, i
        while j < n:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c in " \t\n":
                break
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        url, i = text[i:j], j
    while i < n and text[i] in " \t\n":
        i += 1
    title = None
    if i < n and text[i] in "\"'(":
        closer = ")" if text[i] == "(" else text[i]
        j = text.find(closer, i + 1)
        if j < 0:
            return None
        title, i = text[i + 1 : j], j + 1
        while i < n and text[i] in " \t\n":
            i += 1
    if i < n and text[i] == ")":
        return url, title, i + 1
    return None


def _rewrite_links(
    text: str,
    refdefs: dict[str, tuple[str, str | None]],
    resolve: Callable[[bool, str, str, str | None], str],
    warn: Callable[[str], None],
) -> str:
    """Rewrite every Markdown link/image through ``resolve(is_image, text, url, title)``."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(text[i : i + 2])
            i += 2
            continue
        is_image = c == "!" and text.startswith("[", i + 1)
        if c != "[" and not is_image:
            out.append(c)
            i += 1
            continue
        open_at = i + 1 if is_image else i
        close = _find_closing_bracket(text, open_at)
        if close < 0:
            out.append(text[i : open_at + 1])
            i = open_at + 1
            continue
        inner = text[open_at + 1 : close]
        after = close + 1
        link: tuple[str, str | None] | None = None
        end = after
        if after < n and text[after] == "(":
            parsed = _parse_inline_dest(text, after)
            if parsed:
                link, end = (parsed[0], parsed[1]), parsed[2]
        elif after < n and text[after] == "[" and "]" in text[after:]:
            j = text.index("]", after)
            label = text[after + 1 : j]
            if "\n\n" not in label and "[" not in label:
                key = _label_key(label or inner)
                if key in refdefs:
                    link, end = refdefs[key], j + 1
                elif re.match(r"(https?://|/|\./|\.\./)", label.strip()):
                    link, end = (label.strip(), None), j + 1
                elif (
                    label
                    and re.search(r"[^\W\d_]", inner)
                    and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_)]"))
                ):
                    warn(f"undefined link reference [{label}] for {inner!r}; kept the text only")
                    out.append(_rewrite_links(inner, refdefs, resolve, warn))
                    i = j + 1
                    continue
        elif _label_key(inner) in refdefs and not inner.startswith("^"):
            link = refdefs[_label_key(inner)]
        if link is None:
            out.append(text[i : open_at + 1])
            i = open_at + 1
            continue
        label_text = _rewrite_links(inner, refdefs, resolve, warn)
        out.append(resolve(is_image, label_text, link[0].strip(), link[1]))
        i = end
    return "".join(out)


def _format_link(is_image: bool, text: str, url: str, title: str | None) -> str:
    if re.search(r"\s", url) or url.count("(") != url.count(")"):
        url = f"<{url}>"
    if title:
        quote = '"' if '"' not in title else "'"
        url = f"{url} {quote}{title}{quote}"
    return f"{'!' if is_image else ''}[{text}]({url})"


class _Context:
    """What is known about all terms of the import (for links and related)."""

    def __init__(self) -> None:
        self.slugs: set[str] = set()  # every term file of the source (incl. stubs)
        self.existing: set[str] = set()  # concepts already in concepts_dir
        self.ids: dict[str, str] = {}  # Hugo ``id`` -> slug
        self.redirects: dict[str, str] = {}  # slug -> destination slug
        self.titles: dict[str, str] = {}

    def canon(self, slug: str) -> str:
        slug = slugify(slug)
        if slug not in self.slugs and slug not in self.existing and slug in self.ids:
            slug = self.ids[slug]
        seen = set()
        while slug in self.redirects and slug not in seen:
            seen.add(slug)
            slug = self.redirects[slug]
        return slug

    def known(self, slug: str) -> bool:
        return slug in self.slugs or slug in self.existing or slug in self.ids or slug in self.redirects

    def term_from_url(self, url: str) -> tuple[str | None, bool]:
        """(slug, is_term_link) for a site-relative URL."""
        path = re.split(r"[?#]", url, maxsplit=1)[0]
        relative = not path.startswith("/")
        segments = [s for s in path.split("/") if s and s not in (".", "..")]
        if not segments:
            return None, False
        last = re.sub(r"\.(md|markdown|html?)$", "", segments[-1], flags=re.I)
        if last.lower() in ("index", "_index") and len(segments) > 1:
            segments = segments[:-1]
            last = segments[-1]
        slug = slugify(last)
        if not slug:
            return None, False
        termish = (
            (len(segments) >= 2 and segments[-2].lower() in _TERM_DIRS)
            or (relative and len(segments) == 1)
            or bool(re.search(r"\.(md|markdown)$", path, re.I))
        )
        return slug, termish or self.known(slug)


@dataclass
class _Cleaned:
    markdown: str
    links: list[str]  # term slugs linked from the text, in order
    warnings: list[str]


def _clean_markdown(text: str, ctx: _Context, *, self_slug: str = "") -> _Cleaned:
    """Turn a source body into a self-contained Markdown definition."""
    warnings: list[str] = []
    links: list[str] = []
    prot = _Protector()
    text = _normalise_text(text)

    text = _LIQUID_HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}\n```", text)
    text = _protect_fenced(text, prot)
    text = prot.sub(_CODE_SPAN, text)
    text = _HTML_COMMENT.sub("", text)
    text = _LIQUID_COMMENT.sub("", text)

    def tooltip(attrs: dict[str, str]) -> str:
        term = attrs.get("term_id") or attrs.get("id") or ""
        slug = ctx.canon(term) if term else ""
        label = attrs.get("text") or ctx.titles.get(slug) or term.replace("-", " ").replace("_", " ")
        return f"[{label}](glossary-term:{term})" if term else label

    text = _TOOLTIP_LIQUID.sub(lambda m: tooltip(_attrs(m.group(1))), text)
    text = _LIQUID_PATH_TAG.sub(lambda m: m.group(1).strip("\"'"), text)
    text = _LIQUID_TAG.sub("", text)

    def shortcode(m: re.Match[str]) -> str:
        closing, name, rest = m.group(2), m.group(3).lower(), m.group(4)
        if closing:
            return ""
        attrs = _attrs(rest)
        if name == "glossary_tooltip":
            return tooltip(attrs)
        if name in ("ref", "relref"):
            args = re.findall(r"\"([^\"]*)\"|'([^']*)'|(\S+)", rest.strip())
            return next((a or b or c for a, b, c in args), "")
        if name == "link" and attrs.get("url"):
            return f"[{attrs.get('text') or attrs['url']}]({attrs['url']})"
        return ""

    text = _SHORTCODE.sub(shortcode, text)
    for pattern in _MATH:
        text = prot.sub(pattern, text)
    text = _LIQUID_OUT.sub("", text)

    def figure(m: re.Match[str]) -> str:
        imgs = _IMG_TAG.findall(m.group(0))
        if any(_img_src_is_local(t) for t in imgs):
            warnings.append("removed a figure whose images are site-relative")
            return ""
        return m.group(0)

    text = _FIGURE.sub(figure, text)

    def img(m: re.Match[str]) -> str:
        if _img_src_is_local(m.group(0)):
            warnings.append("removed a site-relative <img>")
            return ""
        return m.group(0)

    text = _IMG_TAG.sub(img, text)

    refdefs: dict[str, tuple[str, str | None]] = {}

    def refdef(m: re.Match[str]) -> str:
        key = _label_key(m.group(1))
        if key.startswith("^"):  # footnote definition, not a link
            return m.group(0)
        title = next((g for g in m.groups()[2:] if g is not None), None)
        if key in refdefs:
            warnings.append(f"duplicate link reference [{m.group(1)}] ignored")
        else:
            refdefs[key] = (m.group(2), title)
        return ""

    text = _REFDEF.sub(refdef, text)

    def resolve(is_image: bool, label: str, url: str, title: str | None) -> str:
        if is_image:
            if re.match(r"(https?:|data:)", url, re.I):
                return _format_link(True, label, url, title)
            warnings.append(f"removed site-relative image {url}")
            return ""
        if url.startswith("glossary-term:"):
            slug = ctx.canon(url.split(":", 1)[1])
            if slug:
                links.append(slug)
            return label
        if re.match(r"[a-z][a-z0-9+.-]*:", url, re.I):  # http, https, ftp, mailto...
            return _format_link(False, label, url, title)
        if not url or url.startswith("#"):
            return label
        slug, is_term = ctx.term_from_url(url)
        if slug and is_term:
            links.append(ctx.canon(slug))
        return label

    text = _rewrite_links(text, refdefs, resolve, warnings.append)
    text = _HTML_LINK.sub(
        lambda m: (
            m.group(0)
            if re.match(r"[a-z][a-z0-9+.-]*:", m.group(1), re.I)
            else resolve(False, m.group(2), m.group(1), None)
        ),
        text,
    )
    # Tidy (placeholders hide code/math, so their blank lines are untouched).
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    text = prot.restore(text)
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    links = [s for s in links if s and s != self_slug]
    return _Cleaned(text, links, warnings)
