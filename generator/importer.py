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
``facts`` (key facts have to be written by a person).  The public API is
:func:`import_glossary`, :class:`ImportReport`, :class:`GlossaryImportError`
and the click command :data:`import_command`.
"""

from __future__ import annotations

import html
import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import click
import yaml

from .store import atomic_write

__all__ = [
    "GlossaryImportError",
    "ImportReport",
    "detect_attribution",
    "import_command",
    "import_glossary",
    "slugify",
]

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

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
MIN_WORDS = 8
SUMMARY_MAX = 300

# Files in a glossary directory that are about the glossary, not terms in it.
_NON_TERM_STEMS = {
    "readme", "license", "licence", "copying", "source", "sources", "contributing",
    "changelog", "changes", "code_of_conduct", "code-of-conduct", "authors",
    "notice", "index", "_index", "security",
}
# Path segments that mark a site-relative link as a link to a glossary term.
_TERM_DIRS = {"terms", "term", "glossary", "concepts", "_terms", "_glossary", "_concepts"}


class GlossaryImportError(Exception):
    """The source glossary cannot be imported at all (nothing was written)."""


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
# Small helpers
# --------------------------------------------------------------------------- #


def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens (``""`` if nothing is left)."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _norm_key(text: str) -> str:
    """Key for case-insensitive title/alias comparison."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _one_line(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _is_http(url: Any) -> bool:
    return isinstance(url, str) and re.match(r"https?://[^\s/]+", url.strip(), re.I) is not None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\ue000-\uf8ff]")


def _normalise_text(text: str) -> str:
    """Unix newlines, no tabs, no control/private-use characters (keeps YAML block style)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    text = text.expandtabs(4)
    return _CONTROL.sub("", text)


# --------------------------------------------------------------------------- #
# Reading source files
# --------------------------------------------------------------------------- #

_YAML_FM = re.compile(r"\A---[ \t]*\n(?:(.*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_TOML_FM = re.compile(r"\A\+\+\+[ \t]*\n(?:(.*?)\n)?\+\+\+[ \t]*(?:\n|\Z)", re.S)


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front matter, body).  Raises ValueError on unparseable front matter."""
    m = _YAML_FM.match(text)
    if m:
        try:
            data = yaml.safe_load(m.group(1) or "") or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"invalid YAML front matter: {_one_line(exc)[:160]}") from None
        if not isinstance(data, dict):
            raise ValueError("front matter is not a mapping")
        return data, text[m.end():]
    m = _TOML_FM.match(text)
    if m:
        try:
            return tomllib.loads(m.group(1) or ""), text[m.end():]
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"invalid TOML front matter: {_one_line(exc)[:160]}") from None
    # Old Jekyll-era glossaries sometimes keep a bare YAML mapping in a .md file.
    if re.match(r"\A\s*title\s*:", text):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict) and "title" in data:
            return data, ""
    return {}, text


