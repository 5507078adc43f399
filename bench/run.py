"""`make bench`: what a rebuild and a generation run cost, measured against their floors.

Builds synthetic glossaries of N concepts x 6 personas in a temporary folder (real-looking text
expanded from the Machine Learning Glossary corpus, CC BY 4.0: see bench/synth.py), with every pair
fresh in the store, then measures:

- build: `glossary build` (a subprocess, as users run it) against `mkdocs build` on the same pages
  pre-rendered as plain Markdown files (same tab contents; a plain mkdocs.yml with Material, the
  same Markdown extensions, search and tags; concept pages not in the nav): the floor is MkDocs and
  Material themselves. At 100, 1,000 and 3,000 concepts, with the HTML bytes per concept page.
- status: `glossary status` on 10,000 concepts x 6 personas, cold (no stat cache; the files are in
  the OS page cache) and warm (nothing changed since the last run), against `mkdocs build` on the
  1,000-concept plain site, and the peak memory of the status process (its max RSS, from wait4).
- generate: `glossary generate --jobs 16` on 240 missing pairs against the loopback fake OpenAI
  server (tests/fakeserver.py, run in this process's threads so that every request's arrival time
  and status can be read) with 300 ms latency and verification off (GLOSSARY_VERIFY=false); the
  same again with nothing changed (zero requests); and against a server that answers 429
  (Retry-After: 1) beyond 4 requests in flight. The floor of the first run is pairs x latency /
  jobs plus the SDK's own start-up, measured in each run (SDK_START: a fresh Python importing
  `openai` and making a client, as fast as that goes): no program using the official client can
  start sooner, as no site can build faster than MkDocs itself. The table
  also shows the wall time against the latency bound alone, and the server's span (first request
  to last answer) against it.

- cache: the share of generation input tokens served from the prompt cache when the example glossary
  is regenerated (all but four concepts' texts removed) against the loopback server caching prefixes
  as OpenAI documents, with two worked examples per reader and with none (bench/economy.py);
- batch: a Batch API round trip of the same (generate --batch, collect, collect again: nothing asked);
- preview: a `mkdocs serve` session at 1,000 concepts, the rebuild after one concept changes against
  the session's first (full) build (bench/preview_bench.py).

Every figure is the median of three interleaved runs (the glossary command, then its floor, then
the next size...), and every target is a ratio within one run, so a loaded machine slows both
sides alike. The output is a table, then one line per target, `name: 1.04 (target <= 1.10)`,
then `targets met: k/n`. Results also go to bench/out/results.json.

Options: --quick (small sizes, one run each: a smoke check, not the targets), --only
build|status|generate (repeatable), --runs N, --workdir DIR (keep the fixtures there; by default a
temporary folder, removed at the end), --check (exit 1 when a target is missed).

Reproduce: `make bench` (or `make bench BENCH_ARGS=--quick`). A full run takes about 15 to 25
minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))

import economy  # noqa: E402
import preview_bench  # noqa: E402
import synth  # noqa: E402

FULL = {"build_sizes": (100, 1000, 3000), "status_size": 10000, "status_floor": 1000, "pairs": 240, "runs": 3}
QUICK = {"build_sizes": (30, 100, 300), "status_size": 1000, "status_floor": 100, "pairs": 48, "runs": 1}
PERSONAS = 6
LATENCY = 0.3
JOBS = 16
LIMIT = 4


# --------------------------------------------------------------------------- running commands


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


# The stat cache of every measured command (generator/statcache.py): the bench's own, under its work
# folder (set by main), never the user's ~/.cache, which a setting in os.environ would not reach
# anyway (clean_env drops every GLOSSARY_* variable). A command needing another one passes it.
STAT_CACHE: Path | None = None


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a measured command: no user GLOSSARY_* or OPENAI_* settings; the bench's
    own stat cache folder. Settings for the command go in `extra`, never in os.environ."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLOSSARY_", "OPENAI_"))}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    if STAT_CACHE is not None:
        env["GLOSSARY_STAT_CACHE_DIR"] = str(STAT_CACHE)
    env.update(extra)
    return env


# Runs a command and reports its wall time and peak memory. Linux keeps a process's peak RSS across
# fork and exec, so a command started by this (large) bench process would report at least the
# bench's own peak; started by this small launcher, it reports its own.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as handle:
    json.dump({"seconds": seconds, "max_rss_kb": usage.ru_maxrss, "returncode": os.waitstatus_to_exitcode(status)}, handle)
"""


