"""The committed text: `concepts/<slug>/<persona>.md`, front matter plus Markdown, written atomically."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

try:  # libyaml: the same YAML, parsed about ten times faster
    from yaml import CSafeLoader as FastSafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    FastSafeLoader = yaml.SafeLoader

FRONT_MATTER_KEYS = ("source", "model", "date", "fingerprint", "inputs", "body_sha256", "usage", "verdict", "verify", "reviewed")


def body_hash(body: str) -> str:
    """The sha256 of a body exactly as written."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class Explanation:
    """One pair's committed text and its provenance."""

    concept: str
    persona: str
    body: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return str(self.meta.get("source", "curated"))

    @property
    def edited(self) -> bool:
        """A generated body that no longer matches its hash was edited by a person."""
        recorded = self.meta.get("body_sha256")
        return self.source == "generated" and recorded is not None and recorded != self.current_body_sha256()

    def current_body_sha256(self) -> str:
        """The hash of the body as it is now (edits included)."""
        return body_hash(self.body)

    @property
    def curated(self) -> bool:
        return self.source != "generated" or self.edited

    @property
    def model(self) -> str | None:
        return None if self.curated else self.meta.get("model")

    @property
    def date(self) -> str | None:
        value = self.meta.get("date")
        return str(value) if value is not None else None

    @property
    def verdict(self) -> dict | None:
        return self.meta.get("verdict")


class StoreError(Exception):
    """An explanation file that cannot be read."""


class StoredExplanation(Explanation):
    """An explanation whose front matter came from the stat cache: the body is read on first use.

    `glossary status` needs every pair's front matter and the hash of its body, never the body
    itself; reading 60,000 bodies it does not show would cost more than everything else it does.
    """

    def __init__(self, concept: str, persona: str, body: str | None = None, meta: dict[str, Any] | None = None, *, path: Path | None = None, body_sha256: str | None = None):
        self.concept = concept
        self.persona = persona
        self.meta = {} if meta is None else meta
        self._path = path
        self._body = body
        self._sha = body_sha256 if body is None else None

    @property
    def body(self) -> str:
        if self._body is None:
            try:
                text = self._path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise StoreError(f"{self._path}: not UTF-8 ({exc.reason})") from None
            self._body = split_front_matter(text, self._path)[1]
        return self._body

    @body.setter
    def body(self, value: str) -> None:
        self._body, self._sha = value, None

    def current_body_sha256(self) -> str:
        return self._sha if self._sha is not None else body_hash(self.body)


# A cached read: the front matter, the hash of the body, and what the caller derived from them.
CachedRead = tuple[dict[str, Any], str, Any]


