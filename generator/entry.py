"""The `glossary` executable: the CLI, started and stopped without needless garbage collections."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def long_lived_imports():
    """Import modules with the cycle collector paused, then keep what they built out of later collections."""
    # Importing click, pydantic, mkdocs and openai builds some 200,000 objects that live until exit:
    # collecting among them mid-import finds nothing, and every later full collection (and the one at
    # exit) would walk them all again. Together that was about 0.15 s of each short command.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def run() -> None:
    """Start the `glossary` command line."""
    with long_lived_imports():
        from .cli import main
    try:
        main()
    finally:
        gc.freeze()  # the interpreter's final collection then has nothing left to walk