def _read_text(path: Path, warnings: list[str]) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append(f"{path.name}: not valid UTF-8, decoded as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def _fm(fm: dict[str, Any], *names: str) -> Any:
    """First present front-matter value among ``names`` (also tries ``-``/``_`` variants)."""
    for name in names:
        for key in (name, name.replace("_", "-"), name.replace("-", "_")):
            if key in fm and fm[key] not in (None, "", []):
                return fm[key]
    return None


# --------------------------------------------------------------------------- #
# Attribution
# --------------------------------------------------------------------------- #

_KNOWN_LICENCES: dict[str, tuple[str, str]] = {
    "cc0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "mit": ("MIT", "https://opensource.org/license/mit/"),
    "apache-2.0": ("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    "apache 2.0": ("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    "gfdl": ("GFDL 1.3", "https://www.gnu.org/licenses/fdl-1.3.html"),
}


def _cc_licence(code: str, version: str) -> tuple[str, str]:
    code = code.lower()
    return f"CC {code.upper()} {version}", f"https://creativecommons.org/licenses/{code}/{version}/"


def _parse_licence(text: str) -> tuple[str | None, str | None]:
    """(name, url) of a licence mentioned in ``text`` (a file or a --licence value)."""
    m = re.search(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)", text, re.I)
    if m:
        return _cc_licence(m.group(1), m.group(2))
    if re.search(r"creativecommons\.org/publicdomain/zero", text, re.I):
        return _KNOWN_LICENCES["cc0"]
    m = re.search(
        r"\bCC[ -]?(BY(?:[ -](?:SA|NC|ND))*)[ -]?(\d\.\d)\b", text, re.I
    ) or re.search(
        r"Creative\s+Commons\s+(Attribution(?:[- ](?:ShareAlike|NonCommercial|NoDerivatives|NoDerivs))*)"
        r"\s+(\d\.\d)",
        text,
        re.I,
    )
    if m:
        words = re.split(r"[- ]+", m.group(1).lower())
        parts = {"by": "by", "attribution": "by", "sa": "sa", "sharealike": "sa", "nc": "nc",
                 "noncommercial": "nc", "nd": "nd", "noderivatives": "nd", "noderivs": "nd"}
        code = "-".join(parts[w] for w in words if w in parts)
        return _cc_licence(code, m.group(2))
    if re.search(r"\bCC0\b|CC Zero|Public Domain Dedication", text, re.I):
        return _KNOWN_LICENCES["cc0"]
    if re.search(r"\bMIT License\b|^\s*MIT\s*$", text, re.I | re.M):
        return _KNOWN_LICENCES["mit"]
    if re.search(r"Apache License,?\s+Version 2\.0|\bApache[- ]2\.0\b", text, re.I):
        return _KNOWN_LICENCES["apache-2.0"]
    if re.search(r"GNU Free Documentation License", text, re.I):
        return _KNOWN_LICENCES["gfdl"]
    return None, None


def _split_name_url(value: str) -> tuple[str | None, str | None]:
    """``"Name <url>"``, ``"Name (url)"``, ``"url"`` or ``"Name"`` -> (name, url)."""
    value = value.strip()
    m = re.search(r"https?://[^\s<>()]+", value)
    if not m:
        return (value or None), None
    url = m.group(0).rstrip(".,;")
    name = (value[: m.start()] + value[m.end():]).strip(" \t<>()[]-–—,:")
    return (name or None), url


def _attribution_files(source: Path) -> list[Path]:
    files: list[Path] = []
    for directory in (source, source.parent):
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for p in entries:
            stem = p.stem.lower() if p.suffix.lower() in ("", ".md", ".txt", ".markdown", ".rst") else ""
            if stem in ("source", "sources", "license", "licence", "copying", "readme", "notice") and p.is_file():
                files.append(p)
    return files


def detect_attribution(source: Path) -> dict[str, str | None]:
    """Find the origin glossary and its licence from SOURCE.md / LICENSE* / README*.

    Looks in ``source`` and its parent.  Returns a dict with ``name``, ``url``
    (repository or site), ``licence`` and ``licence_url`` (each may be None).
    """
    info: dict[str, str | None] = {"name": None, "url": None, "licence": None, "licence_url": None}
    texts: list[tuple[str, str]] = []
    for p in _attribution_files(source):
        try:
            texts.append((p.stem.lower(), p.read_text(encoding="utf-8", errors="replace")[:200_000]))
        except OSError:
            continue
    order = {"source": 0, "sources": 0, "notice": 1, "readme": 2, "license": 3, "licence": 3, "copying": 3}
    texts.sort(key=lambda t: order.get(t[0], 9))

    for _, text in texts:  # explicit credit line first ("must credit "X"")
        m = re.search(r"credit\s+(?:the\s+)?[\"“]([^\"”\n]{2,100})[\"”]", text, re.I)
        if m:
            info["name"] = m.group(1).strip()
            break
    if not info["name"]:
        for stem, text in texts:
            m = re.search(r"content of (?:the )?(.{2,100}?) is licen[sc]ed", text, re.I)
            if m:
                info["name"] = _one_line(m.group(1))
                break
    if not info["name"]:
        for stem, text in texts:
            m = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.M)
            if m and stem not in ("license", "licence", "copying"):
                info["name"] = re.sub(r"\s*\([^)]*\)\s*$", "", m.group(1)).strip() or None
                break

    for stem, text in texts:  # repository / site URL
        if stem in ("license", "licence", "copying"):
            continue
        m = re.search(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|codeberg\.org)/[\w.-]+/[\w.-]+", text)
        if m:
            info["url"] = re.sub(r"(\.git)?[.,;:)]*$", "", m.group(0))
            break
        m = re.search(r"(GitHub|GitLab)?\s*repository\s+`?([A-Za-z0-9][\w.-]*/[\w.-]*[A-Za-z0-9])`?", text, re.I)
        if m:
            host = "gitlab.com" if (m.group(1) or "").lower() == "gitlab" else "github.com"
            info["url"] = f"https://{host}/{m.group(2)}"
            break

    for stem, text in sorted(texts, key=lambda t: 0 if t[0] in ("license", "licence", "copying") else 1):
        name, url = _parse_licence(text)
        if name:
            info["licence"], info["licence_url"] = name, url
            break
    return info


def _attribution_source(
    source: Path, origin: str | None, licence: str | None, warnings: list[str]
) -> dict[str, str] | None:
    detected = detect_attribution(source)
    name, url = _split_name_url(origin) if origin else (detected["name"], detected["url"])
    if origin and not url and detected["name"] and name and _norm_key(name) == _norm_key(detected["name"]):
        url = detected["url"]
    if licence:
        lic_name, lic_url = _split_name_url(licence)
        known_name, known_url = _parse_licence(licence)
        lic_name = lic_name or known_name
        if not lic_url:
            lic_url = known_url or _KNOWN_LICENCES.get((lic_name or "").lower(), (None, None))[1]
    else:
        lic_name, lic_url = detected["licence"], detected["licence_url"]
    if not name:
        generic = {"terms", "term", "glossary", "content", "docs", "_terms", "_glossary", "en"}
        base = source.parent if source.name.lower() in generic else source
        name = base.name.replace("-", " ").replace("_", " ").strip().title() or "imported glossary"
        warnings.append(f"origin glossary not found in SOURCE.md/README; using {name!r} (pass --origin)")
    if not lic_name:
        warnings.append("licence of the origin glossary not found (pass --licence)")
    link = url or lic_url
    if not link:
        warnings.append("no URL for the origin glossary or its licence; no attribution source added")
        return None
    title = f"Adapted from {name}"
    if lic_name:
        title += f", licensed under {lic_name}"
        if lic_url and lic_url != link:
            title += f" ({lic_url})"
    else:
        title += " (licence unknown)"
    return {"title": title, "url": link}


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
            text = _PH_RE.sub(
                lambda m: (transform or (lambda s: s))(self.spans[int(m.group(1))]), text
            )
        return text


def _protect_fenced(text: str, prot: _Protector) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", lines[i])
        if m and not (m.group(1)[0] == "`" and "`" in lines[i][m.end():]):
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
                elif label and re.search(r"[^\W\d_]", inner) and (
                    i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_)]")
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
        lambda m: m.group(0)
        if re.match(r"[a-z][a-z0-9+.-]*:", m.group(1), re.I)
        else resolve(False, m.group(2), m.group(1), None),
        text,
    )
    # Tidy (placeholders hide code/math, so their blank lines are untouched).
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    text = prot.restore(text)
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    links = [s for s in links if s and s != self_slug]
    return _Cleaned(text, links, warnings)


