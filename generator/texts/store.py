"""The committed text: `concepts/<slug>/<persona>.md`, front matter plus Markdown, written atomically."""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from generator import safefs
from generator.redaction import redact, redact_all
from generator.texts.fingerprint import INPUT_KEYS
from generator.texts.frontmatter import StoreError, split_front_matter

MAX_BYTES = 256 * 1024  # an explanation is a few kilobytes (a persona's length is at most 2,000 words)
# `gist` first: the one line a person reads before the provenance. Not part of body_sha256 (the body
# only), so adding a gist to a curated text is not an edit of it.
FRONT_MATTER_KEYS = (
    "gist",
    "source",
    "model",
    "date",
    "fingerprint",
    "inputs",
    "body_sha256",
    "usage",
    "verdict",
    "verify",
    "reviewed",
)


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
        """The hash of the body as it is now (edits included); computed again only when the body changed."""
        body = self.body
        known = self.__dict__.get("_body_sha256")  # a page asks for it four times per text
        if known is None or known[0] is not body:
            known = self.__dict__["_body_sha256"] = (body, body_hash(body))
        return known[1]

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

    @property
    def gist(self) -> str | None:
        """The reader's one-line gist (front matter `gist:`), white space collapsed; None when there is none."""
        value = self.meta.get("gist")
        return " ".join(value.split()) if isinstance(value, str) and value.strip() else None

    @property
    def reviewed(self) -> str | None:
        """When a person last reviewed the text: `reviewed`, else the date it was written."""
        value = self.meta.get("reviewed") or self.meta.get("date")
        return str(value) if value is not None else None


class StoredExplanation(Explanation):
    """An explanation known by what its state depends on; its body and front matter are read on first use.

    `glossary status` needs every pair's source, fingerprint and recorded inputs, and whether its
    body still matches its recorded hash, never the body itself: on 10,000 concepts x 6 personas,
    holding 60,000 bodies and front matters it does not show would cost more time and memory than
    everything else it does. The file is read again (and its front matter parsed) when `body` or
    `meta` is first asked for.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("a StoredExplanation is made by StoredExplanation.cached(concept, persona, path, record)")

    @classmethod
    def cached(cls, concept: str, persona: str, path: str, record: StatusRecord) -> StoredExplanation:
        """The one constructor: an explanation known by its status record, read from `path` on first use.

        Without __init__'s call (a third less time): glossary_status makes one per pair, 60,000 at 10,000 x 6."""
        explanation = _new_object(cls)
        explanation.__dict__.update(
            concept=concept, persona=persona, _path=path, _body=None, _meta=None, _record=record, _status=None
        )
        return explanation

    def _load(self) -> None:
        text = read_text(self._path)
        meta, body = split_front_matter(text, self._path)  # both at once: a page needs the body and the provenance
        if self._meta is None:
            self._meta = meta
        if self._body is None:
            self._body = body

    @property
    def body(self) -> str:
        if self._body is None:
            self._load()
        return self._body

    @body.setter
    def body(self, value: str) -> None:
        self._body = value
        self._record = None

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            self._load()
        return self._meta

    @meta.setter
    def meta(self, value: dict[str, Any]) -> None:
        self._meta = value

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
        return self.source == "generated" and self._record.edited


_new_object = object.__new__


class StatusRecord(NamedTuple):
    """What the state of a pair depends on, small enough to cache for 60,000 files.

    The stat cache keeps it as a plain tuple (a named tuple unpickles about four times slower);
    `named_record` names one again for about 0.1 microseconds."""

    source: str
    fingerprint: str
    inputs: Any  # the recorded input hashes: their values in INPUT_KEYS order, or the raw value when unusual
    edited: bool  # the body no longer matches its recorded hash


named_record = functools.partial(tuple.__new__, StatusRecord)


def _interned(value: Any) -> Any:
    """Short strings shared between files become one object in memory and in the stat cache."""
    if isinstance(value, str):
        return sys.intern(value) if len(value) <= 80 else value
    if isinstance(value, dict):
        return {_interned(k): _interned(v) for k, v in value.items()}
    return value


_ABSENT = "\0absent"


