"""The state of every pair: fresh, stale (and why), missing, curated, needing review, orphaned."""

from __future__ import annotations

from dataclasses import dataclass, field

from .concepts import Glossary
from .config import Settings
from .fingerprint import CONTENT_INPUTS, assemble, changed_inputs, combine, concept_digests, pair_inputs, persona_digest, site_digests
from .statcache import StatCache
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

    def read() -> tuple[Explanation | None, bool]:
        return store.read(concept_slug, persona_slug), False

    return _status(glossary, concept_slug, persona_slug, inputs, read)


def _status(glossary: Glossary, concept_slug: str, persona_slug: str, inputs: dict[str, str], read) -> PairStatus:
    """The state of one pair; `read()` gives its explanation (or None) and whether its recorded
    fingerprint is known to match its recorded inputs."""
    if glossary.concepts[concept_slug].draft:
        return PairStatus(concept_slug, persona_slug, DRAFT, ["draft: needs key facts"], None, inputs)
    try:
        explanation, consistent = read()
    except StoreError as exc:
        return PairStatus(concept_slug, persona_slug, BROKEN, [str(exc)], None, inputs)
    if explanation is None:
        return PairStatus(concept_slug, persona_slug, MISSING, [], None, inputs)
    meta = explanation.status_meta()
    recorded = meta.get("inputs")
    if explanation.curated:
        if not recorded:
            return PairStatus(concept_slug, persona_slug, REVIEW, ["never accepted"], explanation, inputs)
        changed = changed_inputs(recorded, inputs, CONTENT_INPUTS)
        return PairStatus(concept_slug, persona_slug, REVIEW if changed else CURATED, changed, explanation, inputs)
    # fingerprint == combine(recorded) and recorded == inputs imply fingerprint == combine(inputs), without hashing.
    if (consistent and recorded == inputs) or meta.get("fingerprint") == combine(inputs):
        return PairStatus(concept_slug, persona_slug, FRESH, [], explanation, inputs)
    return PairStatus(concept_slug, persona_slug, STALE, changed_inputs(recorded, inputs) or ["fingerprint"], explanation, inputs)


def _consistent(meta: dict) -> bool:
    """Whether a file's fingerprint is the hash of its own recorded inputs."""
    recorded = meta.get("inputs")
    if not isinstance(recorded, dict) or not recorded:
        return False
    try:
        return meta.get("fingerprint") == combine(recorded)
    except (TypeError, ValueError):
        return False


def glossary_status(glossary: Glossary, settings: Settings, store: Store) -> list[PairStatus]:
    """Every pair of the glossary, then every orphaned file.

    The files are listed in one pass, and a file unchanged since the last run is not read again:
    what its state depends on comes from the stat cache under the cache folder. The usual case, a
    generated text whose recorded inputs are the current ones, is decided right here; every other
    case goes through `_status`, as `pair_status` does."""
    site = site_digests(model=settings.model, temperature=settings.temperature, max_tokens=settings.max_tokens, language=settings.language)
    personas = [(p.slug, persona_digest(p)) for p in glossary.ordered_personas()]
    on_disk = store.scan()
    cache = StatCache.for_root(settings.root, "explanations")
    statuses = []
    append = statuses.append
    for concept in sorted(glossary.concepts):
        digests = concept_digests(glossary, glossary.concepts[concept])
        draft = glossary.concepts[concept].draft
        for persona, persona_hash in personas:
            inputs = assemble(digests, persona_hash, site)
            found = on_disk.get((concept, persona))
            if found is None or draft:
                append(_status(glossary, concept, persona, inputs, _nothing))
                continue
            try:
                explanation, consistent = store.read_cached(concept, persona, found[0], found[1], cache, _consistent)
            except StoreError as exc:
                append(PairStatus(concept, persona, BROKEN, [str(exc)], None, inputs))
                continue
            record = explanation.record
            if (consistent and record is not None and record[0] == "generated" and not record[3]
                    and record[2] == (digests[0], persona_hash, digests[1], *site)):
                append(PairStatus(concept, persona, FRESH, [], explanation, inputs))  # what _status would say, without the detour
            else:
                append(_status(glossary, concept, persona, inputs, lambda e=explanation, c=consistent: (e, c)))
    for concept, persona in on_disk:
        if concept not in glossary.concepts:
            append(PairStatus(concept, persona, ORPHAN, [f"no concept {concept!r}"]))
        elif persona not in glossary.personas:
            append(PairStatus(concept, persona, ORPHAN, [f"no persona {persona!r}"]))
    cache.save()
    return statuses


def _nothing() -> tuple[None, bool]:
    return None, False