# --------------------------------------------------------------------------- #
# Plain text, sentences, stubs
# --------------------------------------------------------------------------- #

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
    "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω",
}
_TEX_SYMBOLS = {
    "times": "×", "cdot": "·", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠",
    "ne": "≠", "approx": "≈", "sim": "~", "infty": "∞", "in": "∈", "notin": "∉", "subset": "⊂",
    "subseteq": "⊆", "cup": "∪", "cap": "∩", "sum": "∑", "prod": "∏", "int": "∫",
    "partial": "∂", "nabla": "∇", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "mapsto": "↦", "pm": "±", "ldots": "…", "cdots": "…", "dots": "…",
    "forall": "∀", "exists": "∃", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉",
    "langle": "⟨", "rangle": "⟩", "mid": "|", "vert": "|", "lVert": "‖", "rVert": "‖",
    "log": "log", "exp": "exp", "max": "max", "min": "min", "arg": "arg", "sqrt": "√",
}


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789T", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ")


def _latex_plain(tex: str) -> str:
    """Rough plain-text rendering of a LaTeX math snippet (for summaries)."""
    tex = re.sub(r"^\$+|\$+$|^\\[(\[]|\\[)\]]$", "", tex.strip()).strip()
    tex = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", tex)
    tex = re.sub(r"\\frac\s*(\w)\s*(\w)", r"\1/\2", tex)
    tex = re.sub(r"_\{?(\d+)\}?", lambda m: m.group(1).translate(_SUBSCRIPTS), tex)
    tex = re.sub(r"\^\{?([\dT])\}?", lambda m: m.group(1).translate(_SUPERSCRIPTS), tex)
    tex = re.sub(
        r"\\(?:mathbf|mathrm|mathit|mathcal|mathbb|mathsf|boldsymbol|text|textbf|textit|operatorname|emph|hat|bar|tilde|vec)\s*",
        "",
        tex,
    )
    tex = re.sub(r"\\(left|right|big|Big|bigg|Bigg)\b", "", tex)
    tex = re.sub(r"\\[,;:! ]|\\q?quad\b", " ", tex)
    tex = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK.get(m.group(1), _TEX_SYMBOLS.get(m.group(1), m.group(1))), tex)
    tex = tex.replace("\\{", "{").replace("\\}", "}").replace("{", "").replace("}", "")
    return " ".join(tex.split())


