"""The state of every pair: fresh, stale (and why), missing, curated, needing review, orphaned."""

from __future__ import annotations

from dataclasses import dataclass, field

from .concepts import Glossary
from .config import Settings
from .fingerprint import CONTENT_INPUTS, changed_inputs, combine, pair_inputs
from .store import Explanation, Store, StoreError

FRESH, STALE, MISSING, CURATED, REVIEW, ORPHAN, DRAFT, BROKEN = "fresh", "stale", "missing", "curated", "review", "orphan", "draft", "broken"


@dataclass
class PairStatus:
    """Where one (concept, persona) pair stands, and why."""

    concept: str
    persona: str
    state: str
    reasons: list[str] = field(default_factory=list)
    explanation: Explanation | None = None
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def needs_generation(self) -> bool:
        return self.state in (MISSING, STALE)

    def describe(self) -> str:
        """A short human reason, e.g. 'stale: concept, model changed'."""
        if self.state == STALE:
            return f"stale: {', '.join(self.reasons)} changed"
        if self.state == REVIEW:
            return "curated, needs review: " + ("never accepted" if self.reasons == ["never accepted"] else f"{', '.join(self.reasons)} changed since it was written")
        if self.state == ORPHAN:
            return f"orphan: {self.reasons[0]}"
        if self.state == BROKEN:
            return f"unreadable: {self.reasons[0]}"
        return self.state


def current_inputs(glossary: Glossary, settings: Settings, concept_slug: str, persona_slug: str) -> dict[str, str]:
    """The input hashes a pair would be generated from now."""
    return pair_inputs(
        glossary,
        glossary.concepts[concept_slug],
        glossary.personas[persona_slug],
        model=settings.model,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        language=settings.language,
    )


def pair_status(glossary: Glossary, settings: Settings, store: Store, concept_slug: str, persona_slug: str) -> PairStatus:
    """The state of one pair whose concept and persona both exist."""
    inputs = current_inputs(glossary, settings, concept_slug, persona_slug)
    if glossary.concepts[concept_slug].draft:
        return PairStatus(concept_slug, persona_slug, DRAFT, ["draft: needs key facts"], None, inputs)
    try:
        explanation = store.read(concept_slug, persona_slug)
    except StoreError as exc:
        return PairStatus(concept_slug, persona_slug, BROKEN, [str(exc)], None, inputs)
    if explanation is None:
        return PairStatus(concept_slug, persona_slug, MISSING, [], None, inputs)
    recorded = explanation.meta.get("inputs")
    if explanation.curated:
        if not recorded:
            return PairStatus(concept_slug, persona_slug, REVIEW, ["never accepted"], explanation, inputs)
        changed = changed_inputs(recorded, inputs, CONTENT_INPUTS)
        return PairStatus(concept_slug, persona_slug, REVIEW if changed else CURATED, changed, explanation, inputs)
    if explanation.meta.get("fingerprint") == combine(inputs):
        return PairStatus(concept_slug, persona_slug, FRESH, [], explanation, inputs)
    return PairStatus(concept_slug, persona_slug, STALE, changed_inputs(recorded, inputs) or ["fingerprint"], explanation, inputs)


def glossary_status(glossary: Glossary, settings: Settings, store: Store) -> list[PairStatus]:
    """Every pair of the glossary, then every orphaned file."""
    statuses = [
        pair_status(glossary, settings, store, concept, persona.slug)
        for concept in sorted(glossary.concepts)
        for persona in glossary.ordered_personas()
    ]
    for concept, persona in store.pairs_on_disk():
        if concept not in glossary.concepts:
            statuses.append(PairStatus(concept, persona, ORPHAN, [f"no concept {concept!r}"]))
        elif persona not in glossary.personas:
            statuses.append(PairStatus(concept, persona, ORPHAN, [f"no persona {persona!r}"]))
    return statuses
