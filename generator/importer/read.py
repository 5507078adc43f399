"""Reading a source glossary: its Markdown files, their front matter, small text helpers."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import yaml

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")


# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #


class GlossaryImportError(Exception):
    """The source glossary cannot be imported at all (nothing was written)."""


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
        return data, text[m.end() :]
    m = _TOML_FM.match(text)
    if m:
        try:
            return tomllib.loads(m.group(1) or ""), text[m.end() :]
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
