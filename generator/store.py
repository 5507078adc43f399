"""The committed text: `concepts/<slug>/<persona>.md`, front matter plus Markdown, written atomically."""

from __future__ import annotations

import hashlib
import os
import re
import sys
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

    def status_meta(self) -> dict[str, Any]:
        """The front matter keys the state of a pair depends on (all of it, here)."""
        return self.meta

    @property
    def source(self) -> str:
        return str(self.status_meta().get("source", "curated"))

    @property
    def edited(self) -> bool:
        """A generated body that no longer matches its hash was edited by a person."""
        recorded = self.status_meta().get("body_sha256")
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
    """An explanation known by what its state depends on; its body and front matter are read on first use.

    `glossary status` needs every pair's source, fingerprint and recorded inputs, and whether its
    body still matches its recorded hash, never the body itself: on 10,000 concepts x 6 personas,
    holding 60,000 bodies and front matters it does not show would cost more time and memory than
    everything else it does. The file is read again (and its front matter parsed) when `body` or
    `meta` is first asked for.
    """

    def __init__(self, concept: str, persona: str, body: str | None = None, meta: dict[str, Any] | None = None, *,
                 path: str | Path | None = None, record: tuple | None = None, offset: int | None = None):
        self.concept = concept
        self.persona = persona
        self._path = path
        self._body = body
        self._meta = meta
        self._record = record
        self._status: dict[str, Any] | None = None
        self._offset = offset

    def _load(self, want_meta: bool) -> None:
        try:
            with open(self._path, encoding="utf-8") as handle:  # as Store.read reads: universal newlines
                text = handle.read()
        except UnicodeDecodeError as exc:
            raise StoreError(f"{self._path}: not UTF-8 ({exc.reason})") from None
        offset = self._offset
        if not want_meta and offset is not None and 5 <= offset <= len(text) and text.startswith("---\n") and text[offset - 5:offset] == "\n---\n":
            self._body = text[offset:]  # where the body began when the file was parsed
            return
        meta, body = split_front_matter(text, self._path)
        if self._meta is None:
            self._meta = meta
        if self._body is None:
            self._body = body

    @property
    def body(self) -> str:
        if self._body is None:
            self._load(want_meta=False)
        return self._body

    @body.setter
    def body(self, value: str) -> None:
        self._body = value
        self._record = None

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            self._load(want_meta=True)
        return self._meta

    @meta.setter
    def meta(self, value: dict[str, Any]) -> None:
        self._meta = value

    @property
    def record(self) -> tuple | None:
        """The cached status record, while neither the front matter nor the body was replaced or read."""
        return self._record if self._meta is None else None

    def status_meta(self) -> dict[str, Any]:
        if self._meta is not None or self._record is None:
            return self.meta
        if self._status is None:
            self._status = record_meta(self._record)
        return self._status

    @property
    def edited(self) -> bool:
        if self._meta is not None or self._record is None:
            return super().edited
        return self.source == "generated" and self._record[3]


INPUT_KEYS = ("concept", "persona", "related", "template", "model", "language")


def _interned(value: Any) -> Any:
    """Short strings shared between files become one object in memory and in the stat cache."""
    if isinstance(value, str):
        return sys.intern(value) if len(value) <= 80 else value
    if isinstance(value, dict):
        return {_interned(k): _interned(v) for k, v in value.items()}
    return value


_ABSENT = "\0absent"


def status_record(meta: dict[str, Any], body: str) -> tuple:
    """What the state of a pair depends on, small enough to cache for 60,000 files: a plain tuple of
    (source, fingerprint, recorded inputs, whether the body no longer matches its recorded hash)."""
    inputs = meta.get("inputs", _ABSENT)
    if isinstance(inputs, dict) and tuple(inputs) == INPUT_KEYS:
        inputs = tuple(_interned(v) for v in inputs.values())  # the usual keys: only the values are kept
    else:
        inputs = _interned(inputs)
    recorded = meta.get("body_sha256")
    return (_interned(meta.get("source", _ABSENT)), meta.get("fingerprint", _ABSENT), inputs, recorded is not None and recorded != body_hash(body))


def record_meta(record: tuple) -> dict[str, Any]:
    """The status keys of the front matter, as they were in the file."""
    source, fingerprint, inputs, _ = record
    if isinstance(inputs, tuple):
        inputs = dict(zip(INPUT_KEYS, inputs))
    return {k: v for k, v in (("source", source), ("fingerprint", fingerprint), ("inputs", inputs)) if not (isinstance(v, str) and v == _ABSENT)}


# A cached read: the status record, where the body starts, and what the caller derived from the front matter.
CachedRead = tuple[tuple, int, Any]


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

    def scan(self) -> dict[tuple[str, str], tuple[str, os.stat_result]]:
        """Every (concept, persona) file with its path and stat, in one pass over the folders, sorted."""
        found: dict[tuple[str, str], tuple[str, os.stat_result]] = {}
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
                found[(name, file_name[:-3])] = (entry.path, st)
        return found

    def read_cached(self, concept: str, persona: str, path: str, st: os.stat_result, cache, derive: Callable[[dict[str, Any]], Any] = lambda meta: None) -> tuple[Explanation, Any]:
        """Read one pair through a StatCache: a file unchanged since it was last parsed is not read.

        Returns the explanation (body and full front matter read on first use) and what
        `derive(meta)` gave when the file was parsed. Raises StoreError like `read`.
        """
        key = f"{concept}/{persona}"
        hit: CachedRead | None = cache.get(key, st) if cache is not None else None
        if hit is None:
            try:
                with open(path, encoding="utf-8") as handle:  # as Store.read reads: universal newlines
                    text = handle.read()
            except UnicodeDecodeError as exc:
                raise StoreError(f"{path}: not UTF-8 ({exc.reason})") from None
            meta, body = split_front_matter(text, path)
            hit = (status_record(meta, body), len(text) - len(body), derive(meta))
            if cache is not None:
                cache.put(key, st, hit)
        record, offset, derived = hit
        return StoredExplanation(concept, persona, path=path, record=record, offset=offset), derived


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
