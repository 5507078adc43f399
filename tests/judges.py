"""Scripted responders for FakeOpenAI: a rule-based judge and scripted explanation writers.

`scripted_judge(request)` answers a judge request (see generator/templates/judge.md) with a
verdict JSON computed from simple rules on the explanation text, so tests are deterministic:

- a RULE whose pattern matches the explanation (and is not negated just before, as in "does
  not add latency at inference") contradicts every key fact and asserts every misconception
  whose text matches the rule's `fact` / `misconception` patterns;
- a FALSE_CLAIM pattern adds a false claim;
- every other key fact is "supported" when at least half of its distinctive words occur in
  the explanation, "not_mentioned" otherwise.

`Script` answers generation requests with scripted texts and judge requests with a judge:

    script = Script({("LoRA (Low-Rank Adaptation)", "Physicist"): [WRONG, RIGHT]})
    FakeOpenAI(responder=script)

The first text answers the first attempt, the second answers the retry (a request whose
prompt carries the judge's feedback).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

JUDGE_MARKER = "You are the fact-checker"
FEEDBACK_MARKER = "A fact-checker rejected your previous attempt"
NEGATION = re.compile(r"\b(?:not|never|no|without|nor|isn't|doesn't|don't|won't|cannot|can't)\b[\w\s,'-]{0,12}$", re.I)


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str
    fact: str | None = None  # facts whose text matches this are contradicted
    misconception: str | None = None  # misconceptions whose text matches this are asserted


RULES = [
    Rule(
        "compresses data",
        r"\bcompress(?:es|ing)?\s+(?:the\s+|its\s+|your\s+)?(?:training\s+)?data(?:sets?)?\b",
        misconception=r"compresses the training data",
    ),
    Rule(
        "retrains all weights",
        r"\b(?:re)?(?:trains?|updates?)\s+(?:all|every one)\s+(?:of\s+)?(?:the\s+|its\s+)?(?:model'?s?\s+)?(?:weights|parameters)\b"
        r"|\ball\s+(?:of\s+)?the\s+(?:weights|parameters)\s+are\s+(?:re)?trained\b",
        fact=r"(?:pretrained weights|W0)[^.;]*frozen",
        misconception=r"updates all the weights",
    ),
    Rule(
        "adds inference latency",
        r"\badds?\s+(?:\w+\s+){0,2}latency\s+(?:at|during|to)\s+inference\b|\bslower\s+at\s+inference\b|\binference\s+(?:is|becomes)\s+slower\b",
        fact=r"no inference latency|as fast as before",
        misconception=r"latency at inference",
    ),
    Rule(
        "is a dataset",
        r"\b(?:LoRA|it)\s+is\s+(?:just\s+|simply\s+)?(?:a|an)\s+(?:\w+\s+)?data\s?set\b",
        misconception=r"\bis a dataset\b",
    ),
]
FALSE_CLAIMS = [
    (
        r"\b(?:invented|introduced|created)\s+(?:by|at)\s+Google\b",
        "LoRA was introduced by Hu et al. at Microsoft, not by Google",
    ),
]
STOPWORDS = set(
    "about after again their there these those which while where would could should other being every model models training trained".split()
)


@dataclass
class JudgeRequest:
    facts: list[str]
    misconceptions: list[str]
    analogy_fields: list[str]
    body: str


def is_judge_request(request: dict) -> bool:
    fmt = request.get("response_format") or {}
    if isinstance(fmt, dict) and (fmt.get("json_schema") or {}).get("name") == "verdict":
        return True
    messages = request.get("messages") or []
    return bool(messages) and str(messages[0].get("content", "")).startswith(JUDGE_MARKER)


def _user_text(request: dict) -> str:
    return "\n".join(str(m.get("content", "")) for m in request.get("messages") or [] if m.get("role") == "user")


def _numbered_section(text: str, heading: str) -> list[str]:
    match = re.search(rf"^## {heading}[^\n]*\n(.*?)(?:\n\s*\n|\n## |\Z)", text, re.S | re.M)
    if not match:
        return []
    return [m.group(1).strip() for m in re.finditer(r"^\d+\.\s+(.*)$", match.group(1), re.M)]


def parse_judge_request(request: dict) -> JudgeRequest:
    text = _user_text(request)
    body = re.search(r"<explanation>\n(.*)\n</explanation>", text, re.S)
    fields = re.search(r"Fields the analogies should come from:\n((?:- .*\n?)*)", text)
    return JudgeRequest(
        facts=_numbered_section(text, "Key facts"),
        misconceptions=_numbered_section(text, "Misconceptions"),
        analogy_fields=[
            line[2:].strip()
            for line in (fields.group(1).splitlines() if fields else [])
            if line.startswith("- ") and "(none listed)" not in line
        ],
        body=body.group(1) if body else "",
    )


def _matches(pattern: str, text: str) -> list[str]:
    """Matches of a pattern that are not negated just before ("does not add ...")."""
    found = []
    for m in re.finditer(pattern, text, re.I):
        before = text[max(0, m.start() - 30) : m.start()]
        if not NEGATION.search(before):
            found.append(m.group(0))
    return found


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9'-]{4,}", text.lower()) if w not in STOPWORDS}


def judge_verdict(request: dict) -> dict:
    """The verdict the rules give for one judge request."""
    req = parse_judge_request(request)
    body = req.body
    contradicted: dict[int, str] = {}
    asserted: dict[int, str] = {}
    for rule in RULES:
        hits = _matches(rule.pattern, body)
        if not hits:
            continue
        for i, fact in enumerate(req.facts, 1):
            if rule.fact and re.search(rule.fact, fact, re.I):
                contradicted.setdefault(i, f'says "{hits[0]}" ({rule.name})')
        for i, item in enumerate(req.misconceptions, 1):
            if rule.misconception and re.search(rule.misconception, item, re.I):
                asserted.setdefault(i, f'says "{hits[0]}"')
    body_words = _words(body)
    facts = []
    for i, fact in enumerate(req.facts, 1):
        if i in contradicted:
            facts.append({"index": i, "status": "contradicted", "reason": contradicted[i]})
            continue
        words = _words(fact)
        share = len(words & body_words) / len(words) if words else 0.0
        status = "supported" if share >= 0.5 else "not_mentioned"
        facts.append({"index": i, "status": status, "reason": f"{share:.0%} of the fact's words appear"})
    misconceptions = [
        {"index": i, "asserted": i in asserted, "reason": asserted.get(i, "not asserted")}
        for i in range(1, len(req.misconceptions) + 1)
    ]
    claims = [{"claim": hit, "reason": reason} for pattern, reason in FALSE_CLAIMS for hit in _matches(pattern, body)]
    field_words = _words(" ".join(req.analogy_fields))
    from_fields = bool(field_words & body_words)
    return {
        "facts": facts,
        "misconceptions": misconceptions,
        "analogies_from_persona_fields": from_fields,
        "analogies_note": "uses the reader's fields" if from_fields else "no analogy from the reader's fields",
        "false_claims": claims,
    }


def scripted_judge(request: dict) -> str:
    """A judge answer as strict JSON, the way a server honouring response_format answers."""
    return json.dumps(judge_verdict(request))


def fenced_judge(request: dict) -> str:
    """A judge answer from a server that ignores response_format: prose and a fenced block."""
    return (
        "Here is my verdict.\n\n```json\n"
        + json.dumps(judge_verdict(request), indent=2)
        + "\n```\nLet me know if you need more."
    )


def variant_judge(request: dict) -> str:
    """Key variants a sloppy server might use: key_facts keyed by number, status words, yes/no."""
    verdict = judge_verdict(request)
    words = {"supported": "Supported", "not_mentioned": "not mentioned", "contradicted": "Contradicted"}
    return "Verdict: " + json.dumps(
        {
            "key_facts": {
                str(f["index"]): {"verdict": words[f["status"]], "explanation": f["reason"]} for f in verdict["facts"]
            },
            "Misconceptions": [
                {"id": m["index"], "asserts": "yes" if m["asserted"] else "no", "rationale": m["reason"]}
                for m in verdict["misconceptions"]
            ],
            "analogies-from-persona-fields": verdict["analogies_from_persona_fields"],
            "false claims": verdict["false_claims"],
        }
    )


def unparseable_judge(request: dict) -> str:
    return "The explanation looks accurate to me; I have no concerns."


def incomplete_judge(request: dict) -> str:
    """A verdict that leaves out the last key fact."""
    verdict = judge_verdict(request)
    verdict["facts"] = verdict["facts"][:-1]
    return json.dumps(verdict)


# --------------------------------------------------------------------------- generation + judge


def generation_keys(request: dict) -> tuple[str, str, bool]:
    """(concept title, persona name, is a retry) of a generation request."""
    text = _user_text(request)
    title = re.search(r"^## The concept: (.*)$", text, re.M)
    name = re.search(r"^## The reader: (.*)$", text, re.M)
    return (title.group(1).strip() if title else "", name.group(1).strip() if name else "", FEEDBACK_MARKER in text)


@dataclass
class Script:
    """Answers generation requests from `texts`, judge requests with `judge`.

    `texts` maps (concept title, persona name), or a concept title alone, to a text or to
    [first attempt, retry]. Unlisted pairs get a short neutral text."""

    texts: dict = field(default_factory=dict)
    judge: Callable[[dict], str] = scripted_judge
    judge_requests: list = field(default_factory=list)
    generation_requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def text_for(self, title: str, persona: str, retry: bool) -> str:
        value = self.texts.get((title, persona), self.texts.get(title))
        if value is None:
            return f"A short, faithful explanation of {title} for the {persona.lower()} reader.\n"
        if isinstance(value, str):
            return value
        return value[min(1 if retry else 0, len(value) - 1)]

    def __call__(self, request: dict):
        if is_judge_request(request):
            with self.lock:
                self.judge_requests.append(request)
            return self.judge(request)
        title, persona, retry = generation_keys(request)
        with self.lock:
            self.generation_requests.append((title, persona, retry))
        return self.text_for(title, persona, retry)
