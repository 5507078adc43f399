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
import datetime as dt
import inspect
import ipaddress
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import click
import jinja2
from pydantic import BaseModel, Field

from .concepts import Concept, Glossary, Persona
from .prompts import template_text
from .store import body_hash

SUPPORTED, NOT_MENTIONED, CONTRADICTED = "supported", "not_mentioned", "contradicted"
FactStatus = Literal["supported", "not_mentioned", "contradicted"]
TEMPLATE = "judge.md"
USER_MARKER = "<!-- user message -->"
JUDGE_TEMPERATURE = 0.0


class VerdictError(Exception):
    """The judge's answer cannot be read as a complete verdict: the pair fails."""

    def __init__(self, message: str, raw: str | None = None):
        super().__init__(message)
        self.raw = raw


# --------------------------------------------------------------------------- the verdict


class FactCheck(BaseModel):
    """One key fact, as the judge saw it in the explanation."""

    index: int  # 1-based, as numbered in the request
    fact: str
    status: FactStatus
    reason: str = ""


class MisconceptionCheck(BaseModel):
    """One misconception: does the explanation assert it?"""

    index: int
    misconception: str
    asserted: bool
    reason: str = ""


class FalseClaim(BaseModel):
    """A false statement the key facts and misconceptions do not cover."""

    claim: str
    reason: str = ""


class Verdict(BaseModel):
    """The judge's verdict on one explanation."""

    judge: str
    facts: list[FactCheck]
    misconceptions: list[MisconceptionCheck] = []
    analogies_from_persona_fields: bool | None = None
    analogies_note: str = ""
    false_claims: list[FalseClaim] = []
    body_sha256: str = ""
    date: str = Field(default_factory=lambda: dt.date.today().isoformat())

    @property
    def contradicted(self) -> list[FactCheck]:
        return [f for f in self.facts if f.status == CONTRADICTED]

    @property
    def covered(self) -> list[FactCheck]:
        return [f for f in self.facts if f.status == SUPPORTED]

    @property
    def asserted(self) -> list[MisconceptionCheck]:
        return [m for m in self.misconceptions if m.asserted]

    @property
    def passed(self) -> bool:
        """No contradicted fact, no asserted misconception, no false claim."""
        return not self.contradicted and not self.asserted and not self.false_claims

    @property
    def failures(self) -> list[str]:
        """One line per finding, naming the fact or misconception and the judge's reason.

        These lines are also the feedback for a second attempt at the explanation."""
        lines = [f'contradicts key fact {f.index} "{f.fact}": {_reason(f.reason)}' for f in self.contradicted]
        lines += [f'asserts misconception {m.index} "{m.misconception}": {_reason(m.reason)}' for m in self.asserted]
        lines += [f'false claim "{c.claim}": {_reason(c.reason)}' for c in self.false_claims]
        return lines

    def summary(self) -> str:
        """One line for a table: what was covered, and the analogy note."""
        text = f"covers {len(self.covered)} of {len(self.facts)} key facts"
        if self.analogies_from_persona_fields is False:
            text += "; analogies not from the reader's fields" + (f" ({self.analogies_note})" if self.analogies_note else "")
        return text

    def front_matter(self) -> dict[str, Any]:
        """The compact summary kept in the explanation's front matter (see pages.provenance)."""
        return {
            "judge": self.judge,
            "facts": len(self.facts),
            "covered": len(self.covered),
            "contradicted": len(self.contradicted),
            "misconceptions_asserted": len(self.asserted),
            "false_claims": len(self.false_claims),
            "analogies_from_persona_fields": self.analogies_from_persona_fields,
            "body_sha256": self.body_sha256,
            "date": self.date,
        }


def _reason(text: str) -> str:
    text = " ".join(text.split())
    return text or "no reason given"


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
    safe_body = re.sub(r"</?\s*explanation\s*>", lambda m: m.group(0).replace("explanation", "explanation\u200b"), body.strip(), flags=re.I)
    return [
        {"role": "system", "content": system.render()},
        {"role": "user", "content": user.render(concept=concept, persona=persona, body=safe_body)},
    ]