def run(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run a command, timing it and reading its own peak memory (the launcher's wait4)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".json") as measured,
    ):
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", LAUNCHER, measured.name, *argv],
            cwd=cwd,
            env=env or clean_env(),
            stdout=out,
            stderr=err,
        )
        proc.wait()
        out.seek(0)
        err.seek(0)
        try:
            figures = json.loads(Path(measured.name).read_text())
        except ValueError:
            raise SystemExit(
                f"bench: could not run {' '.join(argv)}: {err.read().decode('utf-8', 'replace')[-2000:]}"
            ) from None
        result = Run(
            figures["seconds"],
            figures["max_rss_kb"] / 1024,
            figures["returncode"],
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
    if check and result.returncode != 0:
        raise SystemExit(
            f"bench: {' '.join(argv)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result


def glossary(*args: str) -> list[str]:
    return [str(BIN / "glossary"), *args]


def mkdocs(*args: str) -> list[str]:
    return [str(BIN / "mkdocs"), *args]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- results


@dataclass
class Target:
    name: str
    value: float
    op: str  # "<=", "<", "=="
    bound: float
    digits: int = 2

    @property
    def met(self) -> bool:
        if self.value != self.value:  # nan: not measured
            return False
        checks = {"<=": self.value <= self.bound, "<": self.value < self.bound, "==": self.value == self.bound}
        return {**checks, ">=": self.value >= self.bound}[self.op]

    def line(self) -> str:
        bound = (
            f"{self.bound:.{self.digits}f}"
            if self.digits == 0
            else f"{self.bound:.2f}".rstrip("0").rstrip(".")
            if self.bound != 1.1
            else "1.10"
        )
        return f"{self.name}: {self.value:.{self.digits}f} (target {self.op} {bound})"


@dataclass
class Report:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (section, measure, value)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def row(self, section: str, measure: str, value: str) -> None:
        self.rows.append((section, measure, value))

    def print(self, out=sys.stdout) -> None:
        widths = [max(len(r[i]) for r in self.rows + [("section", "measure", "value")]) for i in range(3)]
        line = "| " + " | ".join(h.ljust(w) for h, w in zip(("section", "measure", "value"), widths)) + " |"
        print(line, file=out)
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
        for r in self.rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |", file=out)
        print(file=out)
        for note in self.notes:
            print(f"note: {note}", file=out)
        if self.notes:
            print(file=out)
        for target in self.targets:
            print(target.line(), file=out)
        met = [t for t in self.targets if t.met]
        missed = [t.name for t in self.targets if not t.met]
        print(
            f"targets met: {len(met)}/{len(self.targets)}" + (f" (missed: {', '.join(missed)})" if missed else ""),
            file=out,
        )


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    from importlib.metadata import version

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "mkdocs": version("mkdocs"),
        "mkdocs-material": version("mkdocs-material"),
        "os": platform.platform(),
    }


# --------------------------------------------------------------------------- build


MENTION_RE = re.compile(
    rb'<a href="[^"]*" title="[^"]*">.*?</a>', re.S
)  # the linker's links (Material's put class first)


def count_pages(site: Path) -> tuple[int, int, int, int]:
    """(concept pages, their HTML bytes, bytes of the whole site, bytes of concept-mention links in the pages)."""
    pages = [p for p in (site / "concepts").glob("*/index.html")]
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    mentions = sum(len(m.group(0)) for p in pages for m in MENTION_RE.finditer(p.read_bytes()))
    return len(pages), sum(p.stat().st_size for p in pages), total, mentions


def bench_build(work: Path, sizes: tuple[int, ...], runs: int, maker: synth.Synth, report: Report) -> dict:
    fixtures = {}
    for n in sizes:
        root, plain = work / f"build-{n}", work / f"plain-{n}"
        if not (root / "mkdocs.yml").exists():
            log(f"writing a glossary of {n} concepts x {PERSONAS} personas")
            info = synth.write_glossary(root, maker, n, PERSONAS)
            log(
                f"  {info['explanations']} explanations, {info['mean_words']:.0f} words on average; pre-rendering the plain site"
            )
            synth.write_plain(root, plain)
        fixtures[n] = (root, plain)
    for n, (root, _) in fixtures.items():
        status = run(glossary("status", "-f", str(root / "mkdocs.yml")), cwd=root)
        expected = f"{n * PERSONAS} fresh"
        if expected not in status.stdout:
            raise SystemExit(f"bench: the {n}-concept fixture is not all fresh:\n{status.stdout[-1500:]}")
    times: dict[tuple[str, int], list[float]] = {}
    sizes_seen: dict[tuple[str, int], tuple[int, int, int]] = {}
    log(f"warming up: one untimed build of every site, then {runs} interleaved run(s)")
    for rep in range(-1, runs):
        for n, (root, plain) in fixtures.items():
            order = [("glossary", root), ("mkdocs", plain)]
            if rep % 2 == 1:
                order.reverse()
            for kind, folder in order:
                site = folder / "site-out"
                shutil.rmtree(site, ignore_errors=True)
                argv = (
                    glossary("build", "-f", str(folder / "mkdocs.yml"), "-d", str(site))
                    if kind == "glossary"
                    else mkdocs("build", "-q", "-f", str(folder / "mkdocs.yml"), "-d", str(site))
                )
                result = run(argv, cwd=folder)
                pages = count_pages(site)
                if pages[0] != n:
                    raise SystemExit(f"bench: {kind} build of {n} concepts wrote {pages[0]} concept pages")
                sizes_seen[(kind, n)] = pages
                if rep >= 0:
                    times.setdefault((kind, n), []).append(result.seconds)
                log(
                    f"  {'warm-up' if rep < 0 else f'run {rep + 1}'}: {kind} build, {n} concepts: {result.seconds:.1f} s"
                )
    result = {
        "times": {f"{k}-{n}": v for (k, n), v in times.items()},
        "pages": {f"{k}-{n}": v for (k, n), v in sizes_seen.items()},
    }
    for n in sizes:
        g, m = median(times[("glossary", n)]), median(times[("mkdocs", n)])
        pages_g, pages_m = sizes_seen[("glossary", n)], sizes_seen[("mkdocs", n)]
        report.row("build", f"{n} concepts: glossary build / mkdocs build (s)", f"{g:.2f} / {m:.2f} = {g / m:.2f}x")
        report.row(
            "build", f"{n} concepts: per concept, glossary / mkdocs (ms)", f"{g / n * 1000:.1f} / {m / n * 1000:.1f}"
        )
        report.row(
            "build",
            f"{n} concepts: HTML per concept page, glossary / mkdocs (KB)",
            f"{pages_g[1] / n / 1024:.1f} / {pages_m[1] / n / 1024:.1f}",
        )
        report.row(
            "build", f"{n} concepts: of which links to other concepts (mentions) (KB)", f"{pages_g[3] / n / 1024:.1f}"
        )
        report.row(
            "build",
            f"{n} concepts: whole site, glossary / mkdocs (MB)",
            f"{pages_g[2] / 1e6:.1f} / {pages_m[2] / 1e6:.1f}",
        )
    small, mid, large = sizes
    g = {n: median(times[("glossary", n)]) for n in sizes}
    m = {n: median(times[("mkdocs", n)]) for n in sizes}
    bytes_per_page = {n: sizes_seen[("glossary", n)][1] / n for n in sizes}
    report.targets.append(Target(f"build_overhead_{mid}", g[mid] / m[mid], "<=", 1.10))
    report.targets.append(
        Target("html_bytes_per_page_growth", bytes_per_page[large] / bytes_per_page[small], "<=", 1.2)
    )
    report.targets.append(Target("build_time_per_concept_growth", (g[large] / large) / (g[small] / small), "<=", 1.2))
    report.row(
        "build",
        f"growth {large} vs {mid}: time per concept, glossary / mkdocs",
        f"{(g[large] / large) / (g[mid] / mid):.2f} / {(m[large] / large) / (m[mid] / mid):.2f}",
    )
    report.row(
        "build",
        f"build overhead at {small} / {large} concepts",
        f"{g[small] / m[small]:.2f}x / {g[large] / m[large]:.2f}x",
    )
    return result


# --------------------------------------------------------------------------- status


def bench_status(work: Path, size: int, floor_size: int, runs: int, maker: synth.Synth, report: Report) -> dict:
    root = work / f"status-{size}"
    floor_root, floor_plain = work / f"build-{floor_size}", work / f"plain-{floor_size}"
    if not (root / "mkdocs.yml").exists():
        log(f"writing a glossary of {size} concepts x {PERSONAS} personas (for status)")
        synth.write_glossary(root, maker, size, PERSONAS)
    if not (floor_plain / "mkdocs.yml").exists():
        log(f"writing the {floor_size}-concept plain site (the floor)")
        synth.write_glossary(floor_root, maker, floor_size, PERSONAS)
        synth.write_plain(floor_root, floor_plain)
    time.sleep(2.1)  # files younger than 2 s are never cached (see generator/statcache.py)
    # The stat cache lives outside the working tree (generator/statcache.py); it is removed before
    # every cold run, and reaches the command through its environment (clean_env drops os.environ's).
    cache = work.resolve() / "stat-cache-status"
    env = clean_env(GLOSSARY_STAT_CACHE_DIR=str(cache))
    cold, warm, floor, rss = [], [], [], []
    expected = f"{size * PERSONAS} fresh"
    for rep in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        first = run(glossary("status", "-f", str(root / "mkdocs.yml")), cwd=root, env=env)
        if not any(cache.rglob("explanations.pickle")):
            raise SystemExit(f"bench: the cold status run wrote no stat cache in {cache}")
        second = run(glossary("status", "-f", str(root / "mkdocs.yml")), cwd=root, env=env)
        for r in (first, second):
            if expected not in r.stdout:
                raise SystemExit(f"bench: status did not report {expected}:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
        site = floor_plain / "site-out"
        shutil.rmtree(site, ignore_errors=True)
        base = run(mkdocs("build", "-q", "-f", str(floor_plain / "mkdocs.yml"), "-d", str(site)), cwd=floor_plain)
        cold.append(first.seconds)
        warm.append(second.seconds)
        floor.append(base.seconds)
        rss += [first.max_rss_mb, second.max_rss_mb]
        log(
            f"  run {rep + 1}: status cold {first.seconds:.2f} s ({first.max_rss_mb:.0f} MB), warm {second.seconds:.2f} s ({second.max_rss_mb:.0f} MB), mkdocs build {floor_size}: {base.seconds:.1f} s"
        )
    c, w, f = median(cold), median(warm), median(floor)
    report.row("status", f"{size} x {PERSONAS}: status cold / warm (s)", f"{c:.2f} / {w:.2f}")
    report.row("status", f"mkdocs build on {floor_size} concepts (s)", f"{f:.2f}")
    report.row("status", "peak RSS of status, cold / warm (MB)", f"{max(rss[0::2]):.0f} / {max(rss[1::2]):.0f}")
    report.targets.append(Target("status_cold_ratio", c / f, "<", 0.5, digits=3))
    report.targets.append(Target("status_warm_ratio", w / f, "<", 0.1, digits=3))
    report.targets.append(Target("status_peak_rss_mb", max(rss), "<", 400, digits=0))
    return {"cold": cold, "warm": warm, "floor": floor, "rss_mb": rss}


# --------------------------------------------------------------------------- generate


def generate_available() -> str | None:
    """None when `glossary generate` works, else why not."""
    if not (REPO / "generator" / "writing" / "generate.py").exists():
        return "generator/writing/generate.py does not exist yet"
    probe = run(glossary("generate", "--help"), cwd=REPO, check=False)
    if probe.returncode != 0:
        return f"`glossary generate --help` failed: {probe.stderr.strip()[-300:]}"
    return None


# The SDK's own start-up is part of the generation floor, as MkDocs itself is for builds: a fresh
# Python that imports `openai` and makes a client ready to call chat.completions, as fast as that
# goes (the cycle collector paused while importing, nothing left for it at exit).
SDK_START = (
    "import gc; gc.disable(); import openai; "
    "openai.AsyncOpenAI(api_key='sk-floor', base_url='http://127.0.0.1:9/v1').chat.completions; gc.freeze()"
)


def _fresh_copy(template: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(template, dest)
    return dest


def _generate(root: Path, server) -> tuple[Run, list]:
    before = len(server.requests)
    env = clean_env(OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=server.base_url, GLOSSARY_VERIFY="false")
    started = time.monotonic()
    result = run(
        glossary("generate", "--jobs", str(JOBS), "-f", str(root / "mkdocs.yml")), cwd=root, env=env, check=False
    )
    ended = time.monotonic()
    with server.lock:
        requests = list(server.requests[before:])
    result.started, result.ended = started, ended  # on the server's clock (time.monotonic, this process)
    return result, requests


def bench_generate(work: Path, pairs: int, runs: int, maker: synth.Synth, report: Report) -> dict:
    from fakeserver import FakeOpenAI

    concepts = pairs // PERSONAS
    template = work / "generate-template"
    if not (template / "mkdocs.yml").exists():
        synth.write_glossary(template, maker, concepts, PERSONAS, explanations=0)
    floor = pairs * LATENCY / JOBS
    limited_floor = pairs * LATENCY / LIMIT
    first_t, rerun_t, rerun_requests, limited_t, refused_share, lost, spans, limited_spans = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    startups, tails, sdk_starts = [], [], []
    with (
        FakeOpenAI(latency=LATENCY) as open_server,
        FakeOpenAI(latency=LATENCY, max_in_flight=LIMIT, retry_after=1) as limited_server,
    ):
        for rep in range(runs):
            sdk_starts.append(run([str(BIN / "python"), "-c", SDK_START], cwd=REPO, env=clean_env()).seconds)
            root = _fresh_copy(template, work / "generate-run")
            first, requests = _generate(root, open_server)
            if first.returncode != 0:
                raise SystemExit(
                    f"bench: glossary generate failed ({first.returncode}):\n{first.stdout[-2000:]}\n{first.stderr[-2000:]}"
                )
            chats = [r for r in requests if r.path.endswith("/chat/completions")]
            span = max(r.finished or r.time for r in chats) - min(r.time for r in chats) if chats else float("nan")
            if chats:
                startups.append(min(r.time for r in chats) - first.started)
                tails.append(first.ended - max(r.finished or r.time for r in chats))
            _check_fresh(root, pairs)
            again, again_requests = _generate(root, open_server)
            if again.returncode != 0:
                raise SystemExit(
                    f"bench: the rerun failed ({again.returncode}):\n{again.stdout[-2000:]}\n{again.stderr[-2000:]}"
                )
            root = _fresh_copy(template, work / "generate-run")
            limited, limited_requests = _generate(root, limited_server)
            missing = _missing(root, pairs)
            chats = [r for r in limited_requests if r.path.endswith("/chat/completions")]
            if chats:
                start = min(r.time for r in chats)
                later = [r for r in chats if r.time >= start + 1.0]
                share = sum(1 for r in later if r.status == 429) / len(later) if later else 0.0
                limited_spans.append(max(r.finished or r.time for r in chats) - start)
            else:
                share = float("nan")
            first_t.append(first.seconds)
            spans.append(span)
            rerun_t.append(again.seconds)
            rerun_requests.append(len(again_requests))
            limited_t.append(limited.seconds if limited.returncode == 0 else float("inf"))
            refused_share.append(share)
            lost.append(missing)
            log(
                f"  run {rep + 1}: generate {first.seconds:.2f} s ({len([r for r in requests if r.status == 200])} answers), rerun {again.seconds:.2f} s ({len(again_requests)} requests), "
                f"limited {limited.seconds:.2f} s (exit {limited.returncode}, {len(chats)} requests, {sum(1 for r in chats if r.status == 429)} refused, {missing} pairs not written)"
            )
    g, s, r, lim, sdk = median(first_t), median(spans), median(rerun_t), median(limited_t), median(sdk_starts)
    report.row(
        "generate",
        f"{pairs} pairs, --jobs {JOBS}, {LATENCY * 1000:.0f} ms latency: wall / server span (s)",
        f"{g:.2f} / {s:.2f} (floor {floor:.2f})",
    )
    report.row(
        "generate",
        "before the first request / after the last answer (s)",
        f"{median(startups):.2f} / {median(tails):.2f}",
    )
    report.row(
        "generate",
        "floor: the SDK's start-up (a fresh Python, `import openai`, a client) + pairs x latency / jobs (s)",
        f"{sdk:.2f} + {floor:.2f} = {sdk + floor:.2f}",
    )
    report.row(
        "generate", "wall / latency bound alone; server span / latency bound", f"{g / floor:.2f}x; {s / floor:.2f}x"
    )
    report.row("generate", "rerun with nothing changed: wall (s) / requests", f"{r:.2f} / {max(rerun_requests)}")
    report.row(
        "generate",
        f"refusing beyond {LIMIT} in flight: wall / server span (s)",
        f"{lim:.2f} / {median(limited_spans):.2f} (floor {limited_floor:.2f})",
    )
    report.row(
        "generate",
        "refusing: share refused after the first second / pairs not written",
        f"{median(refused_share):.3f} / {max(lost)}",
    )
    report.targets.append(Target("generation_ratio", g / (floor + sdk), "<=", 1.15))
    report.targets.append(Target("generation_rerun_requests", float(max(rerun_requests)), "==", 0, digits=0))
    report.targets.append(Target("generation_rerun_time_ratio", r / g, "<", 0.2, digits=3))
    report.targets.append(Target("generation_limited_ratio", lim / limited_floor, "<=", 1.5))
    report.targets.append(Target("generation_limited_pairs_lost", float(max(lost)), "==", 0, digits=0))
    report.targets.append(Target("generation_refused_share_after_1s", median(refused_share), "<", 0.10, digits=3))
    return {
        "first": first_t,
        "sdk_start": sdk_starts,
        "span": spans,
        "startup": startups,
        "tail": tails,
        "rerun": rerun_t,
        "rerun_requests": rerun_requests,
        "limited": limited_t,
        "limited_span": limited_spans,
        "refused_share": refused_share,
        "lost": lost,
    }


def _statuses(root: Path) -> str:
    return run(glossary("status", "-f", str(root / "mkdocs.yml")), cwd=root, env=clean_env()).stdout


def _check_fresh(root: Path, pairs: int) -> None:
    out = _statuses(root)
    if f"{pairs} fresh" not in out:
        raise SystemExit(f"bench: after generate, not every pair is fresh:\n{out[-1500:]}")


def _missing(root: Path, pairs: int) -> int:
    out = _statuses(root)
    match = re.search(r"(\d+) fresh", out)
    return pairs - (int(match.group(1)) if match else 0)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each: a smoke check")
    parser.add_argument(
        "--only",
        action="append",
        choices=("build", "status", "generate", "cache", "batch", "preview"),
        help="run only this part (repeatable)",
    )
    parser.add_argument("--runs", type=int, help="interleaved runs per figure (default 3, 1 with --quick)")
    parser.add_argument("--workdir", type=Path, help="keep the fixtures in this folder (reused when present)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    runs = args.runs or sizes["runs"]
    parts = args.only or ["build", "status", "generate", "cache", "batch", "preview"]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="glossary-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    global STAT_CACHE
    STAT_CACHE = work.resolve() / "stat-cache"
    report = Report()
    info = machine()
    report.data = {
        "machine": info,
        "quick": args.quick,
        "runs": runs,
        "sizes": sizes,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    log(f"bench in {work} ({'quick, ' if args.quick else ''}{runs} run(s); {', '.join(parts)})")
    started = time.perf_counter()
    maker = synth.Synth(synth.load_corpus())
    try:
        if "build" in parts:
            report.data["build"] = bench_build(work, sizes["build_sizes"], runs, maker, report)
        if "status" in parts:
            report.data["status"] = bench_status(work, sizes["status_size"], sizes["status_floor"], runs, maker, report)
        if "generate" in parts:
            why = generate_available()
            if why:
                report.notes.append(f"generation not measured: {why}")
            else:
                report.data["generate"] = bench_generate(work, sizes["pairs"], runs, maker, report)
        helpers = (run, glossary, clean_env, log, Target)
        if "cache" in parts:
            report.data["cache"] = economy.bench_cache(work, REPO, runs, report, *helpers, median)
        if "batch" in parts:
            report.data["batch"] = economy.bench_batch(work, REPO, report, *helpers)
        if "preview" in parts:
            report.data["preview"] = preview_bench.bench_preview(
                work, sizes["build_sizes"][1], runs, maker, report, *helpers, median
            )
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    report.row("machine", "CPU / cores / memory", f"{info['cpu']} / {info['nproc']} / {info['memory']}")
    report.row(
        "machine", "Python / MkDocs / Material", f"{info['python']} / {info['mkdocs']} / {info['mkdocs-material']}"
    )
    report.row("bench", "runs per figure / wall time", f"{runs} / {elapsed / 60:.1f} min")
    if args.quick:
        report.notes.append(
            f"--quick: sizes {sizes['build_sizes']}, status on {sizes['status_size']}, {sizes['pairs']} pairs, one run: a smoke check, not the targets"
        )
    report.print()
    report.data.update(
        targets=[
            {"name": t.name, "value": t.value, "op": t.op, "bound": t.bound, "met": t.met} for t in report.targets
        ],
        elapsed_s=elapsed,
    )
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / ("results-quick.json" if args.quick else "results.json")).write_text(
        json.dumps(report.data, indent=2, default=str), encoding="utf-8"
    )
    return 1 if args.check and not all(t.met for t in report.targets) else 0


if __name__ == "__main__":
    sys.exit(main())
