"""The Batch API: an input file of Chat Completions requests uploaded, a batch created, its results read.

OpenAI runs a batch within 24 hours at half the price. Each line of the input file is one request
(`custom_id`, `method`, `url`, `body`); the output file has a line per answered request, the error
file one per request that failed or was never run (`batch_expired`, `batch_cancelled`). Results
come back in any order: they are matched by `custom_id`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"
MAX_LINES = 50_000  # per batch (OpenAI's limit)
MAX_BYTES = 190 * 1024 * 1024  # under the 200 MB limit for an input file
RUNNING = ("validating", "in_progress", "finalizing", "cancelling")
NOT_RUN = ("batch_expired", "batch_cancelled")


@dataclass
class Results:
    """What came back from one finished batch."""

    status: str
    answers: dict[str, dict] = field(default_factory=dict)  # custom_id -> Chat Completions response body
    not_run: dict[str, str] = field(default_factory=dict)  # custom_id -> batch_expired | batch_cancelled
    failed: dict[str, str] = field(default_factory=dict)  # custom_id -> the server's message
    errors: list[str] = field(default_factory=list)  # why the whole batch failed


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines).encode()


def split(lines: list[dict]) -> list[list[dict]]:
    """Input files within OpenAI's limits (50,000 requests, 200 MB)."""
    chunks: list[list[dict]] = [[]]
    size = 0
    for line in lines:
        length = len(jsonl([line]))
        if chunks[-1] and (len(chunks[-1]) >= MAX_LINES or size + length > MAX_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += length
    return [chunk for chunk in chunks if chunk]


async def upload(client: Any, lines: list[dict]) -> str:
    """The input file's id."""
    uploaded = await client.files.create(file=("glossary-batch.jsonl", jsonl(lines)), purpose="batch")
    return uploaded.id


async def create(client: Any, file_id: str, metadata: dict[str, str]) -> Any:
    return await client.batches.create(
        input_file_id=file_id, endpoint=ENDPOINT, completion_window=WINDOW, metadata=metadata
    )


async def find(client: Any, file_id: str) -> Any | None:
    """A batch already created from this input file (a run stopped between creating it and noting it)."""
    page = await client.batches.list(limit=100)
    for batch in page.data:
        if batch.input_file_id == file_id and batch.status not in ("failed", "cancelled"):
            return batch
    return None


async def retrieve(client: Any, batch_id: str) -> Any:
    return await client.batches.retrieve(batch_id)


async def results(client: Any, batch: Any) -> Results:
    """The answers and failures of a batch that finished (completed, expired, cancelled or failed)."""
    found = Results(batch.status)
    if batch.status == "failed":
        data = getattr(batch.errors, "data", None) or []
        found.errors = [f"{getattr(e, 'code', '') or 'error'}: {getattr(e, 'message', '')}" for e in data]
        return found
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        content = await client.files.content(file_id)
        for raw in content.text.splitlines():
            if raw.strip():
                _read_line(json.loads(raw), found)
    return found


def _read_line(line: dict, found: Results) -> None:
    custom_id = str(line.get("custom_id"))
    response = line.get("response") or {}
    error = line.get("error") or {}
    if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
        found.answers[custom_id] = response["body"]
    elif error.get("code") in NOT_RUN:
        found.not_run[custom_id] = error["code"]
    else:
        body = response.get("body") if isinstance(response.get("body"), dict) else {}
        inner = body.get("error") if isinstance(body.get("error"), dict) else error
        code = response.get("status_code")
        found.failed[custom_id] = (f"HTTP {code}: " if code else "") + str(inner.get("message") or "no message")