def verdict_schema() -> dict[str, Any]:
    """The JSON schema of the judge's answer (strict structured outputs: every key required)."""

    def obj(properties: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}

    return obj({
        "facts": {"type": "array", "items": obj({
            "index": {"type": "integer", "description": "the key fact's number"},
            "status": {"type": "string", "enum": [SUPPORTED, NOT_MENTIONED, CONTRADICTED]},
            "reason": {"type": "string", "description": "one line"},
        })},
        "misconceptions": {"type": "array", "items": obj({
            "index": {"type": "integer", "description": "the misconception's number"},
            "asserted": {"type": "boolean"},
            "reason": {"type": "string", "description": "one line"},
        })},
        "analogies_from_persona_fields": {"type": "boolean"},
        "analogies_note": {"type": "string"},
        "false_claims": {"type": "array", "items": obj({
            "claim": {"type": "string"},
            "reason": {"type": "string"},
        })},
    })


def response_format() -> dict[str, Any]:
    """Chat Completions structured outputs for the verdict."""
    return {"type": "json_schema", "json_schema": {"name": "verdict", "strict": True, "schema": verdict_schema()}}


def judge_max_tokens(concept: Concept) -> int:
    """Room for a one-line reason per fact and misconception, and a few false claims."""
    return 600 + 120 * (len(concept.facts) + len(concept.misconceptions))


