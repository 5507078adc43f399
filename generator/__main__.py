"""`python -m generator` is the `glossary` command."""

from .cli import main

main()
