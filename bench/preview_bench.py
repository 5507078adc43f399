"""Bench part for fast preview: `mkdocs serve` rebuilding after one concept changes, at 1,000 concepts.

A fresh Python builds the site once (warm-up: the stat cache filled, modules imported), then
runs a serve session the way `mkdocs serve` does, without the HTTP server: the
config read again for every build, `on_startup("serve")` first, the site in a temporary folder,
`build(config, serve_url=...)`. It times the first build (a full build, as every save cost before)
and the rebuild after one concept's definition changes (config reading included, as the server's
builder does it), and checks that the changed definition is on the rebuilt page.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

SESSION = r"""
import json, shutil, sys, tempfile, time
from pathlib import Path
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

root, out = Path(sys.argv[1]), sys.argv[2]
url = "http://127.0.0.1:8000/"
site_dir = tempfile.mkdtemp(prefix="mkdocs_")

def get_config():
    config = load_config(config_file=str(root / "mkdocs.yml"), site_dir=site_dir)
    config.site_url = url
    return config

build(get_config())  # warm: the stat cache filled, modules imported, as in the build bench's warm-up
config = get_config()
config.plugins.on_startup(command="serve", dirty=False)
started = time.perf_counter()
build(config, serve_url=url)
full = time.perf_counter() - started
concepts = sorted((root / "concepts").glob("*.yaml"))
target = concepts[len(concepts) // 2]
data = yaml.safe_load(target.read_text(encoding="utf-8"))
data["definition"] = data["definition"].rstrip() + " Edited for the preview benchmark."
target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
started = time.perf_counter()
build(get_config(), serve_url=url)
rebuild = time.perf_counter() - started
page = Path(site_dir) / "concepts" / target.stem / "index.html"
visible = "Edited for the preview benchmark." in page.read_text(encoding="utf-8")
config.plugins.on_shutdown()
shutil.rmtree(site_dir, ignore_errors=True)
json.dump({"full": full, "rebuild": rebuild, "visible": visible, "concept": target.stem}, open(out, "w"))
"""


def bench_preview(
    work: Path, size: int, runs: int, maker, report, run, glossary, clean_env, log, Target, median
) -> dict:
    import synth

    fixture = work / f"build-{size}"
    if not (fixture / "mkdocs.yml").exists():
        log(f"writing a glossary of {size} concepts x 6 personas (for the preview)")
        synth.write_glossary(fixture, maker, size, 6)
    fulls, rebuilds, ratios = [], [], []
    for rep in range(runs):
        root = work / f"preview-{size}"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(fixture, root, ignore=shutil.ignore_patterns("site-out", ".cache"))
        out = work / "preview.json"
        run([sys.executable, "-c", SESSION, str(root), str(out)], cwd=root)
        found = json.loads(out.read_text())
        if not found["visible"]:
            raise SystemExit(f"bench: the rebuilt page of {found['concept']} does not show the change")
        fulls.append(found["full"])
        rebuilds.append(found["rebuild"])
        ratios.append(found["rebuild"] / found["full"])
        log(
            f"  run {rep + 1}: serve session at {size} concepts: first build {found['full']:.2f} s, rebuild after one concept changed {found['rebuild']:.2f} s"
        )
    report.row(
        "preview",
        f"{size} concepts, mkdocs serve: first build / rebuild after one concept's definition changed (s)",
        f"{median(fulls):.2f} / {median(rebuilds):.2f}",
    )
    report.targets.append(Target(f"preview_rebuild_ratio_{size}", median(ratios), "<=", 0.15, digits=3))
    return {"full": fulls, "rebuild": rebuilds, "ratio": ratios}