# --------------------------------------------------------------------------- reading the answer

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)```", re.S)
_KEYS = {
    "facts": ("facts", "key_facts", "fact_checks", "facts_checks", "fact_verdicts", "keyfacts"),
    "misconceptions": ("misconceptions", "misconception_checks", "misconceptions_checks", "misconception_verdicts"),
    "false_claims": ("false_claims", "other_false_claims", "false_statements", "incorrect_claims", "other_claims"),
    "analogies": ("analogies_from_persona_fields", "analogies_from_persona", "analogies_from_reader_fields", "analogies_ok", "analogies_from_fields"),
    "analogies_note": ("analogies_note", "analogy_note", "analogies_reason", "analogies_comment", "note"),
}
_INDEX_KEYS = ("index", "id", "number", "num", "n", "fact_index", "fact_number", "misconception_index", "misconception_number", "idx")
_STATUS_KEYS = ("status", "verdict", "label", "result", "assessment", "judgement", "judgment")
_ASSERTED_KEYS = ("asserted", "asserts", "is_asserted", "present", "made", "status", "verdict", "result")
_REASON_KEYS = ("reason", "explanation", "rationale", "justification", "evidence", "comment", "note")
_STATUS_WORDS = {
    SUPPORTED: ("supported", "support", "supports", "consistent", "entailed", "correct", "present", "mentioned", "covered", "true", "yes"),
    NOT_MENTIONED: ("not_mentioned", "notmentioned", "not_addressed", "absent", "omitted", "missing", "not_covered", "unmentioned", "not_present", "none", "neutral"),
    CONTRADICTED: ("contradicted", "contradicts", "contradiction", "contradictory", "refuted", "incorrect", "false", "violated", "inconsistent", "wrong"),
}
_TRUE_WORDS = ("true", "yes", "asserted", "asserts", "present", "made", "1")
_FALSE_WORDS = ("false", "no", "not_asserted", "absent", "not_present", "rejected", "not_made", "0", "none")


def _norm_key(key: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(key).strip().lower())


def _norm_word(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower()).strip("._")


def extract_json(text: str | None) -> dict[str, Any]:
    """The verdict object in an answer: bare JSON, fenced JSON, or the first object in prose."""
    if text is None or not text.strip():
        raise VerdictError("the judge's answer is empty", text)
    candidates = [text.strip()] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict) and value:
            return value
    raise VerdictError("the judge's answer holds no JSON object", text)


def _pick(data: dict[str, Any], names: tuple[str, ...]) -> tuple[bool, Any]:
    for name in names:
        if name in data:
            return True, data[name]
    return False, None


def _entries(value: Any, what: str, raw: str | None) -> list[tuple[int | None, Any]]:
    """A list of (index or None, entry) from a list or from a mapping keyed by number."""
    if isinstance(value, list):
        return [(None, item) for item in value]
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            digits = re.search(r"\d+", str(key))
            if not digits:
                raise VerdictError(f"{what}: unexpected key {key!r}", raw)
            out.append((int(digits.group(0)), item))
        return out
    raise VerdictError(f"{what} is not a list", raw)


def _index_of(entry: Any, given: int | None) -> int | None:
    if given is not None:
        return given
    if isinstance(entry, dict):
        found, value = _pick({_norm_key(k): v for k, v in entry.items()}, _INDEX_KEYS)
        if found and value is not None:
            digits = re.search(r"\d+", str(value))
            if digits:
                return int(digits.group(0))
    return None


def _numbered(value: Any, count: int, what: str, raw: str | None) -> list[tuple[int, dict[str, Any] | Any]]:
    """Entries with 1-based indices; positions stand in when the judge gave no numbers."""
    entries = _entries(value, what, raw)
    indices = [_index_of(entry, given) for given, entry in entries]
    if all(i is None for i in indices):
        indices = list(range(1, len(entries) + 1))
    elif any(i is None for i in indices):
        raise VerdictError(f"{what}: some entries have no number", raw)
    if count and indices and min(indices) == 0 and max(indices) == count - 1:
        indices = [i + 1 for i in indices]  # numbered from 0
    out = []
    for index, (_, entry) in zip(indices, entries):
        if not 1 <= index <= count:
            raise VerdictError(f"{what}: there is no number {index} (there are {count})", raw)
        out.append((index, {_norm_key(k): v for k, v in entry.items()} if isinstance(entry, dict) else entry))
    return out


def _status(entry: Any, index: int, raw: str | None) -> FactStatus:
    value = _pick(entry, _STATUS_KEYS)[1] if isinstance(entry, dict) else entry
    word = _norm_word(value) if isinstance(value, str) else None
    for status, words in _STATUS_WORDS.items():
        if word in words:
            return status  # type: ignore[return-value]
    raise VerdictError(f"key fact {index}: unknown status {value!r}", raw)


def _asserted(entry: Any, index: int, raw: str | None) -> bool:
    value = _pick(entry, _ASSERTED_KEYS)[1] if isinstance(entry, dict) else entry
    if isinstance(value, bool):
        return value
    word = _norm_word(value) if isinstance(value, (str, int)) else None
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise VerdictError(f"misconception {index}: cannot tell whether it is asserted ({value!r})", raw)


def _text(entry: Any, keys: tuple[str, ...]) -> str:
    if not isinstance(entry, dict):
        return ""
    value = _pick(entry, keys)[1]
    return " ".join(str(value).split()) if value is not None else ""


_SEVERITY = {SUPPORTED: 0, NOT_MENTIONED: 1, CONTRADICTED: 2}


def parse_verdict(text: str | None, concept: Concept, *, judge: str, body: str) -> Verdict:
    """Read a judge's answer into a Verdict covering every key fact and misconception."""
    data = extract_json(text)
    data = {_norm_key(k): v for k, v in data.items()}
    if "facts" not in data and len(data) == 1 and isinstance(next(iter(data.values())), dict):
        data = {_norm_key(k): v for k, v in next(iter(data.values())).items()}  # {"verdict": {...}}
    found, raw_facts = _pick(data, _KEYS["facts"])
    if not found:
        raise VerdictError("the judge's answer has no 'facts'", text)

    facts: dict[int, FactCheck] = {}
    for index, entry in _numbered(raw_facts, len(concept.facts), "facts", text):
        check = FactCheck(index=index, fact=concept.facts[index - 1], status=_status(entry, index, text), reason=_text(entry, _REASON_KEYS))
        if index not in facts or _SEVERITY[check.status] > _SEVERITY[facts[index].status]:
            facts[index] = check  # listed twice: the worse reading counts
    missing = [i for i in range(1, len(concept.facts) + 1) if i not in facts]
    if missing:
        raise VerdictError(f"the verdict leaves out key fact{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of {len(concept.facts)}", text)

    misconceptions: dict[int, MisconceptionCheck] = {}
    found, raw_misc = _pick(data, _KEYS["misconceptions"])
    if concept.misconceptions:
        if not found:
            raise VerdictError("the judge's answer has no 'misconceptions'", text)
        for index, entry in _numbered(raw_misc, len(concept.misconceptions), "misconceptions", text):
            check = MisconceptionCheck(index=index, misconception=concept.misconceptions[index - 1], asserted=_asserted(entry, index, text), reason=_text(entry, _REASON_KEYS))
            if index not in misconceptions or check.asserted:
                misconceptions[index] = check
        missing = [i for i in range(1, len(concept.misconceptions) + 1) if i not in misconceptions]
        if missing:
            raise VerdictError(f"the verdict leaves out misconception{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of {len(concept.misconceptions)}", text)

    claims: list[FalseClaim] = []
    found, raw_claims = _pick(data, _KEYS["false_claims"])
    if found and raw_claims:
        if not isinstance(raw_claims, list):
            raw_claims = [raw_claims]
        for item in raw_claims:
            if isinstance(item, str):
                claims.append(FalseClaim(claim=" ".join(item.split())))
            elif isinstance(item, dict):
                entry = {_norm_key(k): v for k, v in item.items()}
                claim = _text(entry, ("claim", "statement", "text", "quote"))
                if not claim:
                    raise VerdictError(f"a false claim without its text: {item!r}", text)
                claims.append(FalseClaim(claim=claim, reason=_text(entry, _REASON_KEYS)))
            else:
                raise VerdictError(f"unreadable false claim {item!r}", text)

    analogies = _pick(data, _KEYS["analogies"])[1]
    if not isinstance(analogies, bool):
        word = _norm_word(analogies) if isinstance(analogies, str) else None
        analogies = True if word in _TRUE_WORDS else False if word in _FALSE_WORDS else None
    note = _pick(data, _KEYS["analogies_note"])[1]
    return Verdict(
        judge=judge,
        facts=[facts[i] for i in sorted(facts)],
        misconceptions=[misconceptions[i] for i in sorted(misconceptions)],
        analogies_from_persona_fields=analogies,
        analogies_note=" ".join(str(note).split()) if isinstance(note, str) else "",
        false_claims=claims,
        body_sha256=body_hash(body),
    )


# --------------------------------------------------------------------------- the check


async def check(caller, settings, glossary: Glossary, concept: Concept, persona: Persona, body: str, *, bypass_cache: bool = False) -> Verdict:
    """Ask the judge model (settings.judge) about one explanation; raise VerdictError if unreadable.

    The call goes through the ModelCaller, so it is cached like a generation call; an answer
    that cannot be read is forgotten by the cache, so the next run asks again."""
    messages = build_judge_messages(glossary, concept, persona, body)
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
        return False, f"the model server {url} is on this machine, so it is treated as a test server; pass --write-verdicts to record its verdicts"
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

    @property
    def passed(self) -> bool:
        return self.error is None and self.verdict is not None and self.verdict.passed

    @property
    def findings(self) -> list[str]:
        if self.error is not None:
            return [self.error]
        if self.verdict is None:
            return []
        return self.verdict.failures or [self.verdict.summary()]


def _targets(glossary: Glossary, settings, store, concepts: tuple[str, ...], personas: tuple[str, ...]):
    """The (status, result) of every stored pair the options select."""
    from .errors import ConfigError
    from .status import BROKEN, CURATED, FRESH, REVIEW, STALE, pair_status

    unknown = [f"concept {c!r}" for c in concepts if c not in glossary.concepts] + [f"persona {p!r}" for p in personas if p not in glossary.personas]
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
                broken.append(VerifyResult(concept, persona, error=status.describe()))
    return targets, broken


async def _verify_all(caller, settings, glossary: Glossary, targets, *, bypass_cache: bool) -> list[VerifyResult]:
    from .calls import BudgetReached, CallError
    from .errors import ModelError

    async def one(status) -> VerifyResult:
        result = VerifyResult(status.concept, status.persona)
        concept, persona = glossary.concepts[status.concept], glossary.personas[status.persona]
        try:
            result.verdict = await check(caller, settings, glossary, concept, persona, status.explanation.body, bypass_cache=bypass_cache)
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


def _print_results(out, results: list[VerifyResult]) -> None:
    from rich.table import Table

    table = Table(title="Faithfulness check", show_lines=True)
    table.add_column("pair", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("findings")
    for r in results:
        verdict = "[green]pass[/]" if r.passed else ("[red]error[/]" if r.error else "[red]FAIL[/]")
        findings = "\n".join(r.findings)
        if r.note:
            findings += f"\n({r.note})"
        table.add_row(f"{r.concept}/{r.persona}", verdict, rich_escape(findings))
    out.print(table)
    for r in results:  # whole lines too, so logs can be searched whatever the table's width
        if not r.passed:
            for finding in r.findings:
                out.print(f"FAILED {r.concept}/{r.persona}: {finding}", markup=False, soft_wrap=True)


def rich_escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@click.command("verify")
@click.option("--concept", "concepts", multiple=True, metavar="SLUG", help="Only this concept (repeatable).")
@click.option("--persona", "personas", multiple=True, metavar="SLUG", help="Only this persona (repeatable).")
@click.option("--write-verdicts/--no-write-verdicts", "write_verdicts", default=None,
              help="Record passing verdicts in the texts' front matter. Default: only when the model server is not on this machine (OPENAI_BASE_URL unset or not a loopback address).")
@click.option("--force", is_flag=True, help="Ask the judge again instead of using cached verdicts.")
@click.option("--jobs", type=click.IntRange(min=1), help="Judge calls in flight at most (default: config `jobs`).")
@click.option("-f", "--config-file", default="mkdocs.yml", show_default=True, type=click.Path(dir_okay=False), help="The site's mkdocs.yml.")
def verify_command(concepts: tuple[str, ...], personas: tuple[str, ...], write_verdicts: bool | None, force: bool, jobs: int | None, config_file: str) -> None:
    """Re-check stored explanations, curated ones included, against their key facts; never regenerates.

    Exits 1 if any text contradicts a key fact, asserts a misconception, makes a false claim,
    or gets a verdict that cannot be read."""
    from .calls import ModelCaller
    from .cli import console
    from .concepts import load_glossary
    from .config import load_settings
    from .store import Store

    settings = load_settings(config_file)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
    store = Store(settings.concepts_path)
    targets, results = _targets(glossary, settings, store, concepts, personas)
    out = console()
    if not targets and not results:
        out.print("No stored explanation matches; nothing to verify.")
        return
    allowed, why = may_write_verdicts(write_verdicts)
    if targets:
        caller = ModelCaller(settings, jobs=jobs)

        async def run() -> list[VerifyResult]:
            try:
                return await _verify_all(caller, settings, glossary, targets, bypass_cache=force)
            finally:
                await caller.aclose()

        checked = asyncio.run(run())
        by_pair = {(s.concept, s.persona): s for s in targets}
        for r in checked:
            if r.passed and allowed:
                r.written, r.note = write_verdict(store, by_pair[(r.concept, r.persona)], r.verdict)
        results = sorted(results + checked, key=lambda r: (r.concept, r.persona))
    _print_results(out, results)
    failed = [r for r in results if not r.passed]
    written = sum(r.written for r in results)
    out.print(f"{len(results)} checked by {settings.judge}: {len(results) - len(failed)} passed, {len(failed)} failed.")
    if allowed:
        out.print(f"Verdicts recorded in {written} file{'s' if written != 1 else ''} ({why}).")
    else:
        out.print(f"Verdicts not recorded: {why}.")
    if failed:
        raise SystemExit(1)
