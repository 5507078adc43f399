"""The `glossary` executable: the CLI, started and stopped without needless garbage collections."""

from __future__ import annotations

import gc

from generator.gcpause import long_lived_imports


def run() -> None:
    """Start the `glossary` command line."""
    with long_lived_imports():
        from generator.cli.main import main
    try:
        main()
    finally:
        gc.freeze()  # the interpreter's final collection then has nothing left to walk