def _to_plain(md: str, *, keep_display_math: bool = False, keep_code_blocks: bool = False) -> str:
    """Strip Markdown/HTML/LaTeX markup from a (cleaned) Markdown fragment."""
    prot = _Protector()
    text = _normalise_text(md)
    text = _protect_fenced(text, prot)
    # fenced blocks -> their content (or nothing)
    text = _PH_RE.sub(
        lambda m: ("\n".join(prot.spans[int(m.group(1))].split("\n")[1:-1]) if keep_code_blocks else ""),
        text,
    )
    prot = _Protector()
    text = prot.sub(_CODE_SPAN, text)
    text = _HTML_COMMENT.sub("", text)
    for pattern in _MATH:
        text = prot.sub(pattern, text)
    text = re.sub(r"!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\((?:[^()]|\([^()]*\))*\)", r"\1", text)  # links
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)  # autolinks
    text = re.sub(r"<[^>\n]+>", "", text)  # HTML tags
    text = re.sub(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", r"\1", text, flags=re.M)
    text = re.sub(r"^\s*(?:>\s?)+", "", text, flags=re.M)
    text = re.sub(r"^\s*(?:[*+-]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|?)+\s*$", "", text, flags=re.M)  # table rules
    for _ in range(2):
        text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text, flags=re.S)
        text = re.sub(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])", r"\1", text, flags=re.S)
        text = re.sub(r"(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])", r"\1", text, flags=re.S)
        text = re.sub(r"~~(?=\S)(.+?)(?<=\S)~~", r"\1", text, flags=re.S)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!>|$~])", r"\1", text)

    def restore(span: str) -> str:
        if span.startswith("`"):
            return span.strip("`").strip()
        if span.startswith("$$") or span.startswith("\\["):
            return _latex_plain(span) if keep_display_math else ""
        return _latex_plain(span)

    text = prot.restore(text, restore)
    text = html.unescape(text)
    return " ".join(text.split())


_ABBREVIATIONS = {
    "e.g", "i.e", "vs", "cf", "al", "fig", "figs", "eq", "eqs", "dr", "mr", "mrs", "ms", "prof",
    "st", "no", "nos", "approx", "resp", "inc", "ltd", "jr", "sr", "ca", "viz", "ref", "refs",
    "sec", "ch", "vol", "pp", "p", "aka", "min", "max", "est", "dept", "univ",
}


def first_sentence(text: str) -> str:
    """The first sentence of plain ``text`` (all of it if no sentence boundary is found)."""
    for m in re.finditer(r"[.!?…]+[\"'”’)\]]*(?=\s|$)", text):
        end = m.end()
        rest = text[end:].lstrip()
        before = text[: m.start()]
        word_m = re.search(r"([A-Za-z][A-Za-z.,]*)$", before)
        word = word_m.group(1) if word_m else ""
        if m.group(0).startswith(".") and word:
            w = word.lower().rstrip(".")
            if w in _ABBREVIATIONS or re.search(r"[.,]", w):  # e.g. / i.e. / U.S. / e,g.
                continue
            if w == "etc" and rest[:1].islower():
                continue
            if re.fullmatch(r"[A-Z]", word):  # an initial ("Diederik P. Kingma")?
                prev = re.search(r"(\S+)\s+[A-Z]$", before)
                if prev and prev.group(1)[:1].isupper() and rest[:1].isupper():
                    continue
        if rest and not (
            re.match(r"[\"'“‘(]?[A-Z0-9\u00C0-\u00DE]", rest)
            or re.match(r"[a-z]+[A-Z0-9]", rest)  # a lowercase name such as doc2vec / fastText
        ):
            continue
        return text[:end].strip()
    return text.strip()


