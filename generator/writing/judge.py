"""The faithfulness check: a judge model reads an explanation against its concept's key facts.

After each generation `check` asks a judge model (config `judge_model`, by default the
generation model) for a claim-level verdict: every key fact supported, not mentioned or
contradicted; every misconception asserted or not; any other false claim; and whether the
analogies come from the reader's own fields (reported, never a reason to reject). The request
asks for structured output (`response_format` with a strict JSON schema); servers that ignore
it are read with a tolerant JSON parse. A verdict that still cannot be read, or that leaves
out a key fact or a misconception, raises `VerdictError`: a pair never passes by default.

`glossary verify` re-checks texts already in the store, curated ones included, without
regenerating anything, and exits 1 on any failure.

Where verdicts are written (the rule "a verdict from a test server is never committed"):
`verify` writes the summary of a passing verdict into the text's front matter only when the
model server is a remote one, i.e. OPENAI_BASE_URL is unset (the OpenAI API) or names a host
that is not this machine. A server on a loopback address (localhost, 127.0.0.0/8, ::1,
0.0.0.0) is treated as a test or scratch server and its verdicts are only printed.
`--write-verdicts` writes them anyway (a real model served locally by Ollama, vLLM, ...),
`--no-write-verdicts` never writes.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import jinja2

from generator.inputs.schemas import Concept, Glossary, Persona
from generator.texts.prompts import template_text
from generator.texts.store import body_hash
from generator.writing.verdicts import (
    Verdict,
    VerdictError,
    parse_verdict,
    response_format,
)

TEMPLATE = "judge.md"
USER_MARKER = "<!-- user message -->"
JUDGE_TEMPERATURE = 0.0


# --------------------------------------------------------------------------- the request


@lru_cache(maxsize=1)
def _template_parts() -> tuple[jinja2.Template, jinja2.Template]:
    text = template_text(TEMPLATE)
    system, marker, user = text.partition(USER_MARKER)
    if not marker:
        raise RuntimeError(f"templates/{TEMPLATE} has no {USER_MARKER!r} line")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.from_string(system.strip() + "\n"), env.from_string(user.lstrip("\n"))


def build_judge_messages(glossary: Glossary, concept: Concept, persona: Persona, body: str) -> list[dict[str, str]]:
    """The judge's Chat Completions messages: fixed instructions first, then this pair."""
    system, user = _template_parts()
    # The body is data between tags; keep it from closing them early.
    safe_body = re.sub(
        r"</?\s*explanation\s*>",
        lambda m: m.group(0).replace("explanation", "explanation\u200b"),
        body.strip(),
        flags=re.I,
    )
    return [
        {"role": "system", "content": system.render()},
        {"role": "user", "content": user.render(concept=concept, persona=persona, body=safe_body)},
    ]


def judge_max_tokens(concept: Concept) -> int:
    """Room for a one-line reason per fact and misconception, and a few false claims."""
    return 600 + 120 * (len(concept.facts) + len(concept.misconceptions))


# --------------------------------------------------------------------------- the check


async def check(
    caller,
    settings,
    glossary: Glossary,
    concept: Concept,
    persona: Persona,
    body: str,
    *,
    gist: str | None = None,
    bypass_cache: bool = False,
) -> Verdict:
    """Ask the judge model (settings.judge) about one explanation; raise VerdictError if unreadable.

    The call goes through the ModelCaller, so it is cached like a generation call; an answer
    that cannot be read is forgotten by the cache, so the next run asks again."""
    # The gist is checked with the text it sums up, as the line the page shows above it; the
    # verdict's body_sha256 stays the body's own.
    checked = f"Gist: {gist}\n\n{body}" if gist else body
    messages = build_judge_messages(glossary, concept, persona, checked)
    result = await caller.complete(
        settings.judge,
        messages,
        temperature=JUDGE_TEMPERATURE,
        max_tokens=judge_max_tokens(concept),
        response_format=response_format(),
        bypass_cache=bypass_cache,
    )
    try:
        refusal = getattr(result, "refusal", None)
        if refusal and not (result.content or "").strip():
            raise VerdictError(f"the judge refused to answer: {' '.join(str(refusal).split())[:200]}", result.content)
        if result.finish_reason == "length":
            raise VerdictError("the judge's answer was cut off (finish_reason=length)", result.content)
        return parse_verdict(result.content, concept, judge=settings.judge, body=body)
    except VerdictError:
        await _forget(caller, result.key)
        raise


async def _forget(caller, key) -> None:
    if key is None:
        return
    outcome = caller.forget(key)
    if inspect.isawaitable(outcome):
        await outcome


# --------------------------------------------------------------------------- where verdicts may be written


def is_local_server(base_url: str | None) -> bool:
    """True when the model server runs on this machine (a loopback or unspecified address)."""
    if not base_url:
        return False
    host = (urlsplit(base_url if "//" in base_url else f"//{base_url}").hostname or "").lower().rstrip(".")
    if host in ("localhost", "ip6-localhost", "ip6-loopback") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_loopback or address.is_unspecified


def may_write_verdicts(flag: bool | None, base_url: str | None = None) -> tuple[bool, str]:
    """Whether verify writes verdicts into the store, and why (the rule is in this module's docstring)."""
    url = os.environ.get("OPENAI_BASE_URL") if base_url is None else base_url
    if flag is True:
        return True, "--write-verdicts was given"
    if flag is False:
        return False, "--no-write-verdicts was given"
    if is_local_server(url):
        return (
            False,
            f"the model server {url} is on this machine, so it is treated as a test server; pass --write-verdicts to record its verdicts",
        )
    return True, f"the model server is {'the OpenAI API' if not url else url}"