class Store:
    """Reads and writes explanations beside their concepts."""

    def __init__(self, concepts_path: Path):
        self.root = concepts_path

    def path(self, concept: str, persona: str) -> Path:
        return self.root / concept / f"{persona}.md"

    def exists(self, concept: str, persona: str) -> bool:
        return self.path(concept, persona).is_file()

    def read(self, concept: str, persona: str) -> Explanation | None:
        """The explanation of a pair, or None when there is none."""
        path = self.path(concept, persona)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError as exc:
            raise StoreError(f"{path}: not UTF-8 ({exc.reason})") from None
        meta, body = split_front_matter(text, path)
        return Explanation(concept, persona, body, meta)

    def write(self, explanation: Explanation) -> Path:
        """Write one pair atomically: a reader sees the old file or the new one, never half."""
        path = self.path(explanation.concept, explanation.persona)
        meta = {k: explanation.meta[k] for k in FRONT_MATTER_KEYS if explanation.meta.get(k) is not None}
        meta["body_sha256"] = body_hash(explanation.body)
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
        atomic_write(path, f"---\n{front}---\n{explanation.body}")
        return path

    def pairs_on_disk(self) -> list[tuple[str, str]]:
        """Every (concept, persona) that has a file, whether or not it still exists in the inputs."""
        return list(self.scan())

    def scan(self) -> dict[tuple[str, str], tuple[Path, os.stat_result]]:
        """Every (concept, persona) file with its stat, in one pass over the folders, sorted."""
        found: dict[tuple[str, str], tuple[Path, os.stat_result]] = {}
        try:
            folders = sorted((e.name, e.path) for e in os.scandir(self.root) if e.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return found
        for name, folder in folders:
            try:
                files = sorted((e.name, e) for e in os.scandir(folder) if e.name.endswith(".md"))
            except OSError:
                continue
            for file_name, entry in files:
                try:
                    st = entry.stat()
                except OSError:
                    continue
                found[(name, file_name[:-3])] = (Path(entry.path), st)
        return found

    def read_cached(self, concept: str, persona: str, path: Path, st: os.stat_result, cache, derive: Callable[[dict[str, Any]], Any] = lambda meta: None) -> tuple[Explanation, Any]:
        """Read one pair through a StatCache: a file unchanged since it was last parsed is not read.

        Returns the explanation (its body read on first use when it came from the cache) and
        what `derive(meta)` gave when the file was parsed. Raises StoreError like `read`.
        """
        key = f"{concept}/{persona}"
        hit: CachedRead | None = cache.get(key, st) if cache is not None else None
        if hit is not None:
            meta, sha, derived = hit
            return StoredExplanation(concept, persona, meta=meta, path=path, body_sha256=sha), derived
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise StoreError(f"{path}: not UTF-8 ({exc.reason})") from None
        meta, body = split_front_matter(text, path)
        derived = derive(meta)
        if cache is not None:
            cache.put(key, st, (meta, body_hash(body), derived))
        return Explanation(concept, persona, body, meta), derived


def split_front_matter(text: str, path: Path | str = "") -> tuple[dict[str, Any], str]:
    """Split `---` front matter from the body; the body is kept byte for byte."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise StoreError(f"{path}: front matter is not closed with a '---' line")
    try:
        meta = load_front_matter(text[4:end + 1])
    except yaml.YAMLError as exc:
        raise StoreError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{path}: front matter must be a mapping")
    return meta, text[end + 5:]


def load_front_matter(text: str) -> Any:
    """Parse front matter: the plain form `Store.write` produces directly, anything else with YAML."""
    simple = _simple_mapping(text)
    if simple is not None:
        return simple
    return safe_load_fast(text) or {}


def safe_load_fast(text: str) -> Any:
    """yaml.safe_load through libyaml; a document libyaml rejects gets the pure-Python loader's answer or error."""
    if FastSafeLoader is yaml.SafeLoader:
        return yaml.load(text, Loader=yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=FastSafeLoader)
    except yaml.YAMLError:
        return yaml.load(text, Loader=yaml.SafeLoader)


# The subset of YAML that `yaml.safe_dump` writes for our front matter: `key: scalar` lines and one
# level of nested `  key: scalar` mappings, where a scalar is a single-quoted string, a decimal
# integer, a hex digest or a plain word. Anything else (lists, dates, floats, booleans, block or
# double-quoted strings, comments) returns None and goes to the YAML parser, so the result is
# always exactly what yaml.safe_load gives.
_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
_HEX = re.compile(r"[0-9a-f]*[a-f][0-9a-f]*")
_QUOTED = re.compile(r"'(?:[^']|'')*'")
_BINARY = re.compile(r"0b[01]+")  # a YAML 1.1 binary integer, though made of hex digits
_NOT_STRINGS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n"}
_NO = object()


def _scalar(value: str) -> Any:
    if _QUOTED.fullmatch(value):
        return value[1:-1].replace("''", "'") if value.isprintable() else _NO
    if _INT.fullmatch(value):
        return int(value)
    if _WORD.fullmatch(value) and value.lower() not in _NOT_STRINGS:
        return value
    if _HEX.fullmatch(value) and not _BINARY.fullmatch(value):
        return value
    return _NO


def _simple_mapping(text: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    nested: dict[str, Any] | None = None
    for line in text.split("\n"):
        if not line:
            continue
        indented = line.startswith("  ")
        if indented and (nested is None or line[2:3] in (" ", "")):
            return None
        match = _LINE.fullmatch(line, 2 if indented else 0)
        if match is None:
            return None
        key, value = match.group(1), match.group(2)
        if key in (nested if indented else out) or key.lower() in _NOT_STRINGS:
            return None  # a repeated key, or a key YAML reads as a boolean: let YAML decide
        if value is None or value == "":
            if indented:
                return None
            nested = out[key] = {}
            continue
        parsed = _scalar(value)
        if parsed is _NO:
            return None
        if indented:
            nested[key] = parsed
        else:
            out[key] = parsed
            nested = None
    if any(v == {} for v in out.values()):
        return None  # `key:` with nothing under it is null in YAML
    return out


def atomic_write(path: Path, text: str) -> None:
    """Write a file through a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