def _blocks(md: str) -> list[str]:
    """Top-level Markdown blocks (paragraphs, headings, ...) of a cleaned definition."""
    prot = _Protector()
    text = _protect_fenced(_normalise_text(md), prot)
    text = prot.sub(_MATH[0], text)
    text = re.sub(r"^( {0,3}#{1,6}[ \t].*)$", r"\n\1\n", text, flags=re.M)  # headings stand alone
    return [prot.restore(b).strip() for b in re.split(r"\n[ \t]*\n", text) if b.strip()]


_LIST_ITEM = re.compile(r"(?:[*+-]|\d+[.)])\s")
_DISPLAY_MATH_START = re.compile(r"\$\$|\\\[")


def _list_items(block: str) -> list[str]:
    items = re.split(r"(?m)^\s*(?:[*+-]|\d+[.)])\s+", block)
    return [_to_plain(i).rstrip(" .;,") for i in items if i.strip()]


def _lower_first(text: str) -> str:
    if re.match(r"[A-Z](?:[a-z]|\s)", text) and not re.match(r"I\b", text):
        return text[0].lower() + text[1:]
    return text


def _summary_from_markdown(md: str) -> str:
    blocks = _blocks(md)
    sentence = ""
    for i, block in enumerate(blocks):
        if re.match(r"(#{1,6}\s|```|~~~|<|\$\$|\\\[|!\[|\|)", block) or _LIST_ITEM.match(block):
            continue  # heading, code, HTML, display math, image, table, list
        cut = _DISPLAY_MATH_START.search(block)  # a summary stops before display math
        text = block[: cut.start()] if cut else block
        without_math = _to_plain(re.sub(r"\$[^$]*\$|\\\(.*?\\\)", " ", text))
        if len(_WORD.findall(without_math)) < 3:
            continue  # only math (e.g. a \newcommand line)
        sentence = first_sentence(_to_plain(text))
        if sentence.endswith(":") and i + 1 < len(blocks):
            nxt = blocks[i + 1]
            if nxt.startswith(">"):
                quoted = first_sentence(_to_plain(_DISPLAY_MATH_START.split(nxt)[0]))
                if len(quoted.split()) >= 4:
                    sentence = quoted
            elif _LIST_ITEM.match(nxt):  # "X is when:" + a short list -> one sentence
                items: list[str] = []
                for following in blocks[i + 1 :]:
                    if not _LIST_ITEM.match(following):
                        break
                    items.extend(x for x in _list_items(following) if x)
                joined = sentence + " " + "; ".join(_lower_first(x) for x in items) + "."
                if items and len(joined) <= SUMMARY_MAX and all(first_sentence(x) == x for x in items):
                    sentence = joined
        break
    return _finish_summary(sentence)


_TRAILING_INTRO = re.compile(
    r"(?:[,;:]?\s*\b(?:e\.?,?\s?g\.?|i\.?,?\s?e\.?|for example|for instance|such as|as follows|namely))?"
    r"\s*[,;:]+$",
    re.I,
)


def _finish_summary(sentence: str) -> str:
    sentence = " ".join(sentence.split()).strip()
    if not sentence:
        return ""
    if len(sentence) > SUMMARY_MAX:
        cut = sentence[: SUMMARY_MAX - 1]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
        return cut.rstrip(" ,;:-–—(") + "…"
    sentence = _TRAILING_INTRO.sub("", sentence).rstrip()
    if not re.search(r"[.!?…][\"'”’)\]]*$", sentence):
        sentence += "."
    return _one_sentence_guard(sentence)


_VALIDATOR_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|et al|etc|vs|cf|Dr|Mr|Ms|No|Fig)\.", re.I)


def _one_sentence_guard(sentence: str) -> str:
    """Make sure no ". Capitalised" sequence makes the summary look like two sentences."""
    # "Diederik P. Kingma" -> "Diederik P Kingma" (initials, not sentence ends)
    sentence = re.sub(r"(?<=\b[A-Z][a-z]) ([A-Z])\.\s+(?=[A-Z][a-z])|(?<=[a-z]) ([A-Z])\.\s+(?=[A-Z][a-z])",
                      lambda m: f" {m.group(1) or m.group(2)} ", sentence)
    masked = _VALIDATOR_ABBREVIATIONS.sub(lambda m: "x" * len(m.group(0)), sentence)
    m = re.search(r"[.!?]\s+[A-Z][a-z]", masked)
    if m and len(_WORD.findall(sentence[: m.start()])) >= 4:
        return sentence[: m.start() + 1]
    if m:  # too short to cut: join the sentences with a semicolon instead
        return sentence[: m.start()] + ";" + sentence[m.start() + 1 :]
    return sentence


