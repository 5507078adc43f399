"""The state of every pair: fresh, stale (and why), missing, curated, needing review, orphaned."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from generator import safefs
from generator.gcpause import gc_paused
from generator.inputs.digests import mentioned_digest, persona_digest
from generator.inputs.schemas import Glossary
from generator.settings import Settings
from generator.statcache import StatCache
from generator.texts.fingerprint import (
    CONTENT_INPUTS,
    all_concept_digests,
    assemble,
    changed_inputs,
    combine,
    pair_inputs,
    site_digests,
)
from generator.texts.store import Explanation, Store, StoredExplanation, StoreError, named_record

FRESH, STALE, MISSING, CURATED, REVIEW, ORPHAN, DRAFT, BROKEN = (
    "fresh",
    "stale",
    "missing",
    "curated",
    "review",
    "orphan",
    "draft",
    "broken",
)


@dataclass(slots=True)
class PairStatus:
    """Where one (concept, persona) pair stands, and why."""

    concept: str
    persona: str
    state: str
    reasons: list[str] = field(default_factory=list)
    explanation: Explanation | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    language: str | None = None  # None in the source language, else the edition's (`ja`)
    error: StoreError | None = None  # why the file of a broken pair cannot be read (file, line, reason)

    @property
    def label(self) -> str:
        """`lora/child`, or `lora/child.ja` for another language's text (its file name)."""
        return f"{self.concept}/{self.persona}" + (f".{self.language}" if self.language else "")

    @property
    def needs_generation(self) -> bool:
        return self.state in (MISSING, STALE)

    def describe(self) -> str:
        """A short human reason, e.g. 'stale: concept, model changed'."""
        if self.state == STALE:
            return f"stale: {', '.join(self.reasons)} changed"
        if self.state == REVIEW:
            return "curated, needs review: " + (
                "never accepted"
                if self.reasons == ["never accepted"]
                else f"{', '.join(self.reasons)} changed since it was written"
            )
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


def pair_status(
    glossary: Glossary, settings: Settings, store: Store, concept_slug: str, persona_slug: str
) -> PairStatus:
    """The state of one pair whose concept and persona both exist."""
    inputs = current_inputs(glossary, settings, concept_slug, persona_slug)

    def read() -> tuple[Explanation | None, bool]:
        return store.read(concept_slug, persona_slug), False

    status = _status(glossary, concept_slug, persona_slug, inputs, read)
    status.language = store.language
    return status


def _status(glossary: Glossary, concept_slug: str, persona_slug: str, inputs: dict[str, str], read) -> PairStatus:
    """The state of one pair; `read()` gives its explanation (or None) and whether its recorded
    fingerprint is known to match its recorded inputs."""
    if glossary.concepts[concept_slug].draft:
        return PairStatus(concept_slug, persona_slug, DRAFT, ["draft: needs key facts"], None, inputs)
    try:
        explanation, consistent = read()
    except StoreError as exc:
        return broken(glossary, concept_slug, persona_slug, inputs, exc)
    if explanation is None:
        return PairStatus(concept_slug, persona_slug, MISSING, [], None, inputs)
    meta = explanation.status_meta()
    recorded = meta.get("inputs")
    if explanation.curated:
        every_related = inputs["related"]
        inputs = {**inputs, "related": mentioned_digest(glossary, glossary.concepts[concept_slug], explanation.body)}
        if not recorded:
            return PairStatus(concept_slug, persona_slug, REVIEW, ["never accepted"], explanation, inputs)
        changed = changed_inputs(recorded, inputs, CONTENT_INPUTS)
        if changed == ["related"] and recorded.get("related") == every_related:
            changed = []  # reviewed when every related summary counted, and none of them changed since
        return PairStatus(concept_slug, persona_slug, REVIEW if changed else CURATED, changed, explanation, inputs)
    # fingerprint == combine(recorded) and recorded == inputs imply fingerprint == combine(inputs), without hashing.
    if (consistent and recorded == inputs) or meta.get("fingerprint") == combine(inputs):
        return PairStatus(concept_slug, persona_slug, FRESH, [], explanation, inputs)
    return PairStatus(
        concept_slug, persona_slug, STALE, changed_inputs(recorded, inputs) or ["fingerprint"], explanation, inputs
    )


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
    with gc_paused():
        return _glossary_status(glossary, settings, store)


PARALLEL_AT_LEAST = 4000  # files to parse before a cold run uses a process per core


