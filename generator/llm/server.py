"""What a server says that stops or pauses a whole run, told once and plainly.

- a `Retry-After` longer than `max_wait` stops the run (RetryTooLong): better to say so than to
  wait silently for an hour;
- a pause longer than SHOW_WAITS_FROM seconds is announced with what it waits for;
- an answer that is not a Chat Completion (an HTML login page, a proxy's text, JSON of another
  shape) stops the run with the host and what came back, instead of failing pair after pair.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from generator.llm.client import host_label
from generator.redaction import redact

SHOW_WAITS_FROM = 5.0  # seconds


class Waits:
    """The pauses of one run: each checked against max_wait, the long ones announced once."""

    def __init__(self, max_wait: float, notify: Callable[[str], None] | None = None):
        self.max_wait = max_wait
        self.notify = notify if notify is not None else _say
        self._announced_until = 0.0

    def too_long(self, delay: float | None, why: str) -> str | None:
        """The message that stops the run, when the server asks to wait longer than max_wait."""
        if delay is None or delay <= self.max_wait:
            return None
        return (
            f"the server at {host_label()} asks to wait {duration(delay)} before the next request ({why}, Retry-After), "
            f"longer than max_wait ({duration(self.max_wait)}); the run stopped instead of waiting. Run it again later, "
            "or raise `max_wait` under the glossary plugin in mkdocs.yml (or GLOSSARY_MAX_WAIT)."
        )

    def announce(self, wait: float, why: str) -> None:
        """Say what a pause of more than a few seconds waits for (once per pause, not once per request)."""
        if wait < SHOW_WAITS_FROM:
            return
        until = time.monotonic() + wait
        if until <= self._announced_until + 1:
            return
        self._announced_until = until
        self.notify(f"waiting {duration(wait)}: {why}")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def duration(seconds: float) -> str:
    """12 s, 5 min 30 s, 1.5 h."""
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def not_chat_completion(response: Any) -> str | None:
    """Why an answer is not a Chat Completion (the message that stops the run), or None if it is one."""
    if isinstance(response, (str, bytes)):
        text = " ".join((response.decode("utf-8", "replace") if isinstance(response, bytes) else response).split())
        kind = "an HTML page" if text[:1] == "<" else "text that is not JSON"
        return (
            f"the server at {host_label()} answered with {kind} instead of a Chat Completions response "
            f"(it starts: {redact(text[:120])!r}); check OPENAI_BASE_URL: it usually ends in /v1, e.g. http://localhost:11434/v1"
        )
    if getattr(response, "choices", None) is not None:
        return None
    keys = sorted(getattr(response, "model_extra", None) or {}) or sorted(getattr(response, "__dict__", {}))
    shown = ", ".join(redact(str(key)) for key in keys[:8]) or "none"
    return (
        f"the server at {host_label()} answered with JSON that is not a Chat Completions response "
        f"(no `choices`; its keys: {shown}); check OPENAI_BASE_URL"
    )
