"""The committed text: `concepts/<slug>/<persona>.md`, front matter plus Markdown, written atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FRONT_MATTER_KEYS = ("source", "model", "date", "fingerprint", "inputs", "body_sha256", "usage", "verdict", "reviewed")


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
        return self.source == "generated" and recorded is not None and recorded != body_hash(self.body)

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
        found = []
        if not self.root.is_dir():
            return found
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for file in sorted(folder.glob("*.md")):
                found.append((folder.name, file.stem))
        return found


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
        meta = yaml.safe_load(text[4:end + 1]) or {}
    except yaml.YAMLError as exc:
        raise StoreError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{path}: front matter must be a mapping")
    return meta, text[end + 5:]


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
