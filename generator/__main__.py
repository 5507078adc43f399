"""`python -m generator` is the `glossary` command."""

from generator.entry import run

run()
