"""JSON Schema for concept and persona files, generated from the pydantic models, for editors and hooks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from generator.inputs.schemas import Concept, Persona

SCHEMA_DIR = "schemas"  # under the glossary's root: schemas/concept.schema.json, schemas/persona.schema.json
KINDS: dict[str, type[BaseModel]] = {"concept": Concept, "persona": Persona}
# What an editor shows on hover; a field that the models describe themselves keeps its own text.
HELP = {
    "concept": {
        "title": "The name readers look up (required).",
        "aliases": "Other names and abbreviations; each belongs to one concept only.",
        "summary": "One sentence (required): shown in the A to Z index and in link previews.",
        "definition": "The reference definition (required): the ground truth every explanation is checked against.",
        "facts": "Key facts every explanation must respect: one checkable claim each, supported by a source.",
        "misconceptions": "False claims an explanation must not make, written as the claim people make.",
        "tags": "Topics: lowercase words or hyphenated words.",
        "related": "Slugs of other concepts (their file names without .yaml).",
        "sources": "What the facts rest on: papers, textbooks, official documentation.",
        "draft": "true: published with its definition only, never sent to a model.",
        "translations": "Per language of the site: the title, aliases, summary, reading and more in that language.",
    },
    "persona": {
        "name": "The tab label (required, unique).",
        "description": "Who this reader is (required).",
        "background": "What they already know well: explanations start from here (required).",
        "analogies": "Fields to draw analogies from.",
        "avoid": "Jargon or topics to avoid.",
        "tone": "How to speak to them.",
        "length": "Target length of an explanation, in words.",
        "order": "Tab order: smaller comes first.",
        "languages": "The editions this reader appears in (default: every language of the site).",
        "translations": "Per language of the site: the name, description, background... in that language.",
    },
}


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one input kind, as editors and check-jsonschema read it."""
    found = KINDS[kind].model_json_schema()
    found["properties"].pop("slug", None)  # the file name is the slug
    for name, text in HELP.get(kind, {}).items():
        field = found["properties"].get(name)
        if field is not None:
            field.setdefault("description", text)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Glossary {kind} file",
        **{k: v for k, v in found.items() if k != "title"},
    }


def schema_text(kind: str) -> str:
    """The committed form of a schema: stable key order, one trailing newline."""
    return json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n"


def schema_path(root: Path, kind: str) -> Path:
    return root / SCHEMA_DIR / f"{kind}.schema.json"


def stale_files(root: Path) -> list[Path]:
    """Committed schema files that are missing or differ from the models."""
    return [
        path
        for kind in KINDS
        if not (path := schema_path(root, kind)).is_file() or path.read_text(encoding="utf-8") != schema_text(kind)
    ]


def modeline(root: Path, folder: Path, kind: str) -> str:
    """The first line of an input file: where the yaml-language-server (VS Code and others) finds its schema."""
    target = os.path.relpath(schema_path(root, kind), folder).replace(os.sep, "/")
    return f"# yaml-language-server: $schema={target}\n"
