"""The prompt: templates shipped in the package, filled from a concept, a persona and the site."""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from importlib import resources

import jinja2

from generator.inputs.digests import related_summaries
from generator.inputs.schemas import Concept, Glossary, Persona

LANGUAGE_NAMES = {
    "en": "English",
    "ja": "Japanese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "zh": "Chinese",
    "ko": "Korean",
    "pt": "Portuguese",
    "it": "Italian",
}
TEMPLATES = ("system.md", "user.md")


@cache
def template_text(name: str) -> str:
    """The raw text of one packaged template."""
    return resources.files("generator").joinpath("templates", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def templates_sha256() -> str:
    """One hash over every template, part of each generated pair's fingerprint."""
    digest = hashlib.sha256()
    for name in TEMPLATES:
        digest.update(name.encode() + b"\0" + template_text(name).encode("utf-8") + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


@lru_cache(maxsize=8)
def _compiled(text: str) -> jinja2.Template:
    """A template compiled once per text (compiling costs ~10 ms; rendering ~0.1 ms)."""
    return _environment().from_string(text)


def build_messages(
    glossary: Glossary, concept: Concept, persona: Persona, language: str, feedback: list[str] | None = None
) -> list[dict[str, str]]:
    """The Chat Completions messages for one pair: static instructions first, for prompt caching."""
    source_language = glossary.source.language if glossary.source is not None else language
    ground = glossary.ground_truth(concept.slug) if source_language != language else None
    user = _compiled(template_text("user.md")).render(
        concept=concept,
        persona=persona,
        related=related_summaries(glossary, concept),
        language=language,
        language_name=LANGUAGE_NAMES.get(language, language),
        # Another language's edition: the source-language definition and facts are the ground truth.
        ground=ground,
        ground_language_name=LANGUAGE_NAMES.get(source_language, source_language or "the source language"),
        feedback=feedback or [],
    )
    return [{"role": "system", "content": template_text("system.md")}, {"role": "user", "content": user}]
