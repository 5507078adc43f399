"""Input hashes: one per concept, related summaries and persona, over the fields the prompt uses."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from generator.inputs.schemas import Concept, Glossary, Persona

# The concept and persona fields the prompt uses; editing any other field changes no text.
CONCEPT_INPUTS = ("title", "aliases", "summary", "definition", "facts", "misconceptions")
PERSONA_INPUTS = ("name", "description", "background", "analogies", "avoid", "tone", "length")


_ENCODER = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":")
)  # what json.dumps builds on every call


def digest(value: Any) -> str:
    """A stable short hash of any JSON-able value."""
    blob = _ENCODER.encode(value)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# pair_inputs in three parts, so a caller going over every pair hashes each concept and persona once.


def concept_digest(concept: Concept) -> str:
    """The `concept` input hash: the concept's fields the prompt uses."""
    values = {k: getattr(concept, k) for k in CONCEPT_INPUTS}
    # A plain fact hashes as the string it always was; an anchored one with its quote, which the judge reads.
    values["facts"] = [f if isinstance(f, str) else f.model_dump(exclude_none=True) for f in concept.facts]
    return digest(values)


def related_digest(glossary: Glossary, concept: Concept) -> str:
    """The `related` input hash: the titles and summaries of the related concepts the prompt quotes."""
    return digest([(r["title"], r["summary"]) for r in related_summaries(glossary, concept)])


def mentioned_digest(glossary: Glossary, concept: Concept, body: str) -> str:
    """The `related` input hash of a curated text: the titles and summaries of only those related
    concepts the text mentions by title or alias. A link added to a concept the text never names
    cannot make the text wrong, so it sends nothing back to review."""
    text = body.casefold()
    return digest(
        [
            (r["title"], r["summary"])
            for r in related_summaries(glossary, concept)
            if mentions(text, glossary.concepts[r["slug"]])
        ]
    )


def mentions(casefolded_text: str, concept: Concept) -> bool:
    """Whether a text (casefolded) names a concept by its title or an alias, as a whole word."""
    return any(re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", casefolded_text) for name in concept.names())


def persona_digest(persona: Persona) -> str:
    """The `persona` input hash."""
    return digest({k: getattr(persona, k) for k in PERSONA_INPUTS})


def related_summaries(glossary: Glossary, concept: Concept) -> list[dict[str, str]]:
    """The related concepts the prompt quotes, as (slug, title, summary)."""
    items = []
    for slug in concept.related:
        other = glossary.concepts.get(slug)
        if other is not None:
            items.append({"slug": slug, "title": other.title, "summary": other.summary})
    return items
