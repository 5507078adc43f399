"""Service tiers: flex processing, its longer timeout, and the way back to the default tier.

OpenAI's flex processing (`service_tier: "flex"`) bills at Batch API rates on the synchronous
path, answers more slowly, and sometimes answers 429 "resource unavailable" (not billed). Its
requests get `flex_timeout` seconds (OpenAI suggests 15 minutes) instead of `timeout`. Its 429s go
through the same limiter and retry loop as any rate limit; when flex has refused every request for
`flex_fallback` seconds in a row, the rest of the run uses the default tier, so the run finishes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from generator.settings import Settings

DEFAULT = "default"
TIERS = ("default", "flex", "auto", "priority")
DISCOUNTED = ("flex", "batch")  # billed at Batch API rates


class TierPolicy:
    """The tier requests go to now, for one run."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic):
        self.requested = settings.service_tier or DEFAULT
        self.current = self.requested
        self.fallback_after = settings.flex_fallback
        self.flex_timeout = settings.flex_timeout
        self.fell_back = False
        self._refused_since: float | None = None
        self._clock = clock

    def params(self) -> dict:
        """Extra request parameters: none for the default tier (servers other than OpenAI's may not know them)."""
        if self.current == DEFAULT:
            return {}
        if self.current == "flex":
            return {"service_tier": "flex", "timeout": self.flex_timeout}
        return {"service_tier": self.current}

    def refused(self) -> bool:
        """A 429 for a flex request; True when flex has now been unavailable long enough to give up on it."""
        if self.current != "flex":
            return False
        now = self._clock()
        if self._refused_since is None:
            self._refused_since = now
        if now - self._refused_since >= self.fallback_after:
            self.current, self.fell_back = DEFAULT, True
            return True
        return False

    def answered(self) -> None:
        self._refused_since = None

    def billed_as(self, response_tier: str | None) -> str:
        """The tier an answer is priced at: what the server says it used, else what was asked."""
        if response_tier in ("flex", "default", "priority", "batch"):
            return response_tier
        return self.current if self.current in ("flex", "priority") else DEFAULT

    def note(self) -> str | None:
        if self.fell_back:
            return (
                f"flex processing stayed unavailable for {self.fallback_after:g} s, so the rest of the run used the "
                "default tier (raise flex_fallback in mkdocs.yml to wait longer)"
            )
        return None
