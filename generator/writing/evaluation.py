"""Measuring a judge: how often it flags each kind of wrong explanation, and how often a right one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from generator.errors import InputError, Problem
from generator.inputs.schemas import Concept, Glossary, Persona
from generator.inputs.yamlfile import _line_of, read_yaml
from generator.writing.checks import check_text

NONE = "none"
ERROR_KINDS = (
    "contradicted-fact",
    "stated-misconception",
    "dropped-qualifier",
    "scope-error",
    "invented-number",
    "misused-term",
    "truncated",
)
PACKAGED_SET = "judge-eval.yaml"


class EvalItem(BaseModel):
    """One labelled explanation: the error it contains, or none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    concept: str
    persona: str
    language: str = "en"
    label: str
    error: str = ""
    text: str


class EvalFile(BaseModel):
    """The labelled set's file: label definitions, concept and persona snapshots, items."""

    model_config = ConfigDict(extra="forbid")

    labels: dict[str, str]
    concepts: dict[str, dict]
    personas: dict[str, dict]
    items: list[EvalItem]


@dataclass
class EvalSet:
    """A labelled set, ready to judge: its items and the glossary their concepts make up."""

    label: str  # where it came from, for messages
    items: list[EvalItem]
    glossary: Glossary


def packaged_set_path() -> Path:
    """The labelled set shipped with the tool."""
    return Path(str(resources.files("generator").joinpath("data", PACKAGED_SET)))


def load_eval_set(path: Path | None = None) -> EvalSet:
    """Read and check a labelled set; raise InputError listing every problem."""
    path = path or packaged_set_path()
    label = str(path)
    data, lines, problems = read_yaml(path, label)
    if data is None:
        raise InputError(problems)
    try:
        parsed = EvalFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(label, _line_of(tuple(e["loc"]), lines), ".".join(map(str, e["loc"])), e["msg"])
                for e in exc.errors()
            ]
        ) from None
    glossary = Glossary(root=path.parent)
    for slug, raw in parsed.concepts.items():
        fields = {k: v for k, v in raw.items() if k in Concept.model_fields and k != "slug"}
        try:
            glossary.concepts[slug] = Concept.model_validate({**fields, "slug": slug})
        except ValidationError as exc:
            problems += [_problem(label, lines, ("concepts", slug, *e["loc"]), e["msg"]) for e in exc.errors()]
    for slug, raw in parsed.personas.items():
        fields = {k: v for k, v in raw.items() if k in Persona.model_fields and k != "slug"}
        try:
            glossary.personas[slug] = Persona.model_validate({**fields, "slug": slug})
        except ValidationError as exc:
            problems += [_problem(label, lines, ("personas", slug, *e["loc"]), e["msg"]) for e in exc.errors()]
    known = (NONE, *ERROR_KINDS)
    for i, item in enumerate(parsed.items):
        if item.label not in known:
            problems.append(
                _problem(
                    label, lines, ("items", i, "label"), f"unknown label {item.label!r}; use one of {', '.join(known)}"
                )
            )
        if item.concept not in parsed.concepts:
            problems.append(
                _problem(label, lines, ("items", i, "concept"), f"no concept {item.concept!r} under concepts:")
            )
        if item.persona not in parsed.personas:
            problems.append(
                _problem(label, lines, ("items", i, "persona"), f"no persona {item.persona!r} under personas:")
            )
    if problems:
        raise InputError(problems)
    return EvalSet(label, parsed.items, glossary)


def _problem(label: str, lines, loc: tuple, message: str) -> Problem:
    return Problem(label, _line_of(loc, lines), ".".join(map(str, loc)), message)


@dataclass
class Outcome:
    """What the judge, and the checks that need no model, said of one item."""

    item: EvalItem
    judge_flagged: bool | None  # None: the verdict could not be read or the call failed
    checks_flagged: bool
    findings: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        """Flagged by the judge or by the checks: what generation would have rejected."""
        return bool(self.judge_flagged) or self.checks_flagged


async def judge_all(caller, settings, evalset: EvalSet, *, bypass_cache: bool = False) -> list[Outcome]:
    """Ask the configured judge about every item, as generation would."""
    from generator.llm.calls import BudgetReached, CallError
    from generator.writing.judge import check
    from generator.writing.verdicts import VerdictError

    glossary = evalset.glossary

    async def one(item: EvalItem) -> Outcome:
        concept, persona = glossary.concepts[item.concept], glossary.personas[item.persona]
        checks = [f.message for f in check_text(glossary, concept, item.text)]
        try:
            verdict = await check(caller, settings, glossary, concept, persona, item.text, bypass_cache=bypass_cache)
        except (VerdictError, CallError, BudgetReached) as exc:
            return Outcome(item, None, bool(checks), [f"no verdict: {exc}", *checks])
        return Outcome(item, not verdict.passed, bool(checks), [*verdict.failures, *checks])

    return list(await asyncio.gather(*(one(item) for item in evalset.items)))


@dataclass(frozen=True)
class Row:
    """One line of the report: a label, its items, and how many were flagged."""

    label: str
    items: int
    by_judge: int
    by_both: int

    def rate(self, count: int) -> float | None:
        return count / self.items if self.items else None


def score(outcomes: list[Outcome]) -> list[Row]:
    """Per error kind: items and how many the judge (and the judge with the checks) flagged;
    the last row is the correct texts, where every flag is a false alarm."""
    rows = []
    for label in (*ERROR_KINDS, NONE):
        chosen = [o for o in outcomes if o.item.label == label]
        rows.append(Row(label, len(chosen), sum(bool(o.judge_flagged) for o in chosen), sum(o.flagged for o in chosen)))
    return rows


def unreadable(outcomes: list[Outcome]) -> list[Outcome]:
    """Items the judge gave no usable verdict on (counted as not flagged by the judge)."""
    return [o for o in outcomes if o.judge_flagged is None]