def _glossary_status(glossary: Glossary, settings: Settings, store: Store) -> list[PairStatus]:
    site = site_digests(
        model=settings.model,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        language=settings.language,
    )
    # Each persona's file name and hash, and the end of its pairs' keys: store.key(concept, persona) == concept + end.
    personas = [
        (p.slug, store.file_name(p.slug), persona_digest(p), store.key("", p.slug)) for p in glossary.ordered_personas()
    ]
    # One cache per language: a run over one edition keeps only the entries it saw.
    cache = StatCache.for_root(settings.root, "explanations" + (f"-{store.language}" if store.language else ""))
    listing = store.listing(cache)
    root = os.fspath(store.root)
    read = store.read_cached
    concepts = sorted(glossary.concepts)
    drafts = {slug for slug, concept in glossary.concepts.items() if concept.draft}
    found = None
    if cache.enabled and len(concepts) * len(personas) + len(listing) - len(cache.entries) >= PARALLEL_AT_LEAST:
        # Many files the cache may not know (a cold run): every file's stat first, to parse them in parallel.
        found = [
            _stat_pair(root, concept, file_name, () if concept in drafts else listing.get(concept, ()))
            for concept in concepts
            for _, file_name, _, _ in personas
        ]
        files = [
            (store.key(concept, persona), *where)
            for where, (concept, (persona, _, _, _)) in zip(found, ((c, p) for c in concepts for p in personas))
            if where is not None
        ]
        store.prefetch(files, cache, _consistent, at_least=PARALLEL_AT_LEAST)
    statuses = []
    append = statuses.append
    where = iter(found) if found is not None else None
    # The hit path of store.read_cached and StatCache.get, inlined: it runs for every pair (60,000 at 10,000 x 6).
    entries, seen = cache.entries, cache.seen
    cached_explanation = StoredExplanation.cached
    stat = os.stat
    digests = all_concept_digests(glossary)
    for concept in concepts:
        concept_hashes = digests[concept]
        names = () if concept in drafts else listing.get(concept, ())
        for persona, file_name, persona_hash, key_end in personas:
            inputs = assemble(concept_hashes, persona_hash, site)
            if where is not None:
                file = next(where)
                if file is None:
                    append(_status(glossary, concept, persona, inputs, _nothing))
                    continue
                path, st = file
            else:  # _stat_pair, inlined
                if file_name not in names:
                    append(_status(glossary, concept, persona, inputs, _nothing))
                    continue
                path = f"{root}/{concept}/{file_name}"
                try:
                    st = stat(path)
                except OSError:
                    append(_status(glossary, concept, persona, inputs, _nothing))
                    continue
            key = concept + key_end
            hit = entries.get(key)
            if hit is not None and hit[0] == hash(
                (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            ):  # statcache.stamp
                seen[key] = hit
                record, consistent = hit[1]
                record = named_record(record)
                explanation = cached_explanation(concept, persona, path, record)
            else:
                try:
                    explanation, consistent = read(concept, persona, path, st, cache, _consistent)
                except StoreError as exc:
                    append(broken(glossary, concept, persona, inputs, exc))
                    continue
                record = explanation._record if type(explanation) is StoredExplanation else None
            if (
                consistent
                and record is not None
                and record.source == "generated"
                and not record.edited
                and record.inputs == tuple(inputs.values())
            ):
                append(
                    PairStatus(concept, persona, FRESH, [], explanation, inputs)
                )  # what _status would say, without the detour
            else:
                append(_status(glossary, concept, persona, inputs, lambda e=explanation, c=consistent: (e, c)))
    statuses += _orphans(glossary, settings, store, listing)
    if store.language:
        for status in statuses:
            status.language = store.language
    cache.save()
    return statuses


def _stat_pair(root: str, concept: str, file_name: str, names) -> tuple[str, os.stat_result] | None:
    """The path and stat of a pair's file, None when its concept's folder lists no such file (or it is gone since)."""
    if file_name not in names:
        return None
    path = f"{root}/{concept}/{file_name}"
    try:
        return path, os.stat(path)
    except OSError:
        return None


def _orphans(glossary: Glossary, settings: Settings, store: Store, listing: dict[str, list[str]]) -> list[PairStatus]:
    """Files no pair of this edition reads: no such concept or persona, a persona of other languages, a language the site lacks."""
    out = []
    everyone = (glossary.source or glossary).personas
    read = {store.file_name(persona) for persona in glossary.personas}  # the files of a concept's pairs
    for concept, names in listing.items():
        if concept in glossary.concepts and read.issuperset(names):
            continue  # the usual folder: only its pairs' files
        for file_name in names:
            persona = store.persona_of(file_name)
            if persona is None:
                language = file_name[:-3].rpartition(".")[2]
                if store.language is None and "." in file_name[:-3] and language not in settings.all_languages:
                    out.append(
                        PairStatus(concept, file_name[:-3], ORPHAN, [f"no language {language!r} in `languages:`"])
                    )
                continue
            if concept not in glossary.concepts:
                out.append(PairStatus(concept, persona, ORPHAN, [f"no concept {concept!r}"]))
            elif persona in everyone and persona not in glossary.personas:
                out.append(
                    PairStatus(concept, persona, ORPHAN, [f"persona {persona!r} has no tab in {settings.language!r}"])
                )
            elif persona not in glossary.personas:
                out.append(PairStatus(concept, persona, ORPHAN, [f"no persona {persona!r}"]))
    return out


def broken(glossary: Glossary, concept: str, persona: str, inputs: dict[str, str], error: StoreError) -> PairStatus:
    """A pair whose file cannot be read; its reason names the file (relative to the site) and the line."""
    where = (
        os.path.relpath(error.path, glossary.root) if safefs.written_under(error.path, glossary.root) else error.path
    )
    shown = f"{where}:{error.line}" if error.line else where
    return PairStatus(concept, persona, BROKEN, [f"{shown}: {error.reason}"], None, inputs, error=error)


def _nothing() -> tuple[None, bool]:
    return None, False


def record_review(store: Store, status: PairStatus) -> None:
    """Write down that a person reviewed a curated text against its current inputs."""
    explanation = status.explanation
    explanation.meta.update(
        source="curated",
        inputs={k: status.inputs[k] for k in CONTENT_INPUTS},
        fingerprint=combine(status.inputs, CONTENT_INPUTS),
        reviewed=dt.date.today().isoformat(),
    )
    explanation.meta.setdefault("date", dt.date.today().isoformat())
    store.write(explanation)
