"""The judge's verdict: its schema, and a lenient parser for what models actually answer."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from generator.inputs.schemas import Concept
from generator.texts.store import body_hash

SUPPORTED, NOT_MENTIONED, CONTRADICTED = "supported", "not_mentioned", "contradicted"
FactStatus = Literal["supported", "not_mentioned", "contradicted"]


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
    anchored: int = 0  # key facts the judge saw with their source's words
    traced: bool | None = None  # the checks that need no model found nothing (None: not run)

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
            text += "; analogies not from the reader's fields" + (
                f" ({self.analogies_note})" if self.analogies_note else ""
            )
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
            **({"anchored": self.anchored} if self.anchored else {}),
            **({"traced": self.traced} if self.traced is not None else {}),
        }


def _reason(text: str) -> str:
    text = " ".join(text.split())
    return text or "no reason given"


def verdict_schema() -> dict[str, Any]:
    """The JSON schema of the judge's answer (strict structured outputs: every key required)."""

    def obj(properties: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}

    return obj(
        {
            "facts": {
                "type": "array",
                "items": obj(
                    {
                        "index": {"type": "integer", "description": "the key fact's number"},
                        "status": {"type": "string", "enum": [SUPPORTED, NOT_MENTIONED, CONTRADICTED]},
                        "reason": {"type": "string", "description": "one line"},
                    }
                ),
            },
            "misconceptions": {
                "type": "array",
                "items": obj(
                    {
                        "index": {"type": "integer", "description": "the misconception's number"},
                        "asserted": {"type": "boolean"},
                        "reason": {"type": "string", "description": "one line"},
                    }
                ),
            },
            "analogies_from_persona_fields": {"type": "boolean"},
            "analogies_note": {"type": "string"},
            "false_claims": {
                "type": "array",
                "items": obj(
                    {
                        "claim": {"type": "string"},
                        "reason": {"type": "string"},
                    }
                ),
            },
        }
    )


def response_format() -> dict[str, Any]:
    """Chat Completions structured outputs for the verdict."""
    return {"type": "json_schema", "json_schema": {"name": "verdict", "strict": True, "schema": verdict_schema()}}


# --------------------------------------------------------------------------- reading the answer

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)```", re.S)
_KEYS = {
    "facts": ("facts", "key_facts", "fact_checks", "facts_checks", "fact_verdicts", "keyfacts"),
    "misconceptions": ("misconceptions", "misconception_checks", "misconceptions_checks", "misconception_verdicts"),
    "false_claims": ("false_claims", "other_false_claims", "false_statements", "incorrect_claims", "other_claims"),
    "analogies": (
        "analogies_from_persona_fields",
        "analogies_from_persona",
        "analogies_from_reader_fields",
        "analogies_ok",
        "analogies_from_fields",
    ),
    "analogies_note": ("analogies_note", "analogy_note", "analogies_reason", "analogies_comment", "note"),
}
_INDEX_KEYS = (
    "index",
    "id",
    "number",
    "num",
    "n",
    "fact_index",
    "fact_number",
    "misconception_index",
    "misconception_number",
    "idx",
)
_STATUS_KEYS = ("status", "verdict", "label", "result", "assessment", "judgement", "judgment")
_ASSERTED_KEYS = ("asserted", "asserts", "is_asserted", "present", "made", "status", "verdict", "result")
_REASON_KEYS = ("reason", "explanation", "rationale", "justification", "evidence", "comment", "note")
_STATUS_WORDS = {
    SUPPORTED: (
        "supported",
        "support",
        "supports",
        "consistent",
        "entailed",
        "correct",
        "present",
        "mentioned",
        "covered",
        "true",
        "yes",
    ),
    NOT_MENTIONED: (
        "not_mentioned",
        "notmentioned",
        "not_addressed",
        "absent",
        "omitted",
        "missing",
        "not_covered",
        "unmentioned",
        "not_present",
        "none",
        "neutral",
    ),
    CONTRADICTED: (
        "contradicted",
        "contradicts",
        "contradiction",
        "contradictory",
        "refuted",
        "incorrect",
        "false",
        "violated",
        "inconsistent",
        "wrong",
    ),
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
        check = FactCheck(
            index=index,
            fact=concept.claims[index - 1],
            status=_status(entry, index, text),
            reason=_text(entry, _REASON_KEYS),
        )
        if index not in facts or _SEVERITY[check.status] > _SEVERITY[facts[index].status]:
            facts[index] = check  # listed twice: the worse reading counts
    missing = [i for i in range(1, len(concept.facts) + 1) if i not in facts]
    if missing:
        raise VerdictError(
            f"the verdict leaves out key fact{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of {len(concept.facts)}",
            text,
        )

    misconceptions: dict[int, MisconceptionCheck] = {}
    found, raw_misc = _pick(data, _KEYS["misconceptions"])
    if concept.misconceptions:
        if not found:
            raise VerdictError("the judge's answer has no 'misconceptions'", text)
        for index, entry in _numbered(raw_misc, len(concept.misconceptions), "misconceptions", text):
            check = MisconceptionCheck(
                index=index,
                misconception=concept.misconceptions[index - 1],
                asserted=_asserted(entry, index, text),
                reason=_text(entry, _REASON_KEYS),
            )
            if index not in misconceptions or check.asserted:
                misconceptions[index] = check
        missing = [i for i in range(1, len(concept.misconceptions) + 1) if i not in misconceptions]
        if missing:
            raise VerdictError(
                f"the verdict leaves out misconception{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of {len(concept.misconceptions)}",
                text,
            )

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
        anchored=len(concept.anchored),
    )
