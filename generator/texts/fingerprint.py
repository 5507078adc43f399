"""Fingerprints: a hash over the parsed value of every input that changes a pair's text."""

from __future__ import annotations

from generator.inputs.digests import (
    concept_digest,
    digest,
    persona_digest,
    related_digest,
)
from generator.inputs.schemas import Concept, Glossary, Persona
from generator.texts.prompts import templates_sha256

# Inputs a curated text is reviewed against: a person, not a model or a template, wrote it.
CONTENT_INPUTS = ("concept", "persona", "related", "language")


def pair_inputs(
    glossary: Glossary,
    concept: Concept,
    persona: Persona,
    *,
    model: str,
    temperature: float,
    max_tokens: int,
    language: str,
) -> dict[str, str]:
    """One hash per input, so a stale pair can say which input changed."""
    return assemble(
        concept_digests(glossary, concept),
        persona_digest(persona),
        site_digests(model=model, temperature=temperature, max_tokens=max_tokens, language=language),
    )


def concept_digests(glossary: Glossary, concept: Concept) -> tuple[str, str]:
    """The `concept` and `related` input hashes of a concept (the first as load_glossary worked it
    out, while the concept is still the object it loaded)."""
    known = getattr(glossary, "input_digests", {}).get(concept.slug)
    own = known[1] if known is not None and known[0] is concept and known[1] else concept_digest(concept)
    return own, related_digest(glossary, concept)


def all_concept_digests(glossary: Glossary) -> dict[str, tuple[str, str]]:
    """concept_digests of every concept. While every concept is still the object load_glossary
    loaded, both hashes are the ones it worked out (most of them remembered by the stat cache)."""
    known = getattr(glossary, "input_digests", {})
    concepts = glossary.concepts
    if len(known) == len(concepts) and all(
        concepts.get(slug) is entry[0] and entry[1] and entry[2] for slug, entry in known.items()
    ):
        return {slug: (entry[1], entry[2]) for slug, entry in known.items()}
    return {slug: concept_digests(glossary, concept) for slug, concept in concepts.items()}


def site_digests(*, model: str, temperature: float, max_tokens: int, language: str) -> tuple[str, str, str]:
    """The `template`, `model` and `language` input hashes, the same for every pair of a site."""
    return (
        templates_sha256()[:16],
        digest({"model": model, "temperature": temperature, "max_tokens": max_tokens}),
        digest(language),
    )


def assemble(concept: tuple[str, str], persona: str, site: tuple[str, str, str]) -> dict[str, str]:
    """The inputs of one pair from its parts, in the order they are written down."""
    return {
        "concept": concept[0],
        "persona": persona,
        "related": concept[1],
        "template": site[0],
        "model": site[1],
        "language": site[2],
    }


# The order the inputs are written down in front matter and kept in the stat cache: assemble's, written once.
INPUT_KEYS = tuple(assemble(("", ""), "", ("", "", "")))


def combine(inputs: dict[str, str], keys: tuple[str, ...] | None = None) -> str:
    """The fingerprint: one hash over the chosen input hashes."""
    chosen = {k: v for k, v in inputs.items() if keys is None or k in keys}
    return digest(chosen)


def changed_inputs(old: dict[str, str] | None, new: dict[str, str], keys: tuple[str, ...] | None = None) -> list[str]:
    """Names of the inputs whose hash differs (all of them when nothing was recorded)."""
    names = [k for k in new if keys is None or k in keys]
    if not old:
        return names
    return [k for k in names if old.get(k) != new[k]]
