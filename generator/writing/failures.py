"""The failures record: which pairs failed last time, and why (`<cache_dir>/failures.json`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from generator.errors import warn
from generator.redaction import redact_all
from generator.settings import Settings
from generator.texts.store import atomic_write
from generator.writing.results import PairResult

FAILURES_FILE = "failures.json"


# --------------------------------------------------------------------------- failures record


def failures_path(settings: Settings) -> Path:
    return settings.cache_path / FAILURES_FILE


def load_failures(settings: Settings) -> dict[tuple[str, str, str], dict]:
    """The pairs whose last generation failed, and why (from `<cache_dir>/failures.json`)."""
    try:
        data = json.loads(failures_path(settings).read_text(encoding="utf-8"))
        return {
            (f["concept"], f["persona"], f.get("language") or ""): f
            for f in data.get("failures", [])
            if isinstance(f, dict) and "concept" in f and "persona" in f
        }
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def save_failures(settings: Settings, results: list[PairResult]) -> None:
    """Replace the record of every pair attempted in this run; keep the others' last failure."""
    known = load_failures(settings)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    for r in results:
        if r.state == "failed":
            known[(r.concept, r.persona, r.language or "")] = {
                "concept": r.concept,
                "persona": r.persona,
                **({"language": r.language} if r.language else {}),
                "reason": r.error,
                "model": settings.model,
                "when": now,
            }
        elif r.state == "generated":
            known.pop((r.concept, r.persona, r.language or ""), None)
    if not known and not failures_path(settings).exists():
        return
    payload = {"version": 1, "failures": [known[k] for k in sorted(known)]}
    try:
        atomic_write(failures_path(settings), json.dumps(redact_all(payload), indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        warn(f"cannot record failures in {failures_path(settings)}: {exc}")