_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_PLACEHOLDER_START = re.compile(
    r"^\W*(todo|tbd|tba|fixme|wip|stub|placeholder|coming soon|lorem ipsum|work in progress|"
    r"to be (?:written|added|defined|completed|done)|definition (?:needed|missing|coming)|"
    r"add (?:a )?definition|n/?a|none|empty)\b",
    re.I,
)
_PLACEHOLDER_HINT = re.compile(
    r"\b(write|add|fill|expand|defin|describ|explain|complet|finish|later|soon|needed|missing|pending|"
    r"help|contribut)",
    re.I,
)
_PLACEHOLDER_ANY = re.compile(
    r"\b(this (?:article|page|entry|term|definition|section) is (?:a|still a) stub|lorem ipsum|"
    r"this is (?:the body of )?(?:yet )?(?:another |a )?(?:test|dummy|sample|placeholder) (?:term|entry|page))\b",
    re.I,
)
_TEST_TITLE = re.compile(r"^(test|dummy|sample|example|foo)[ _-]?(term|entry|page|concept)?[ _-]?\d*$", re.I)


def _stub_reason(markdown: str, title: str, slug: str, fm: dict[str, Any]) -> str | None:
    if fm.get("stub") is True:
        return "stub: marked stub in front matter"
    if not markdown.strip():
        return "stub: empty body"
    blocks = _blocks(markdown)
    if all(re.match(r"#{1,6}\s", b) and "\n" not in b for b in blocks):
        return "stub: only a heading"
    body_blocks = [b for b in blocks if not re.match(r"#{1,6}\s", b)] or blocks
    plain = _to_plain("\n\n".join(body_blocks), keep_display_math=True, keep_code_blocks=True)
    words = _WORD.findall(plain)
    if _PLACEHOLDER_ANY.search(plain):
        return "stub: placeholder text"
    start = _PLACEHOLDER_START.match(plain)
    if start and slugify(start.group(1)) not in (slug, slugify(title)):  # a term called "Stub" is fine
        rest = plain[start.end():]
        rest_words = len(_WORD.findall(rest))
        if rest_words < 3 or (rest_words < 25 and _PLACEHOLDER_HINT.search(rest)):
            return "stub: placeholder text"
    if _TEST_TITLE.match(title.strip()) or _TEST_TITLE.match(slug):
        return "stub: test/placeholder term"
    if len(words) < MIN_WORDS:
        return f"stub: too short ({len(words)} words)"
    return None


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
        ordered, Dumper=_ConceptDumper, sort_keys=False, allow_unicode=True, width=100,
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


def _list_markdown(source: Path) -> list[Path]:
    if not source.exists():
        raise GlossaryImportError(f"glossary source {source} does not exist")
    if not source.is_dir():
        raise GlossaryImportError(f"glossary source {source} is not a directory")
    try:
        entries = list(source.iterdir())
    except OSError as exc:
        raise GlossaryImportError(f"cannot read glossary source {source}: {exc.strerror or exc}") from exc
    files = sorted(
        (p for p in entries if p.suffix.lower() in MARKDOWN_SUFFIXES and p.is_file()),
        key=lambda p: p.name.casefold(),
    )
    if not files:
        raise GlossaryImportError(f"no Markdown files (*.md) in glossary source {source}")
    return files


