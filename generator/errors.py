"""User-facing errors (and warnings): everything else is a bug and may show a traceback."""

from __future__ import annotations

import sys
from dataclasses import dataclass


class GlossaryError(Exception):
    """Base of every error the user can fix; the CLI shows its message and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one input file, located as precisely as we can."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class InputError(GlossaryError):
    """Bad input: every problem found in every file, reported at once."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the glossary input:\n{lines}")


class ConfigError(GlossaryError):
    """A setting in mkdocs.yml, the environment or on the command line is wrong."""

    exit_code = 2


class ModelError(GlossaryError):
    """The model server refused the whole run (bad key, unknown model, unreachable)."""


def warn(message: str) -> None:
    """A problem the run survives (an unreadable cache, an unwritable record): one line on stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