def status_record(meta: dict[str, Any], body: str) -> StatusRecord:
    """The StatusRecord of an explanation file's front matter and body."""
    inputs = meta.get("inputs", _ABSENT)
    if isinstance(inputs, dict) and tuple(inputs) == INPUT_KEYS:
        inputs = tuple(_interned(v) for v in inputs.values())  # the usual keys: only the values are kept
    else:
        inputs = _interned(inputs)
    recorded = meta.get("body_sha256")
    return StatusRecord(
        _interned(meta.get("source", _ABSENT)),
        meta.get("fingerprint", _ABSENT),
        inputs,
        recorded is not None and recorded != body_hash(body),
    )


def record_meta(record: StatusRecord) -> dict[str, Any]:
    """The status keys of the front matter, as they were in the file."""
    source, fingerprint, inputs = record.source, record.fingerprint, record.inputs
    if isinstance(inputs, tuple):
        inputs = dict(zip(INPUT_KEYS, inputs))
    return {
        k: v
        for k, v in (("source", source), ("fingerprint", fingerprint), ("inputs", inputs))
        if not (isinstance(v, str) and v == _ABSENT)
    }


# A cached read: the status record (as a plain tuple), and what the caller derived from the front matter.
CachedRead = tuple[tuple, Any]


class Store:
    """Reads and writes explanations beside their concepts."""

    def __init__(self, concepts_path: Path, language: str | None = None):
        self.root = concepts_path
        self.language = language  # None: the source language, `<persona>.md`; else `<persona>.<language>.md`
        self.ending = f".{language}.md" if language else ".md"

    def file_name(self, persona: str) -> str:
        return f"{persona}{self.ending}"

    def persona_of(self, file_name: str) -> str | None:
        """The persona a file name in a concept's folder is this store's text for, or None."""
        if not file_name.endswith(self.ending):
            return None
        stem = file_name[: -len(self.ending)]
        return None if "." in stem else stem

    def key(self, concept: str, persona: str) -> str:
        """A pair's name in caches and messages: `lora/child`, `lora/child.ja`."""
        return f"{concept}/{persona}" + (f".{self.language}" if self.language else "")

    def path(self, concept: str, persona: str) -> Path:
        return self.root / concept / self.file_name(persona)

    def exists(self, concept: str, persona: str) -> bool:
        return self.path(concept, persona).is_file()

    def read(self, concept: str, persona: str) -> Explanation | None:
        """The explanation of a pair, or None when there is none."""
        path = self.path(concept, persona)
        try:
            text = read_text(path)
        except FileNotFoundError:
            return None
        meta, body = split_front_matter(text, path)
        return Explanation(concept, persona, body, meta)

    def write(self, explanation: Explanation) -> Path:
        """Write one pair atomically: a reader sees the old file or the new one, never half."""
        path = self.path(explanation.concept, explanation.persona)
        try:
            safefs.writable(path, self.root)
        except safefs.Unsafe as exc:
            raise StoreError(path, 0, f"not written: {exc.reason}") from None
        body = redact(explanation.body)  # the key never reaches a committed file, whatever a model echoed
        # The keys this tool writes, in their usual order, then every other key as it was: never dropped.
        known = {k: explanation.meta[k] for k in FRONT_MATTER_KEYS if explanation.meta.get(k) is not None}
        other = {k: v for k, v in explanation.meta.items() if k not in FRONT_MATTER_KEYS and v is not None}
        meta = redact_all({**known, **other})
        meta["body_sha256"] = body_hash(body)
        front = yaml.dump(meta, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
        atomic_write(path, f"---\n{front}---\n{body}")
        return path

    def listing(self, cache=None) -> dict[str, list[str]]:
        """Every folder under the concepts folder with the `.md` file names in it, sorted.

        With a StatCache, a folder whose stat is unchanged (no file added, removed or renamed in it
        since) is not listed again."""
        root = os.fspath(self.root)
        try:
            with os.scandir(root) as entries:
                folders = sorted(e.name for e in entries if e.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return {}
        found = {}
        cached = cache is not None and cache.file is not None
        for name in folders:
            folder = f"{root}/{name}"
            try:
                if cached:
                    st = os.stat(folder)
                    names = cache.get(f"{name}/", st)
                    if names is None:
                        names = sorted(n for n in os.listdir(folder) if n.endswith(".md"))
                        cache.put(f"{name}/", st, names)
                else:
                    names = sorted(n for n in os.listdir(folder) if n.endswith(".md"))
            except OSError:
                continue
            found[name] = names
        return found

    def read_cached(
        self,
        concept: str,
        persona: str,
        path: str,
        st: os.stat_result,
        cache,
        derive: Callable[[dict[str, Any]], Any] = lambda meta: None,
    ) -> tuple[Explanation, Any]:
        """Read one pair through a StatCache: a file unchanged since it was last parsed is not read.

        Returns the explanation (body and full front matter read on first use) and what
        `derive(meta)` gave when the file was parsed. Raises StoreError like `read`.
        """
        key = self.key(concept, persona)
        hit: CachedRead | None = cache.get(key, st) if cache is not None and cache.file is not None else None
        if hit is None:
            hit = parse_for_status(path, derive)
            if cache is not None:
                cache.put(key, st, hit)
        elif type(hit) is _Failed:
            raise hit.error
        record, derived = hit
        return StoredExplanation.cached(concept, persona, path, named_record(record)), derived

    def prefetch(
        self,
        files: list[tuple[str, str, os.stat_result]],
        cache,
        derive: Callable[[dict[str, Any]], Any],
        *,
        at_least: int = 4000,
    ) -> int:
        """Parse the files a StatCache does not know yet in parallel processes, when there are many
        (StatCache.prefetch); `files` are (key, path, stat), the key being "concept/persona" as
        read_cached makes it. A cold `glossary status` on 10,000 concepts x 6 personas parses 60,000
        files. Returns how many were parsed."""
        if cache is None:
            return 0
        return cache.prefetch(files, functools.partial(_parse_chunk, derive=derive), at_least=at_least)


class _Failed(NamedTuple):
    """A file that could not be parsed (its StoreError), as a parallel parse reports it."""

    error: StoreError


def parse_for_status(
    path: str, derive: Callable[[dict[str, Any]], Any], reader: safefs.Confined | None = None
) -> CachedRead:
    """What a StatCache keeps of one explanation file: its status record, and derive(front matter)."""
    text = read_text(path, reader)
    meta, body = split_front_matter(text, path)
    return (tuple(status_record(meta, body)), derive(meta))


def _parse_chunk(paths: list[str], derive: Callable[[dict[str, Any]], Any]) -> list:
    """parse_for_status over many files, in a worker process; None for a file to read again in the parent."""
    out: list = []
    readers: dict[str, safefs.Confined] = {}  # by concepts folder: each folder's links resolved once
    for path in paths:
        try:
            concepts = _concepts_folder(path)
            reader = readers.get(concepts) or readers.setdefault(concepts, safefs.Confined(concepts))
            out.append(parse_for_status(path, derive, reader))
        except StoreError as exc:
            out.append(_Failed(exc))
        except Exception:
            out.append(None)
    return out


def read_text(path: Path | str, reader: safefs.Confined | None = None) -> str:
    """An explanation file's text: inside its concepts folder (no link out), UTF-8, bounded, BOM dropped.

    `reader`: a safefs.Confined over that concepts folder, for many files in one pass."""
    try:
        if reader is not None:
            return reader.read_text(path, MAX_BYTES)
        return safefs.read_text(path, _concepts_folder(path), MAX_BYTES)
    except safefs.Unsafe as exc:
        raise StoreError(path, 0, exc.reason) from None
    except UnicodeDecodeError as exc:
        raise StoreError(path, 0, f"not UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8") from None


def _concepts_folder(path: Path | str) -> str:
    """The concepts folder of `concepts/<slug>/<persona>.md`, which no read may lead out of."""
    return os.path.dirname(os.path.dirname(os.path.abspath(path)))


class _Dumper(yaml.SafeDumper):
    """Front matter as plain data: a value used twice is written twice, never as an anchor and an alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (os.umask sets it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # at import, before any thread starts
    os.umask(mask)
    return mask


UMASK = _umask()


def atomic_write(path: Path, text: str) -> None:
    """Write a file through a temporary file in the same folder and an atomic rename.

    The file gets the mode a checkout or an editor would give it (0666 less the umask), not
    mkstemp's 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~UMASK)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
