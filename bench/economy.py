"""Bench parts for generation's price: the prompt cache's share, and a Batch API round trip.

Both run on a copy of the example glossary (this repository's concepts/ and personas/, both
editions) against the loopback server (tests/fakeserver.py) made to cache prompts as OpenAI
documents: an exact prefix of 1,024 tokens or more, in steps of 128, per model and
`prompt_cache_key`, available once the request that filled it was answered.

Every text of the example is curated, so nothing would be regenerated: the copy keeps the curated
texts of four core concepts (the worked examples a real glossary starts from) and removes the
others, whose pairs are then generated in full. The faithfulness check is off (its calls are not
generation input); the checks that need no model stay on.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

KEEP = ("fine-tuning", "lora", "low-rank-approximation", "matrix-rank")  # their curated texts stay: worked examples
LATENCY = 0.05


def example_copy(repo: Path, dest: Path) -> tuple[Path, int]:
    """The example glossary without the texts of all but KEEP's concepts; (root, texts removed)."""
    shutil.rmtree(dest, ignore_errors=True)
    ignore = shutil.ignore_patterns(".git", ".venv", "site", ".cache", "bench", "tests", "*.egg-info", "__pycache__")
    shutil.copytree(repo, dest, ignore=ignore)
    removed = 0
    for text in sorted((dest / "concepts").glob("*/*.md")):
        if text.parent.name not in KEEP:
            text.unlink()
            removed += 1
    return dest, removed


def generated(root: Path) -> int:
    """Texts the tool wrote (both editions)."""
    return sum("\nsource: generated\n" in p.read_text(encoding="utf-8") for p in (root / "concepts").glob("*/*.md"))


def _generate(run, glossary, clean_env, root: Path, server, *args: str, examples: int | None = None):
    base = server.base_url if server is not None else "http://127.0.0.1:9/v1"
    env = clean_env(OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=base, GLOSSARY_VERIFY="false")
    if examples is not None:
        env["GLOSSARY_EXAMPLES"] = str(examples)
    return run(glossary(*args, "-f", str(root / "mkdocs.yml")), cwd=root, env=env, check=False)


def bench_cache(work: Path, repo: Path, runs: int, report, run, glossary, clean_env, log, Target, median) -> dict:
    """The share of generation input tokens served from the prompt cache in a full regeneration,
    with the default two worked examples per reader and with none."""
    from fakeserver import FakeOpenAI

    shares: dict[int, list[float]] = {2: [], 0: []}
    tokens: dict[int, list[tuple[int, int, int]]] = {2: [], 0: []}
    pairs = 0
    for rep in range(runs):
        for examples in (2, 0):
            root, pairs = example_copy(repo, work / "cache-example")
            with FakeOpenAI(latency=LATENCY, prompt_cache=True) as server:
                result = _generate(run, glossary, clean_env, root, server, "generate", examples=examples)
                if result.returncode != 0:
                    raise SystemExit(
                        f"bench: generate on the example failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
                    )
                chats = [r for r in server.completions if r.status == 200]
                share = server.cached_tokens_total / server.prompt_tokens_total
                shares[examples].append(share)
                tokens[examples].append((server.prompt_tokens_total, server.cached_tokens_total, len(chats)))
            pairs = generated(root)
            log(
                f"  run {rep + 1}: {pairs} pairs, {examples} worked example(s): {share:.3f} of input tokens from the prompt cache"
            )
    with_examples, without = median(shares[2]), median(shares[0])
    (prompt2, cached2, requests2), (prompt0, cached0, requests0) = tokens[2][-1], tokens[0][-1]

    # What the input costs per request at gpt-4o-mini's rates (cached input at half the price) and gpt-5-mini's (a tenth).
    def per_request(prompt: int, cached: int, requests: int, cached_rate: float) -> float:
        return ((prompt - cached) + cached * cached_rate) / max(1, requests)

    report.row(
        "cache",
        f"example regenerated, both editions ({len(KEEP)} concepts' texts kept as worked examples): pairs / requests",
        f"{pairs} / {requests2}",
    )
    report.row(
        "cache",
        "input tokens served from the prompt cache, 2 worked examples / none",
        f"{with_examples:.3f} / {without:.3f}",
    )
    report.row(
        "cache",
        "input tokens per request, 2 examples / none (total; billed as full-price tokens at gpt-4o-mini / gpt-5-mini cached rates)",
        f"{prompt2 / max(1, requests2):.0f} / {prompt0 / max(1, requests0):.0f}; "
        f"{per_request(prompt2, cached2, requests2, 0.5):.0f} / {per_request(prompt0, cached0, requests0, 0.5):.0f}; "
        f"{per_request(prompt2, cached2, requests2, 0.1):.0f} / {per_request(prompt0, cached0, requests0, 0.1):.0f}",
    )
    report.targets.append(Target("generation_cache_share", with_examples, ">=", 0.5, digits=3))
    return {"shares": shares, "tokens": tokens, "pairs": pairs}


def bench_batch(work: Path, repo: Path, report, run, glossary, clean_env, log, Target) -> dict:
    """A Batch API round trip of the example: submit, collect (stored), collect again (nothing asked)."""
    from fakeserver import FakeOpenAI

    root, _ = example_copy(repo, work / "batch-example")
    planned = _generate(run, glossary, clean_env, root, None, "generate", "--dry-run")
    pairs = int(re.search(r"Would generate (\d+) pair", planned.stdout).group(1))
    with FakeOpenAI(latency=0.0, prompt_cache=True) as server:
        started = time.monotonic()
        submitted = _generate(run, glossary, clean_env, root, server, "generate", "--batch")
        collected = _generate(run, glossary, clean_env, root, server, "collect")
        lines, batches, requests = len(server.batch_lines), len(server.batches), len(server.requests)
        again = _generate(run, glossary, clean_env, root, server, "collect")
        repeated = (len(server.batch_lines) - lines) + (len(server.batches) - batches)
        chats = [r for r in server.requests[requests:] if r.path.endswith("/chat/completions")]
        seconds = time.monotonic() - started
    for step, result in (("generate --batch", submitted), ("collect", collected), ("second collect", again)):
        if result.returncode != 0:
            raise SystemExit(f"bench: {step} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    missing = pairs - generated(root)
    log(
        f"  batch round trip: {lines} request(s) in {batches} batch(es), {pairs - missing} of {pairs} pairs stored; second collect: {repeated} repeated, {len(chats)} synchronous"
    )
    report.row(
        "batch",
        f"example through the Batch API: requests / batches / pairs stored of {pairs}",
        f"{lines} / {batches} / {pairs - missing}",
    )
    report.row(
        "batch",
        "second collect: requests repeated / synchronous requests / wall for the three runs (s)",
        f"{repeated} / {len(chats)} / {seconds:.1f}",
    )
    if missing:
        report.notes.append(f"batch round trip: {missing} of {pairs} pairs not stored")
    report.targets.append(
        Target("batch_second_collect_repeated_requests", float(repeated + len(chats)), "==", 0, digits=0)
    )
    return {"lines": lines, "batches": batches, "repeated": repeated, "synchronous": len(chats), "missing": missing}
