"""Generation: explanations from a model, cached, resumable, concurrent (the commands are in cli/generate.py).

The pipeline: validate everything first (inputs, settings, names on the command line, the key),
plan (missing and stale pairs; --force adds fresh ones, never curated ones or drafts), then call
the model concurrently and write each finished pair atomically the moment it is done, so an
interrupted run loses nothing finished and the next run resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import time
from dataclasses import dataclass
from typing import Any, Protocol

from generator import safefs
from generator.errors import ConfigError, ModelError
from generator.inputs.schemas import Concept, Glossary, Persona
from generator.llm.calls import SPENDING, BudgetReached, CallError, ModelCaller
from generator.llm.client import redact
from generator.llm.costs import CACHE_MIN_TOKENS, add_usage, estimate_tokens, usage_cost
from generator.settings import Settings
from generator.texts.editions import Edition, all_status, editions
from generator.texts.fingerprint import CONTENT_INPUTS, combine
from generator.texts.prompts import PromptPlan, plan_prompts
from generator.texts.status import (
    BROKEN,
    CURATED,
    DRAFT,
    FRESH,
    ORPHAN,
    REVIEW,
    PairStatus,
)
from generator.texts.store import Explanation, Store, StoreError
from generator.writing import judge as faithfulness  # the faithfulness check (tests put a scripted one here)
from generator.writing.answers import Rejected, clean_answer, is_truncated, split_gist
from generator.writing.checks import check_text
from generator.writing.results import Body, PairResult


class Pipeline:
    """Generates the bodies of pairs; shared by `generate` and `preview`."""

    def __init__(
        self,
        settings: Settings,
        glossary: Glossary,
        caller: ModelCaller,
        *,
        force: bool = False,
        prompts: PromptPlan | None = None,
    ):
        self.settings = settings
        self.glossary = glossary
        self.caller = caller
        self.force = force
        self.prompts = prompts or PromptPlan()

    async def body(self, concept: Concept, persona: Persona, feedback: list[str] | None = None) -> Body:
        """One cleaned body: truncation retried once with twice the room, a bad answer once more."""
        s = self.settings
        prompt = self.prompts.prompt(self.glossary, concept, persona, s.language, feedback=feedback)
        messages = prompt.messages
        also = () if feedback else (self.prompts.other_layout(self.glossary, concept, persona, s.language).messages,)
        max_tokens = s.max_tokens
        bypass = self.force
        grown = retried = False
        usage: dict = {}
        cost: float | None = 0.0
        cached = True
        while True:
            result = await self.caller.complete(
                s.model, messages, s.temperature, max_tokens, bypass_cache=bypass, cache_key=prompt.cache_key, also=also
            )
            add_usage(usage, _token_usage(result.usage))
            cost = None if cost is None or result.cost is None else cost + result.cost
            cached = cached and result.cached
            if result.finish_reason == "content_filter":
                self.caller.forget(result.key)
                if retried:
                    raise Rejected("the server's content filter stopped the answer twice")
                retried = bypass = True
                continue
            if is_truncated(result, max_tokens):
                self.caller.forget(result.key)
                if grown:
                    raise Rejected(
                        f"the answer was cut off twice (at max_tokens {s.max_tokens}, then {max_tokens}); raise max_tokens in mkdocs.yml or lower the persona's length"
                    )
                grown = True
                max_tokens *= 2
                continue
            try:
                gist, content = split_gist(result.content)
                text = clean_answer(content, result.refusal)
            except Rejected:
                self.caller.forget(result.key)
                if retried:
                    raise
                retried = bypass = True
                continue
            return Body(text, [result.key], usage, cost, cached, gist)


def _token_usage(usage: dict) -> dict:
    return {k: v for k, v in usage.items() if k in ("prompt_tokens", "completion_tokens", "cached_tokens")}


# --------------------------------------------------------------------------- planning


@dataclass
class Plan:
    todo: list[PairStatus]
    statuses: list[PairStatus]
    notes: list[str]
    broken: list[PairStatus]
    editions: dict[str | None, Edition]  # by PairStatus.language (None: the source language)


def _check_names(names: tuple[str, ...], known: dict, kind: str, folder: str) -> None:
    for name in names:
        if name not in known:
            hint = difflib.get_close_matches(name, list(known), n=1)
            raise ConfigError(
                f"no {kind} {name!r} (no file {folder}/{name}.yaml)" + (f"; did you mean {hint[0]!r}?" if hint else "")
            )


def make_plan(
    glossary: Glossary,
    settings: Settings,
    concepts: tuple[str, ...] = (),
    personas: tuple[str, ...] = (),
    force: bool = False,
    languages: tuple[str, ...] = (),
) -> Plan:
    """Which pairs to generate, in a stable order (language, then concept, then persona tab order)."""
    _check_names(concepts, glossary.concepts, "concept", settings.concepts_dir)
    _check_names(personas, glossary.personas, "persona", settings.personas_dir)
    found = editions(glossary, settings, languages)
    statuses = all_status(found)
    chosen = [
        s
        for s in statuses
        if s.state != ORPHAN and (not concepts or s.concept in concepts) and (not personas or s.persona in personas)
    ]
    todo = [s for s in chosen if s.needs_generation or (force and s.state == FRESH)]
    notes = []
    drafts = sorted({s.concept for s in chosen if s.state == DRAFT and s.concept in concepts})
    if drafts:
        notes.append(f"skipped drafts (add key facts and remove `draft: true` to generate them): {', '.join(drafts)}")
    kept = [s for s in chosen if s.state in (CURATED, REVIEW)]
    if force and kept:
        notes.append(
            f"kept {len(kept)} curated pair{'s' if len(kept) != 1 else ''}: curated texts are never regenerated, not even with --force"
        )
    broken = [s for s in chosen if s.state == BROKEN]
    return Plan(todo, statuses, notes, broken, {e.store.language: e for e in found})


def _why(status: PairStatus) -> str:
    return "fresh, forced" if status.state == FRESH else status.describe()


STALE_TEMP_SECONDS = 10.0


def remove_stale_temp_files(store: Store) -> int:
    """Temporary files left by a writer that was killed mid-write (`.<persona>.md.*.tmp`)."""
    removed = 0
    if not store.root.is_dir():
        return removed
    cutoff = time.time() - STALE_TEMP_SECONDS
    for path in store.root.glob("*/.*.md.*.tmp"):
        if not safefs.inside(path, store.root):
            continue  # in a folder linked from elsewhere: not ours to delete
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def stamp_edited(stores: Store | dict[str | None, Edition], statuses: list[PairStatus]) -> list[str]:
    """Generated texts that a person edited become curated, so no run ever overwrites them."""
    stamped = []
    for s in statuses:
        e = s.explanation
        if e is not None and e.edited:
            e.meta["source"] = "curated"
            recorded = e.meta.get("inputs")
            if isinstance(recorded, dict):
                e.meta["fingerprint"] = combine(recorded, CONTENT_INPUTS)
            (stores if isinstance(stores, Store) else stores[s.language].store).write(e)
            stamped.append(s.label)
    return stamped


def edition_prompts(plan: Plan, key: str | None, count: int) -> PromptPlan:
    """The prompt layout and worked examples for one language's pairs in a plan."""
    edition = plan.editions[key]
    statuses = [s for s in plan.statuses if s.language == key]
    pairs = [(s.concept, s.persona) for s in plan.todo if s.language == key]
    return plan_prompts(edition.glossary, statuses, pairs, count)


