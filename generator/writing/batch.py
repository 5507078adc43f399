"""Batch mode: `glossary generate --batch` and `glossary collect`, over runs days apart.

A run first collects: every batch it sent earlier that has finished gives its answers to the
response cache (priced at Batch API rates), so the pairs whose current request is answered there
are then stored the usual way (the checks, the judge called synchronously, a rejected answer
retried synchronously with the judge's findings, the write guarded against edits). Requests that
were never run (the batch expired or was cancelled) are sent again once; a second time they are
reported and left for a synchronous `glossary generate`. Then `--batch` sends every other pair
that needs a text as one new batch (`collect` sends nothing new).

What is out is recorded in `<cache_dir>/batches.json`, kept between workflow runs with the response
cache: for each batch its id, its input file and, per request, the pair and the cache key of the
exact request. A pair is sent when no batch out holds its current request, so a second run sends
nothing twice; a pair whose inputs changed while its batch was out has another request now, so the
old answer is never stored for it (the new request goes out). The state is written after each
step, and a batch created by a run that stopped before noting it is found by its input file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import warn
from generator.llm import batches
from generator.llm.cache import request_key
from generator.settings import Settings
from generator.texts.status import PairStatus
from generator.texts.store import atomic_write

STATE_FILE = "batches.json"
RESEND_NOT_RUN = 1  # a request a batch never ran (or that failed) is sent once more, then reported


@dataclass
class Request:
    """One pair's first request, as its batch line and the keys its answer is cached under."""

    status: PairStatus
    keys: list[str]  # this layout's request key first, then the other layout's (an answer to either will do)
    body: dict

    @property
    def custom_id(self) -> str:
        return f"{self.status.concept}/{self.status.persona}/{self.status.language or '-'}/{self.keys[0][:16]}"


@dataclass
class Outcome:
    """What one batch run did and found."""

    arrived: int = 0  # answers put into the response cache
    sent: list[dict] = field(default_factory=list)  # batches created this run
    out: list[dict] = field(default_factory=list)  # batches still running
    resent: list[str] = field(default_factory=list)  # pairs whose request a batch never ran, sent again
    given_up: list[str] = field(default_factory=list)  # pairs not run twice: left for a synchronous run
    failed: list[str] = field(default_factory=list)  # requests or batches that failed, with why
    waiting: list[str] = field(default_factory=list)  # pairs whose request is out
    given_up_requests: list = field(default_factory=list)


