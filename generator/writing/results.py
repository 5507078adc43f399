"""What generating one pair produced."""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------- results


@dataclass
class PairResult:
    concept: str
    persona: str
    state: str  # generated | failed | skipped
    why: str = ""  # why it was planned (missing, stale: concept changed, forced)
    error: str = ""
    usage: dict = field(default_factory=dict)  # tokens of every answer behind this text
    cost: float | None = 0.0  # dollars this run spent on it (0 when served from the cache)
    cached: bool = False  # every answer came from the cache
    check: str = ""  # passed | passed on the second try | not checked
    seconds: float = 0.0
    language: str | None = None  # None in the source language

    @property
    def label(self) -> str:
        return f"{self.concept}/{self.persona}" + (f".{self.language}" if self.language else "")


@dataclass
class Body:
    text: str
    keys: list[str]
    usage: dict
    cost: float | None
    cached: bool
    gist: str | None = None  # the answer's one-line gist for this reader