class Progress(Protocol):
    """Told about every finished pair (the CLI shows a bar or a line)."""

    def advance(self, result: PairResult) -> None: ...


class Run:
    """One `glossary generate` run over planned pairs."""

    def __init__(
        self,
        settings: Settings,
        glossary: Glossary,
        store: Store,
        caller: ModelCaller,
        *,
        force: bool,
        progress: Progress,
        editions: dict[str | None, Edition] | None = None,
        prompts: dict[str | None, PromptPlan] | None = None,
        billed: str | None = None,
    ):
        self.settings = settings
        self.glossary = glossary
        self.store = store
        self.caller = caller
        self.force = force
        self.editions = editions or {store.language: Edition(settings.language, settings, glossary, store)}
        self.prompts = {key: (prompts or {}).get(key) or PromptPlan() for key in self.editions}
        self.pipelines = {
            key: Pipeline(e.settings, e.glossary, caller, force=force, prompts=self.prompts[key])
            for key, e in self.editions.items()
        }
        self._warm: dict[tuple, asyncio.Event] = {}  # prefix group -> set once its first request was answered
        self._leaders: set[tuple] = set()
        self.billed = billed  # the tier texts are priced at in their front matter, when not the caller's
        self.progress = progress
        self.results: dict[tuple[str, str, str | None], PairResult] = {}
        self.judge = faithfulness if settings.verify else None

    async def all(self, todo: list[PairStatus]) -> None:
        # Twice as many workers as requests may be in flight, each taking the next pair when done:
        # a pair's prompt is built while others wait for answers. One task per pair built every
        # prompt of the run before the first request left (seconds, for tens of thousands).
        pending = iter(self.order(todo))

        async def worker() -> None:
            for status in pending:
                await self.one(status)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(len(todo), 2 * self.caller.limiter.jobs)):
                    group.create_task(worker())
        except* ModelError as errors:
            raise errors.exceptions[0] from None

    def order(self, todo: list[PairStatus]) -> list[PairStatus]:
        """Pairs sharing a prompt prefix one after another, the first of every group at the front.

        OpenAI caches a prefix once a request with it was processed, so requests sent together all
        pay for it in full. Where the shared prefix is long enough to be cached, the first request of
        each group goes alone and the rest of its group waits for its answer (`_wait_for_cache`)."""
        groups: dict[tuple, list[PairStatus]] = {}
        for status in todo:
            groups.setdefault(self._group(status), []).append(status)
        for group, members in groups.items():
            first = members[0]
            edition = self.editions[first.language]
            concept, persona = edition.glossary.concepts[first.concept], edition.glossary.personas[first.persona]
            prompt = self.prompts[first.language].prompt(edition.glossary, concept, persona, edition.language)
            if len(members) > 1 and estimate_tokens(prompt.prefix) >= CACHE_MIN_TOKENS:
                self._warm[group] = asyncio.Event()
                self._leaders.add((first.concept, first.persona, first.language))
        return [members[0] for members in groups.values()] + [s for members in groups.values() for s in members[1:]]

    def _group(self, status: PairStatus) -> tuple:
        return status.language, self.prompts[status.language].group(status.concept, status.persona)

    async def _wait_for_cache(self, status: PairStatus) -> None:
        event = self._warm.get(self._group(status))
        if event is not None and (status.concept, status.persona, status.language) not in self._leaders:
            await event.wait()

    def _cache_warm(self, status: PairStatus) -> None:
        event = self._warm.get(self._group(status))
        if event is not None:
            event.set()

    async def one(self, status: PairStatus) -> None:
        started = time.monotonic()
        result = PairResult(status.concept, status.persona, "failed", why=_why(status), language=status.language)
        spending = {"cost": 0.0}
        SPENDING.set(spending)  # this task's own context: every call it makes adds its cost here
        try:
            await self._generate(status, result)
            result.state = "generated"
        except BudgetReached as exc:
            result.state, result.error = "skipped", str(exc)
        except (Rejected, CallError) as exc:
            result.error = redact(str(exc))
        except ModelError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in one pair must not stop the others
            result.error = redact(f"{type(exc).__name__}: {exc}")
        result.cost = spending["cost"]
        result.cached = not spending.get("calls")  # no request at all: everything came from the cache
        result.seconds = time.monotonic() - started
        self.results[(status.concept, status.persona, status.language)] = result
        self.progress.advance(result)

    async def _generate(self, status: PairStatus, result: PairResult) -> None:
        edition = self.editions[status.language]
        concept = edition.glossary.concepts[status.concept]
        persona = edition.glossary.personas[status.persona]
        ground = edition.glossary.ground_truth(status.concept)  # what every language is checked against
        pipeline = self.pipelines[status.language]
        feedback = None
        await self._wait_for_cache(status)
        for round_ in (1, 2):  # the findings of the first attempt are fed back once
            try:
                body = await pipeline.body(concept, persona, feedback)
            finally:
                self._cache_warm(status)
            add_usage(result.usage, body.usage)
            verdict = None
            # The checks that need no model go first: a text they reject costs no judge call.
            checked = f"{body.gist}\n\n{body.text}" if body.gist else body.text  # the gist is checked with its text
            findings = [f.message for f in check_text(edition.glossary.source or edition.glossary, ground, checked)]
            if not findings and self.judge is not None:
                try:
                    verdict = await self.judge.check(
                        self.caller, edition.settings, edition.glossary, ground, persona, body.text, gist=body.gist
                    )
                except self.judge.VerdictError as exc:
                    raise Rejected(f"the fact check's verdict could not be read: {exc}") from None
                findings = list(verdict.failures)
            if not findings:
                if self.judge is None:
                    result.check = ""
                else:
                    result.check = "checked" if round_ == 1 else "checked, passed on the second try"
                break
            for key in body.keys:
                self.caller.forget(key)
            feedback = findings
        else:
            raise Rejected(f"failed the fact check twice: {'; '.join(findings)}")
        if verdict is not None:
            verdict.traced = True  # a stored text always passed the checks that need no model
        await asyncio.to_thread(self._write, status, body.text, result, verdict, body.gist)

    def _write(self, status: PairStatus, text: str, result: PairResult, verdict, gist: str | None = None) -> None:
        store = self.editions[status.language].store
        if status.explanation is not None or store.exists(status.concept, status.persona):
            try:  # a person may have edited (or written) the text while the model was answering
                current = store.read(status.concept, status.persona)
            except StoreError as exc:
                raise Rejected(f"not written: {exc}") from None
            if current is not None and current.curated:
                raise Rejected("not written: the text was edited during the run, and edits are kept")
        usage = dict(result.usage)
        cost = usage_cost(self.settings, self.settings.model, usage, self.billed or self.caller.tier.billed_as(None))
        if cost is not None:
            usage["cost_usd"] = round(cost, 6)
        meta: dict[str, Any] = {
            "gist": gist,
            "source": "generated",
            "model": self.settings.model,
            "date": dt.date.today().isoformat(),
            "fingerprint": combine(status.inputs),
            "inputs": dict(status.inputs),
            "usage": usage,
        }
        if verdict is not None:
            meta["verdict"] = verdict.front_matter()
        else:
            meta["verify"] = False
        store.write(Explanation(status.concept, status.persona, text, meta))
