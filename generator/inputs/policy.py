"""The content policy: the maintainers' rules for concepts and texts, set under `policy:` in mkdocs.yml."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from generator.errors import Problem
from generator.inputs.schemas import Concept, Glossary
from generator.inputs.yamlfile import KeyLines, _line_of


def _level(value):
    """true means error and false off, so `require_sources: true` reads naturally."""
    return {True: "error", False: "off"}.get(value, value) if isinstance(value, bool) else value


Level = Annotated[Literal["off", "warn", "error"], BeforeValidator(_level)]


class Policy(BaseModel):
    """What a concept or text must have beyond the input contract. Drafts are exempt from the concept rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_facts: Annotated[int, Field(ge=1)] = 1
    max_facts: Annotated[int, Field(ge=1)] | None = None
    require_sources: Level = "off"
    https_sources: Level = "off"
    require_misconceptions: Level = "off"
    require_tags: Level = "off"
    two_way_related: Level = "warn"
    require_anchors: Level = "off"  # every key fact anchored: {claim, source, quote}
    require_curated: Level = "off"


class Findings:
    """Errors and warnings, each a located Problem."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, level: str, problem: Problem) -> None:
        if level == "error":
            self.errors.append(problem)
        elif level == "warn":
            self.warnings.append(problem)


def check_concepts(glossary: Glossary, policy: Policy, findings: Findings) -> None:
    """Every concept against the policy's concept rules."""
    for concept in sorted(glossary.concepts.values(), key=lambda c: c.slug):
        _check_concept(glossary, concept, policy, _Reporter(glossary, concept.slug, findings))


class _Reporter:
    """Findings about one concept file, located by key path."""

    def __init__(self, glossary: Glossary, slug: str, findings: Findings):
        self.label = f"{glossary.concepts_dir}/{slug}.yaml"
        self.lines = KeyLines(path=glossary.root / self.label)
        self.findings = findings

    def __call__(self, level: str, loc: tuple, message: str, rule: str) -> None:
        key = ".".join(map(str, loc))
        self.findings.add(level, Problem(self.label, _line_of(loc, self.lines), key, f"{message} (policy: {rule})"))


def _check_concept(glossary: Glossary, concept: Concept, policy: Policy, at: _Reporter) -> None:
    for i, slug in enumerate(concept.related):
        other = glossary.concepts.get(slug)
        if other is not None and concept.slug not in other.related:
            where = f"{glossary.concepts_dir}/{slug}.yaml"
            at(
                policy.two_way_related,
                ("related", i),
                f"{slug!r} does not link back: add {concept.slug!r} to related in {where}",
                "two_way_related",
            )
    if concept.draft:
        return
    facts = len(concept.facts)
    if facts < policy.min_facts:
        wanted = f"at least {policy.min_facts} wanted (or set draft: true until they are in)"
        at("error", ("facts",), f"{facts} key fact{'s' if facts != 1 else ''}; {wanted}", "min_facts")
    if policy.max_facts is not None and facts > policy.max_facts:
        at(
            "error",
            ("facts",),
            f"{facts} key facts; at most {policy.max_facts}: keep the ones an explanation must respect",
            "max_facts",
        )
    for i, fact in enumerate(concept.facts):
        if isinstance(fact, str):
            message = "a plain fact; anchor it to a source: {claim: ..., source: <source id>, quote: <its exact words>}"
            at(policy.require_anchors, ("facts", i), message, "require_anchors")
    if not concept.sources:
        at(policy.require_sources, ("sources",), "no sources: cite what the facts rest on", "require_sources")
    for i, source in enumerate(concept.sources):
        if not source.url.startswith("https://"):
            at(policy.https_sources, ("sources", i, "url"), f"{source.url!r} is not an https:// link", "https_sources")
    if not concept.misconceptions:
        message = "no misconceptions: add the false claims people make about it"
        at(policy.require_misconceptions, ("misconceptions",), message, "require_misconceptions")
    if not concept.tags:
        at(policy.require_tags, ("tags",), "no tags", "require_tags")


def check_texts(glossary: Glossary, policy: Policy, statuses: Iterable, findings: Findings) -> None:
    """The committed texts against the policy's text rules: `require_curated` wants a person's review on each."""
    if policy.require_curated == "off":
        return
    for status in statuses:
        if status.state in ("fresh", "stale"):
            label = f"{glossary.concepts_dir}/{status.concept}/{status.persona}.md"
            findings.add(
                policy.require_curated,
                Problem(
                    label,
                    0,
                    "source",
                    "generated text not reviewed by a person: review it, then edit it or record `source: curated` (policy: require_curated)",
                ),
            )
