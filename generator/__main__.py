"""`python -m generator` is the `glossary` command."""

from .entry import run

run()