class State:
    """`<cache_dir>/batches.json`: the batches out and the requests never run."""

    def __init__(self, path: Path):
        self.path = path
        self.batches: list[dict] = []
        self.not_run: dict[str, int] = {}  # request key -> times a batch did not run it
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.batches = [
                b for b in data.get("batches", []) if isinstance(b, dict) and isinstance(b.get("requests"), dict)
            ]
            self.not_run = {str(k): int(v) for k, v in (data.get("not_run") or {}).items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            warn(f"the batch record {path} is unreadable ({exc}); batches it listed are not collected")

    def save(self) -> None:
        payload = {"version": 1, "batches": self.batches, "not_run": self.not_run}
        atomic_write(self.path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")

    def out_keys(self) -> set[str]:
        return {r["key"] for b in self.batches for r in b["requests"].values()}


def state_for(settings: Settings) -> State:
    return State(settings.cache_path / STATE_FILE)


def first_request(settings: Settings, edition, prompts, status: PairStatus) -> Request:
    """The request a pair's generation starts with, as `Pipeline.body` makes it."""
    concept = edition.glossary.concepts[status.concept]
    persona = edition.glossary.personas[status.persona]
    prompt = prompts.prompt(edition.glossary, concept, persona, edition.language)
    other = prompts.other_layout(edition.glossary, concept, persona, edition.language)
    keys = [
        request_key(settings.model, p.messages, temperature=settings.temperature, max_tokens=settings.max_tokens)
        for p in (prompt, other)
    ]
    body = {
        "model": settings.model,
        "messages": prompt.messages,
        "temperature": settings.temperature,
        "max_completion_tokens": settings.max_tokens,
        "prompt_cache_key": prompt.cache_key,
    }
    return Request(status, keys, body)


async def collect(client: Any, caller: Any, state: State, settings: Settings, outcome: Outcome) -> None:
    """Put the answers of every finished batch into the response cache; note what a batch never ran."""
    from openai.types.chat import ChatCompletion

    keep = []
    for entry in state.batches:
        if not entry.get("id"):
            if not await _finish_submission(client, entry, state):
                continue
        batch = await batches.retrieve(client, entry["id"])
        if batch.status in batches.RUNNING:
            keep.append(entry)
            outcome.out.append({"id": entry["id"], "status": batch.status, "requests": len(entry["requests"])})
            continue
        found = await batches.results(client, batch)
        for custom_id, body in found.answers.items():
            request = entry["requests"].get(custom_id)
            if request is not None:
                caller.record(settings.model, request["key"], ChatCompletion.model_validate(body), "batch")
                outcome.arrived += 1
        for custom_id, why in {**found.not_run, **found.failed}.items():
            request = entry["requests"].get(custom_id)
            if request is not None:  # sent again once, then reported
                state.not_run[request["key"]] = state.not_run.get(request["key"], 0) + 1
            if custom_id in found.failed:
                outcome.failed.append(f"{custom_id.rsplit('/', 1)[0]}: {why}")
        if found.errors:
            outcome.failed.append(f"batch {entry['id']} failed: {'; '.join(found.errors)}")
    state.batches = keep
    state.save()


async def _finish_submission(client: Any, entry: dict, state: State) -> bool:
    """A batch noted before it was created (a run stopped): create it, or adopt the one that was."""
    if not entry.get("file_id"):
        return False  # nothing was uploaded: its pairs are sent again
    batch = await batches.find(client, entry["file_id"]) or await batches.create(
        client, entry["file_id"], {"glossary": "generate"}
    )
    entry["id"] = batch.id
    state.save()
    return True


def triage(
    requests: list[Request], state: State, cached
) -> tuple[list[Request], list[Request], list[Request], list[Request]]:
    """(answered in the response cache, out in a batch, to send, given up after batches never ran them)."""
    out_keys = state.out_keys()
    ready, out, send, given_up = [], [], [], []
    for request in requests:
        if any(cached(key) for key in request.keys):
            ready.append(request)
        elif any(key in out_keys for key in request.keys):
            out.append(request)
        elif state.not_run.get(request.keys[0], 0) > RESEND_NOT_RUN:
            given_up.append(request)
        else:
            send.append(request)
    return ready, out, send, given_up


async def submit(client: Any, requests: list[Request], state: State, outcome: Outcome) -> None:
    """Send requests as one or more batches, noting each step in the state file."""
    for chunk in batches.split(
        [{"custom_id": r.custom_id, "method": "POST", "url": batches.ENDPOINT, "body": r.body} for r in requests]
    ):
        by_id = {r.custom_id: r for r in requests}
        entry = {
            "id": None,
            "file_id": None,
            "submitted": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "requests": {
                line["custom_id"]: {
                    "key": by_id[line["custom_id"]].keys[0],
                    "concept": by_id[line["custom_id"]].status.concept,
                    "persona": by_id[line["custom_id"]].status.persona,
                    "language": by_id[line["custom_id"]].status.language,
                }
                for line in chunk
            },
        }
        state.batches.append(entry)
        entry["file_id"] = await batches.upload(client, chunk)
        state.save()
        batch = await batches.create(client, entry["file_id"], {"glossary": "generate"})
        entry["id"] = batch.id
        state.save()
        outcome.sent.append({"id": batch.id, "status": batch.status, "requests": len(chunk)})