def _existing_concepts(concepts_dir: Path, warnings: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    if not concepts_dir.is_dir():
        return found
    for p in sorted(concepts_dir.iterdir()):
        if p.suffix.lower() not in (".yaml", ".yml") or not p.is_file():
            continue
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            warnings.append(f"existing concept {p.name} unreadable: {_one_line(exc)[:120]}")
            data = {}
        found[p.stem] = data if isinstance(data, dict) else {}
    return found


def _fm_all(fm: dict[str, Any], *names: str) -> list[Any]:
    """Scalar list items of every front-matter key in ``names`` (``-``/``_`` variants too)."""
    values: list[Any] = []
    for name in names:
        for key in dict.fromkeys((name, name.replace("_", "-"))):
            values.extend(v for v in _as_list(fm.get(key)) if not isinstance(v, (dict, list)))
    return values


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
            url = str(url).strip().replace(" ", "%20")
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
                dest_slug, _ = ctx.term_from_url(destination.strip()) if "/" in destination else (slugify(destination), True)
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
        candidates = [(a, "aka") for a in t.aliases] + [(a, f"redirect {f}") for f, a in redirect_aliases.get(t.slug, [])]
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


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #


_MAX_LISTED = 25  # file names shown per skip reason in the summary table


class _BadInput(click.ClickException):
    exit_code = 2


def _default_concepts_dir(config_file: Path) -> Path:
    """The site's concepts folder from mkdocs.yml, else ``concepts`` next to it."""
    if config_file.is_file():
        try:
            from .config import load_settings  # the site's settings, when available
        except ImportError:
            pass
        else:
            return Path(load_settings(config_file).concepts_path)
    return config_file.parent / "concepts"


@click.command("import")
@click.argument(
    "source", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option(
    "--concepts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where concept YAML files are written [default: the site's concepts dir, i.e. concepts/].",
)
@click.option("--origin", help='Origin glossary: "Name", "Name <url>" or a URL (default: from SOURCE.md/README).')
@click.option("--licence", "--license", "licence", help='Licence: e.g. "CC BY 4.0" or a licence URL (default: from LICENSE.md).')
@click.option(
    "-f",
    "--config-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default="mkdocs.yml",
    show_default=True,
    help="The site's mkdocs.yml (gives the default concepts dir).",
)
def import_command(
    source: Path, concepts_dir: Path | None, origin: str | None, licence: str | None, config_file: Path
) -> None:
    """Import a Markdown glossary (one term per file, YAML front matter) as draft concepts.

    SOURCE is a folder of Markdown files with front matter (Jekyll or Hugo style).
    Every real term becomes concepts/<slug>.yaml with draft: true; stubs, redirects
    and files whose slug already exists are skipped and listed.
    """
    from rich.console import Console
    from rich.table import Table

    if concepts_dir is None:
        concepts_dir = _default_concepts_dir(config_file)
    try:
        report = import_glossary(source, concepts_dir, origin=origin, licence=licence)
    except GlossaryImportError as exc:
        raise _BadInput(str(exc)) from exc

    console = Console()
    summary = Table(title=f"glossary import: {source}", show_header=False)
    summary.add_column("what", style="bold")
    summary.add_column("value")
    summary.add_row("Imported", f"{len(report.imported)} concept(s) into {concepts_dir}/ (draft)")
    by_reason = report.skipped_by_reason()
    summary.add_row(
        "Skipped",
        f"{len(report.skipped)}" + (" (" + ", ".join(f"{r}: {n}" for r, n in sorted(by_reason.items())) + ")" if by_reason else ""),
    )
    summary.add_row("Dropped related", str(len(report.dropped_related)))
    summary.add_row("Dropped aliases", str(len(report.dropped_aliases)))
    attribution = report.source_attribution
    summary.add_row("Attribution", f"{attribution['title']} <{attribution['url']}>" if attribution else "[red]none[/red]")
    console.print(summary)

    if report.skipped:
        grouped: dict[str, list[str]] = {}
        for file, reason in report.skipped:
            grouped.setdefault(reason, []).append(file)
        table = Table(title="Skipped files")
        table.add_column("reason")
        table.add_column("count", justify="right")
        table.add_column("files")
        for reason, names in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(names[:_MAX_LISTED])
            if len(names) > _MAX_LISTED:
                shown += f", … (+{len(names) - _MAX_LISTED} more)"
            table.add_row(reason, str(len(names)), shown)
        console.print(table)
    if report.dropped_related:
        grouped = {}
        for slug, missing in report.dropped_related:
            grouped.setdefault(slug, []).append(missing)
        table = Table(title="Dropped related (target not imported)")
        table.add_column("concept")
        table.add_column("missing related")
        for slug, missing in grouped.items():
            table.add_row(slug, ", ".join(missing))
        console.print(table)
    if report.dropped_aliases:
        table = Table(title="Dropped aliases")
        table.add_column("concept")
        table.add_column("alias")
        table.add_column("reason")
        for row in report.dropped_aliases:
            table.add_row(*row)
        console.print(table)
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
