"""The API key never leaves the process: every text shown or stored passes through `redact`."""

from __future__ import annotations

import os
from typing import Any


def redact(text: str) -> str:
    """Remove the API key (and its tail, which servers echo) from a message before it is shown or saved."""
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    if not text or len(key) < 4:
        return text
    text = text.replace(key, "***")
    if len(key) >= 12:
        text = text.replace(key[-8:], "***")
    return text


def redact_all(value: Any) -> Any:
    """`redact` over every string in a structure of dicts and lists (front matter, a cached answer)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_all(k): redact_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_all(v) for v in value]
    return value
