"""Where a `glossary build` spends its time beyond MkDocs: each plugin hook and its main callees, timed.

    .venv/bin/python bench/hooks.py SITE_DIR/mkdocs.yml

Builds the site in this process with wall-clock timers wrapped around the glossary plugin's hooks
and the functions they call (no profiler: its overhead distorts the split). Prints seconds per
wrapped function, the total build, and what is left for MkDocs and Material. A diagnostic for
`make bench` figures, not part of them.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
SPENT: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)
_depth = [0]


def timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name, None)
    if original is None:
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - start
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def main() -> int:
    config_file = Path(sys.argv[1]).resolve()
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from generator.site import linker, pages, plugin
    from generator.texts import sanitize

    for hook in ("on_config", "on_files", "on_page_markdown", "on_page_content", "on_post_page", "on_post_build"):
        timed(plugin.GlossaryPlugin, hook, f"plugin.{hook}")
    timed(plugin, "glossary_status", "  status.glossary_status")
    timed(plugin, "load_glossary", "  concepts.load_glossary")
    timed(plugin, "render_markdown", "  sanitize.render_markdown (plugin)")
    timed(plugin, "clean_markdown", "  sanitize.clean_markdown (plugin)")
    timed(linker.Linker, "link", "  linker.Linker.link")
    timed(linker.Linker, "__init__", "  linker.Linker.__init__")
    timed(plugin.GlossaryPlugin, "_href_maker", "  plugin._href_maker")
    for name in ("concept_page", "persona_page", "az_index", "opening", "provenance", "persona_chooser"):
        timed(pages, name, f"  pages.{name}")
    timed(sanitize, "sanitize_html", "    sanitize.sanitize_html")
    with tempfile.TemporaryDirectory() as site:
        config = load_config(str(config_file), site_dir=site)
        start = time.perf_counter()
        build(config)
        total = time.perf_counter() - start
    own = sum(v for k, v in SPENT.items() if k.startswith("plugin."))
    width = max(len(k) for k in SPENT)
    for label, seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        print(f"{label.ljust(width)}  {seconds:8.2f} s  ({CALLS[label]} calls)")
    print(f"{'build (in process)'.ljust(width)}  {total:8.2f} s")
    print(f"{'plugin hooks, all'.ljust(width)}  {own:8.2f} s")
    print(f"{'MkDocs, Material, other plugins'.ljust(width)}  {total - own:8.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