# --------------------------------------------------------------------------- glossary verify


@dataclass
class VerifyResult:
    """The outcome of re-checking one stored explanation."""

    concept: str
    persona: str
    verdict: Verdict | None = None
    error: str | None = None  # unreadable verdict, failed call, unreadable file
    written: bool = False
    note: str = ""
    checks: list[str] = field(default_factory=list)  # findings of the checks that need no model
    curated: bool = False  # a person wrote it: check findings are reported, not blocking
    judged: bool = True  # False with --checks-only
    language: str | None = None  # None in the source language

    @property
    def label(self) -> str:
        return f"{self.concept}/{self.persona}" + (f".{self.language}" if self.language else "")

    @property
    def passed(self) -> bool:
        if self.error is not None or (self.checks and not self.curated):
            return False
        return not self.judged or (self.verdict is not None and self.verdict.passed)

    @property
    def findings(self) -> list[str]:
        if self.error is not None:
            return [self.error]
        lines = list(self.verdict.failures) if self.verdict is not None else []
        lines += [f"{'reported' if self.curated else 'blocks'}: {finding}" for finding in self.checks]
        if not lines and self.verdict is not None:
            lines = [self.verdict.summary()]
        return lines


def run_checks(glossary: Glossary, targets) -> list[VerifyResult]:
    """The checks that need no model, on every selected stored text."""
    from generator.writing.checks import check_text

    results = []
    for status in targets:
        explanation = status.explanation
        # Every language's text is checked against the source-language definition and facts.
        findings = check_text(glossary.source or glossary, glossary.ground_truth(status.concept), explanation.body)
        results.append(
            VerifyResult(
                status.concept,
                status.persona,
                checks=[f.message for f in findings],
                curated=bool(explanation.curated),
                language=status.language,
            )
        )
    return results


def _targets(glossary: Glossary, settings, store, concepts: tuple[str, ...], personas: tuple[str, ...]):
    """The (status, result) of every stored pair the options select."""
    from generator.errors import ConfigError
    from generator.texts.status import (
        BROKEN,
        CURATED,
        FRESH,
        REVIEW,
        STALE,
        pair_status,
    )

    everyone = (glossary.source or glossary).personas
    unknown = [f"concept {c!r}" for c in concepts if c not in glossary.concepts] + [
        f"persona {p!r}" for p in personas if p not in everyone
    ]
    if unknown:
        raise ConfigError("no " + ", no ".join(unknown))
    chosen = [c for c in sorted(glossary.concepts) if not concepts or c in concepts]
    people = [p.slug for p in glossary.ordered_personas() if not personas or p.slug in personas]
    targets, broken = [], []
    for concept in chosen:
        for persona in people:
            status = pair_status(glossary, settings, store, concept, persona)
            if status.state in (FRESH, STALE, CURATED, REVIEW):
                targets.append(status)
            elif status.state == BROKEN:
                broken.append(VerifyResult(concept, persona, error=status.describe(), language=store.language))
    return targets, broken


async def _verify_all(caller, settings, glossary: Glossary, targets, *, bypass_cache: bool) -> list[VerifyResult]:
    from generator.errors import ModelError
    from generator.llm.calls import BudgetReached, CallError

    checked = {(r.concept, r.persona): r for r in run_checks(glossary, targets)}

    async def one(status) -> VerifyResult:
        result = checked[(status.concept, status.persona)]
        concept, persona = glossary.ground_truth(status.concept), glossary.personas[status.persona]
        try:
            explanation = status.explanation
            result.verdict = await check(
                caller,
                settings,
                glossary,
                concept,
                persona,
                explanation.body,
                gist=explanation.gist,
                bypass_cache=bypass_cache,
            )
            result.verdict.traced = not result.checks
        except VerdictError as exc:
            result.error = f"unreadable verdict: {exc}"
        except (CallError, BudgetReached) as exc:
            result.error = f"judge call failed: {exc}"
        return result

    tasks = [asyncio.create_task(one(status)) for status in targets]
    try:
        return list(await asyncio.gather(*tasks))
    except ModelError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _same_verdict(old: Any, new: dict[str, Any]) -> bool:
    """A recorded verdict that says the same about the same body: rewriting it would be churn."""
    if not isinstance(old, dict):
        return False
    return {k: v for k, v in old.items() if k != "date"} == {k: v for k, v in new.items() if k != "date"}


def write_verdict(store, status, verdict: Verdict) -> tuple[bool, str]:
    """Record a passing verdict in a stored text's front matter; the body is kept byte for byte."""
    explanation = status.explanation
    if explanation.edited:
        return False, "not recorded: a generated text edited by hand (regenerate it, or mark it curated)"
    if verdict.body_sha256 != body_hash(explanation.body):
        return False, "not recorded: the text changed while it was checked"
    summary = verdict.front_matter()
    if _same_verdict(explanation.meta.get("verdict"), summary):
        return False, "already recorded"
    explanation.meta["verdict"] = summary
    explanation.meta.pop("verify", None)  # "verification was off" no longer holds
    store.write(explanation)
    return True, "recorded"
