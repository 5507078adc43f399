"""`glossary generate` and `glossary preview`, end to end: the real `openai` client against the
loopback server in tests/fakeserver.py, on small glossaries written into tmp_path."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI, Fault, Reply, default_responder, error_body
from kit import GENERATION_CONCEPTS, GENERATION_PERSONAS, edit_concept, write_glossary

from generator.cli.main import main
from generator.llm import calls
from generator.texts import prompts
from generator.texts.fingerprint import combine
from generator.texts.frontmatter import split_front_matter
from generator.texts.store import body_hash
from generator.writing import generate as generate_module

pytestmark = pytest.mark.timeout(60)

KEY = "sk-proj-GLOSSARYtest-9f3Kq7ZxW2mN8vR4"
BIN = Path(sys.executable).parent
TITLES = {c["title"]: slug for slug, c in GENERATION_CONCEPTS.items()}
NAMES = {p["name"]: slug for slug, p in GENERATION_PERSONAS.items()}


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def server(openai_server):
    return openai_server


@pytest.fixture
def env(openai_server, monkeypatch):
    """The loopback model server with a distinctive key (to prove it never leaks); fast backoff."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setattr(calls, "BACKOFF_BASE", 0.02)
    return openai_server


@pytest.fixture
def site(tmp_path, env) -> Path:
    write_glossary(tmp_path / "site")
    return tmp_path / "site"


def glossary(root: Path, *args: str, check: int | None = 0):
    """Run `glossary ARGS -f root/mkdocs.yml` in this process and return click's result."""
    command, rest = args[0], list(args[1:])
    result = CliRunner().invoke(main, [command, *rest, "-f", str(root / "mkdocs.yml")])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    if check is not None:
        assert result.exit_code == check, result.output
    return result


def generate(root: Path, *args: str, check: int | None = 0):
    return glossary(root, "generate", *args, check=check)


def pair_of(request) -> tuple[str, str]:
    """Which (concept, persona) a recorded chat request is for."""
    user = request.json["messages"][-1]["content"]
    concept = re.search(r"^## The concept: (.+)$", user, re.M).group(1)
    persona = re.search(r"^## The reader: (.+)$", user, re.M).group(1)
    number = int(re.search(r"\d+", concept).group()) if concept not in TITLES else 0
    slug = TITLES.get(concept) or f"concept-{number:03d}"
    return slug, NAMES[persona]


def requested(server: FakeOpenAI, since: int = 0) -> list[tuple[str, str]]:
    return sorted(pair_of(r) for r in server.completions[since:])


def read_pair(root: Path, concept: str, persona: str) -> tuple[dict, str]:
    text = (root / "concepts" / concept / f"{persona}.md").read_text(encoding="utf-8")
    return split_front_matter(text)


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted((root / "concepts").glob("*/*.md"))}


ALL_PAIRS = sorted((c, p) for c in GENERATION_CONCEPTS for p in GENERATION_PERSONAS)


# --------------------------------------------------------------------------- the main path


def test_first_run_generates_every_pair_with_provenance(site, server):
    result = generate(site)
    assert requested(server) == ALL_PAIRS
    assert "4 generated (0 from cache), 0 failed" in result.output
    assert "[4/4] " in result.output  # plain progress lines when the output is not a terminal
    for concept, persona in ALL_PAIRS:
        meta, body = read_pair(site, concept, persona)
        assert meta["source"] == "generated" and meta["model"] == "gpt-4o-mini"
        assert meta["fingerprint"] == combine(meta["inputs"])
        assert set(meta["inputs"]) == {"concept", "persona", "related", "template", "model", "language"}
        assert meta["body_sha256"] == body_hash(body)
        assert meta["verify"] is False  # the page then says "not checked"
        assert meta["usage"]["prompt_tokens"] > 0 and meta["usage"]["completion_tokens"] > 0
        assert body.strip() and not body.lstrip().startswith("#")
    request = server.completions[0].json
    assert request["model"] == "gpt-4o-mini" and request["temperature"] == 0.3 and request["max_tokens"] == 1200
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["messages"][0]["content"] == prompts.template_text("system.md")  # static part first
    status = glossary(site, "status", "--all")
    assert "4 fresh" in status.output


def test_rerun_with_nothing_changed_makes_zero_requests_and_needs_no_key(site, server, monkeypatch):
    generate(site)
    before, files = server.count, snapshot(site)
    monkeypatch.delenv("OPENAI_API_KEY")
    result = generate(site)
    assert server.count == before
    assert "Nothing to generate (4 fresh)" in result.output
    assert snapshot(site) == files


def test_editing_one_concept_makes_one_request_per_persona(site, server):
    generate(site)
    lora_files = {k: v for k, v in snapshot(site).items() if k.startswith("concepts/lora/")}
    before = len(server.completions)
    edit_concept(site, "matrix-rank", definition="The rank of a matrix is the number of linearly independent columns.")
    generate(site)
    assert requested(server, before) == [("matrix-rank", "chef"), ("matrix-rank", "lawyer")]
    assert {k: v for k, v in snapshot(site).items() if k.startswith("concepts/lora/")} == lora_files


def test_editing_a_summary_makes_the_pairs_that_quote_it_stale(site, server):
    generate(site)
    before = len(server.completions)
    edit_concept(site, "matrix-rank", summary="How many independent directions a matrix really has.")
    dry = generate(site, "--dry-run")
    assert re.search(r"lora\s+│\s+chef\s+│\s+stale: related changed", dry.output), dry.output
    assert re.search(r"matrix-rank\s+│\s+chef\s+│\s+stale: concept changed", dry.output), dry.output
    assert len(server.completions) == before  # a dry run calls nothing
    generate(site)
    assert requested(server, before) == ALL_PAIRS
    user = next(r for r in server.completions[before:] if pair_of(r)[0] == "lora").json["messages"][1]["content"]
    assert "How many independent directions a matrix really has." in user


def test_prompt_template_change_makes_every_generated_pair_stale(site, server, monkeypatch):
    generate(site)
    before = len(server.completions)
    original = prompts.template_text

    def changed(name: str) -> str:
        return original(name) + ("\n8. Prefer short sentences.\n" if name == "system.md" else "")

    monkeypatch.setattr(prompts, "template_text", changed)
    prompts.templates_sha256.cache_clear()
    try:
        dry = generate(site, "--dry-run")
        assert dry.output.count("stale: template changed") == 4, dry.output
        generate(site)
        assert requested(server, before) == ALL_PAIRS
        assert server.completions[-1].json["messages"][0]["content"].endswith("Prefer short sentences.\n")
    finally:
        monkeypatch.undo()
        prompts.templates_sha256.cache_clear()


def test_model_change_makes_every_generated_pair_stale(site, server, monkeypatch):
    generate(site)
    before = len(server.completions)
    monkeypatch.setenv("GLOSSARY_MODEL", "gpt-4o")
    dry = generate(site, "--dry-run")
    assert dry.output.count("stale: model changed") == 4, dry.output
    generate(site)
    assert requested(server, before) == ALL_PAIRS
    assert {r.json["model"] for r in server.completions[before:]} == {"gpt-4o"}
    assert read_pair(site, "lora", "chef")[0]["model"] == "gpt-4o"


def test_reverting_an_edit_is_served_from_the_cache(site, server):
    generate(site)
    original = snapshot(site)
    path = site / "concepts" / "lora.yaml"
    text = path.read_text(encoding="utf-8")
    edit_concept(
        site, "lora", definition="LoRA trains two small matrices B and A whose product is added to a frozen W0."
    )
    generate(site)
    assert len(server.completions) == 6
    path.write_text(text, encoding="utf-8")
    result = generate(site)
    assert len(server.completions) == 6  # zero requests
    assert "2 generated (2 from cache)" in result.output
    for name, content in snapshot(site).items():
        assert split_front_matter(content)[1] == split_front_matter(original[name])[1]


def test_curated_pairs_are_never_touched_not_even_by_force(site, server):
    curated = site / "concepts" / "lora" / "chef.md"
    curated.parent.mkdir(parents=True)
    curated.write_text("---\nsource: curated\n---\nA text written by a person.\n", encoding="utf-8")
    generate(site)
    assert ("lora", "chef") not in requested(server)
    edited = site / "concepts" / "lora" / "lawyer.md"
    meta, body = split_front_matter(edited.read_text(encoding="utf-8"))
    edited.write_text(edited.read_text(encoding="utf-8").replace(body, "An edited text.\n"), encoding="utf-8")
    before = len(server.completions)
    result = generate(site, "--force")
    assert "lora/lawyer: edited by hand, now curated" in result.output
    assert "kept 2 curated pairs" in result.output
    assert requested(server, before) == [
        ("matrix-rank", "chef"),
        ("matrix-rank", "lawyer"),
    ]  # --force bypasses the cache
    assert curated.read_text(encoding="utf-8") == "---\nsource: curated\n---\nA text written by a person.\n"
    meta, body = split_front_matter(edited.read_text(encoding="utf-8"))
    assert body == "An edited text.\n" and meta["source"] == "curated" and meta["body_sha256"] == body_hash(body)
    generate(site, "--force", "--concept", "lora")
    assert len(server.completions) == before + 2


def test_force_with_names_regenerates_only_those_bypassing_the_cache(site, server):
    generate(site)
    other = {k: v for k, v in snapshot(site).items() if "matrix-rank" in k}
    generate(site, "--force", "--concept", "lora", "--persona", "chef")
    assert requested(server, 4) == [("lora", "chef")]
    assert {k: v for k, v in snapshot(site).items() if "matrix-rank" in k} == other


def test_unknown_names_on_the_command_line_are_refused(site, server):
    result = generate(site, "--concept", "lorra", check=2)
    assert "no concept 'lorra'" in result.output and "did you mean 'lora'?" in result.output
    result = generate(site, "--persona", "cook", check=2)
    assert "no persona 'cook'" in result.output
    assert server.count == 0


def test_drafts_are_never_generated(site, server):
    edit_concept(site, "matrix-rank", draft=True, facts=[])
    result = generate(site, "--concept", "matrix-rank", "--concept", "lora", "--force")
    assert "skipped drafts" in result.output and "matrix-rank" in result.output
    assert {c for c, _ in requested(server)} == {"lora"}


# --------------------------------------------------------------------------- calls that survive the real world


def test_429_honours_retry_after_and_slows_every_starter(site, server, monkeypatch):
    """The first request is refused (Retry-After: 1) while the second is held in flight until the client
    has taken the refusal: the pause goes to the shared limiter, and no request starts inside it."""
    limiter_class = calls.AdaptiveLimiter
    pauses, granted, refusal_taken = [], [], threading.Event()

    def rate_limited_for(self, delay):
        limiter_class.rate_limited_for.__wrapped__(self, delay)
        pauses.append((delay, self.paused_until > self._limited_at))  # a pause from now on
        refusal_taken.set()

    async def acquire(self):
        ticket = await limiter_class.acquire.__wrapped__(self)
        granted.append((bool(pauses), self._clock() >= self.paused_until))  # (after the 429, outside the pause)
        return ticket

    rate_limited_for.__wrapped__ = limiter_class.rate_limited_for
    acquire.__wrapped__ = limiter_class.acquire
    monkeypatch.setattr(limiter_class, "rate_limited_for", rate_limited_for)
    monkeypatch.setattr(limiter_class, "acquire", acquire)
    arrivals = []

    def responder(request):
        arrivals.append(pair_of(type("R", (), {"json": request})()))
        if len(arrivals) == 1:
            assert refusal_taken.wait(30)  # still in flight when the client takes the 429
        return default_responder(request)

    server.push(Fault.status(429, retry_after=1))
    server.responder = responder
    result = generate(site, "--jobs", "2")
    assert "(1 rate limited" in result.output
    assert [r.status for r in server.completions].count(429) == 1 and len(server.completions) == 5
    assert pauses == [(1.0, True)]  # Retry-After, not a backoff, paused the shared limit
    after = [outside for after_429, outside in granted if after_429]
    assert len(after) == 3 and all(after)  # the retry and the two pairs not yet started waited it out
    assert len(snapshot(site)) == 4


def test_server_errors_are_retried_with_backoff(site, server):
    server.push(Fault.status(500), Fault.status(502), Fault.status(503, retry_after=0))
    result = generate(site, "--jobs", "1")
    assert len(server.completions) == 7 and [r.status for r in server.completions[:3]] == [500, 502, 503]
    assert "3 retried" in result.output
    assert len(snapshot(site)) == 4


def test_a_request_that_hangs_past_the_timeout_is_retried(tmp_path, env):
    root = tmp_path / "site"
    write_glossary(root, plugin={"timeout": 2.0})  # enough for an answer on a loaded machine, not for the hang
    env.push(Fault.hang(3600))  # never answered in the test: only a retry gets the pair through
    result = generate(root, "--jobs", "1")
    assert "1 retried" in result.output and len(env.completions) == 5
    assert len(snapshot(root)) == 4


def test_a_dropped_connection_is_retried(site, server):
    server.push(Fault.drop(), Fault.drop())
    result = generate(site, "--jobs", "1")
    assert server.completions[0].status is None and len(server.completions) == 6
    assert "2 retried" in result.output and len(snapshot(site)) == 4


def test_a_pair_that_keeps_failing_never_stops_the_others(site, server):
    generate(site, "--concept", "matrix-rank")
    previous = snapshot(site)
    edit_concept(site, "matrix-rank", definition="Rank: the dimension of the column space.")

    def responder(request):
        if "## The concept: Matrix rank" in request["messages"][-1]["content"]:
            return Fault.status(500)
        return None

    server.responder = responder
    result = generate(site, check=1)
    assert "2 of 4 pairs failed" in result.output
    assert result.output.count("gave up after 5 attempts: server error (HTTP 500") >= 2
    assert sorted(k for k in snapshot(site) if "lora" in k) == ["concepts/lora/chef.md", "concepts/lora/lawyer.md"]
    assert {k: v for k, v in snapshot(site).items() if "matrix-rank" in k} == previous  # the previous text stays
    failures = json.loads((site / ".cache" / "failures.json").read_text(encoding="utf-8"))["failures"]
    assert [(f["concept"], f["persona"]) for f in failures] == [("matrix-rank", "chef"), ("matrix-rank", "lawyer")]
    status = glossary(site, "status")
    assert "Failed in the last generation run" in status.output and "gave up after 5" in status.output
    status = glossary(site, "status", "--markdown")
    assert "### Failed in the last generation run (2)" in status.output
    assert "- `matrix-rank` / `chef`: gave up after 5 attempts: server error (HTTP 500" in status.output
    server.responder = None
    generate(site)
    assert json.loads((site / ".cache" / "failures.json").read_text(encoding="utf-8"))["failures"] == []


def test_the_report_lists_failures(site, server):
    server.responder = lambda request: (
        Fault.status(503) if "## The reader: Lawyer" in request["messages"][-1]["content"] else None
    )
    generate(site, "--report", str(site / "report.md"), check=1)
    report = (site / "report.md").read_text(encoding="utf-8")
    assert (
        "### Failed (2)" in report and "- `lora` / `lawyer`: gave up after 5 attempts: server error (HTTP 503" in report
    )
    assert "| `lora` | `chef` | missing | not checked |" in report


def test_cached_prompt_tokens_are_recorded_and_priced(site, server):
    server.responder = lambda request: Reply(
        default_responder(request), prompt_tokens=2000, completion_tokens=300, cached_tokens=1536
    )
    result = generate(site, "--concept", "lora", "--persona", "chef")
    usage = read_pair(site, "lora", "chef")[0]["usage"]
    assert usage["prompt_tokens"] == 2000 and usage["cached_tokens"] == 1536 and usage["completion_tokens"] == 300
    assert usage["cost_usd"] == pytest.approx((464 * 0.15 + 1536 * 0.075 + 300 * 0.60) / 1e6, abs=1e-6)
    assert "2,000 input tokens (1,536 cached by the server, 77%), 300 output tokens" in result.output
    assert "cost $0.0004 (list price $0.0005: $0.0001 saved by the prompt cache)" in result.output
    assert "lora/chef: generated (2,300 (1,536 cached) tokens" in result.output  # per pair too


def test_only_generate_calls_a_model(site, server):
    glossary(site, "build")
    assert server.count == 0 and (site / "site" / "index.html").is_file()  # a key is set, yet nothing is called
    result = glossary(site, "build", "--generate")
    assert len(server.completions) == 4 and "4 generated" in result.output and "Site written to" in result.output
    assert (site / "site" / "concepts" / "lora" / "index.html").read_text(encoding="utf-8").count("(ref ") >= 2


def test_truncated_answer_is_retried_once_with_twice_the_room(site, server):
    server.push(Fault.truncate("Half an answer that stops in the mid"))
    generate(site, "--jobs", "1")
    assert len(server.completions) == 5
    assert server.completions[1].json["max_tokens"] == 2400
    assert not any("stops in the mid" in text for text in snapshot(site).values())


def test_answer_truncated_twice_fails_and_is_never_replayed(site, server):
    def responder(request):
        if "## The reader: Chef" in request["messages"][-1]["content"] and "LoRA" in request["messages"][-1]["content"]:
            return Reply(
                "A long answer cut off in the midd", finish_reason="stop", completion_tokens=request["max_tokens"]
            )
        return None

    server.responder = responder
    result = generate(site, check=1)
    assert "lora/chef: FAILED: the answer was cut off twice (at max_tokens 1200, then 2400)" in result.output
    assert not (site / "concepts" / "lora" / "chef.md").exists()
    before = len(server.completions)
    generate(site, check=1)
    assert requested(server, before) == [("lora", "chef"), ("lora", "chef")]  # asked again: nothing was cached


def test_empty_answers_and_refusals_are_rejected_and_forgotten(site, server):
    def responder(request):
        user = request["messages"][-1]["content"]
        if "LoRA" in user and "Chef" in user:
            return Reply("   ")
        if "LoRA" in user and "Lawyer" in user:
            return Reply(None, refusal="I can't help with that.")
        if "## The concept: Matrix rank" in user and "Chef" in user:
            return "I'm sorry, but I can't help with that request."
        return None

    server.responder = responder
    result = generate(site, check=1)
    assert "lora/chef: FAILED: the model returned an empty answer" in result.output
    assert "lora/lawyer: FAILED: the model refused: I can't help with that." in result.output
    assert "matrix-rank/chef: FAILED: the model declined" in result.output
    assert len(server.completions) == 7  # each rejected answer asked once more, bypassing the cache
    assert list(snapshot(site)) == ["concepts/matrix-rank/lawyer.md"]
    before = len(server.completions)
    generate(site, check=1)
    assert len(server.completions) == before + 6  # rejected answers were never cached


def test_html_script_and_fences_are_cleaned(site, server):
    answer = (
        "```markdown\n"
        "# LoRA\n\n"
        "<p>A <b>frozen</b> recipe gets a small note.</p><script>alert('pwned')</script>\n\n"
        '<img src=x onerror="alert(2)"> The note is tiny: r < min(d, k), and `<div>` stays in code.\n\n'
        '<!-- hidden comment --><iframe src="https://evil.example">frame text</iframe>'
        'Read <a href="https://arxiv.org/abs/2106.09685">the paper</a> for details about the low rank update.\n'
        "```"
    )
    server.responder = lambda request: answer if "LoRA" in request["messages"][-1]["content"] else None
    generate(site)
    body = read_pair(site, "lora", "chef")[1]
    for bad in (
        "<script",
        "alert(",
        "<img",
        "onerror",
        "<iframe",
        "frame text",
        "hidden comment",
        "<p>",
        "```",
        "# LoRA",
    ):
        assert bad not in body, (bad, body)
    assert "A **frozen** recipe gets a small note." in body
    assert "r < min(d, k)" in body and "`<div>`" in body
    assert "[the paper](https://arxiv.org/abs/2106.09685)" in body
    glossary(site, "build")
    html = (site / "site" / "concepts" / "lora" / "index.html").read_text(encoding="utf-8")
    assert "pwned" not in html and "evil.example" not in html and "frozen</strong> recipe" in html


def test_in_flight_requests_never_exceed_jobs(tmp_path, env):
    root = tmp_path / "site"
    write_glossary(root, extra_concepts=10)
    together = threading.Barrier(3, timeout=30)  # the first three answers wait until three are in flight
    fourth = threading.Event()

    def responder(request):
        if len(env.completions) <= 3:
            together.wait()
            fourth.wait(1.0)  # and are held a moment more: a fourth request now would be one over the limit
        else:
            fourth.set()
        return default_responder(request)

    env.responder = responder
    generate(root, "--jobs", "3")
    assert len(env.completions) == 24 and all(r.status == 200 for r in env.completions)
    assert env.peak_in_flight == 3


def test_a_long_run_asks_at_once_and_builds_later_prompts_while_waiting(tmp_path, env, monkeypatch):
    """Prompts are built by a few workers as requests go out, not all of them before the first."""
    root = tmp_path / "site"
    write_glossary(root, extra_concepts=10)
    built: list[int] = []
    build = generate_module.PromptPlan.prompt
    monkeypatch.setattr(generate_module.PromptPlan, "prompt", lambda *a, **k: built.append(1) or build(*a, **k))
    prompts_built_at_arrival: list[int] = []

    def responder(request_json: dict) -> str:
        prompts_built_at_arrival.append(len(built))
        return default_responder(request_json)

    env.responder = responder
    generate(root, "--jobs", "2")
    assert len(prompts_built_at_arrival) == 24 and len(built) == 24 + 2  # and the first of each reader's, to order them
    assert prompts_built_at_arrival[0] <= 6  # two workers per request in flight; one task per pair built all 24 first


def test_adaptive_concurrency_under_a_server_limit(tmp_path, env, monkeypatch):
    """The server refuses (429, Retry-After: 1) beyond 2 in flight: the run shrinks and loses nothing."""
    root = tmp_path / "site"
    write_glossary(root, extra_concepts=10)
    shrunk = threading.Event()
    rate_limited_for = calls.AdaptiveLimiter.rate_limited_for

    def spy(self, delay):
        rate_limited_for(self, delay)
        if self.allowed <= 2:
            shrunk.set()

    def responder(request):
        if len(env.completions) <= 8:  # the first burst: the two admitted stay in flight until the run shrank
            shrunk.wait(20)
        return default_responder(request)

    monkeypatch.setattr(calls.AdaptiveLimiter, "rate_limited_for", spy)
    env.max_in_flight, env.retry_after, env.responder = 2, 1, responder
    generate(root, "--jobs", "8")
    assert shrunk.is_set() and len(snapshot(root)) == 24
    ok = [r for r in env.completions if r.status == 200]
    assert len(ok) == 24
    # At most one refusal per slot above the server's two (8 - 2) as the run shrinks, and a probe or two
    # after: a limit that did not adapt keeps six requests too many in flight, refused over and over.
    assert 1 <= env.refused <= 8, [r.status for r in env.completions]


def test_kill_9_mid_run_loses_nothing_finished_and_the_rerun_asks_only_for_the_rest(tmp_path, env):
    root = tmp_path / "site"
    write_glossary(root, extra_concepts=10)
    held, release = threading.Semaphore(0), threading.Event()

    def responder(request):
        if len(env.completions) > 8:  # from the ninth request on, the answer never comes before the kill
            held.release()
            release.wait(60)
        return default_responder(request)

    env.responder = responder
    process = subprocess.Popen(
        [str(BIN / "glossary"), "generate", "--jobs", "2", "-f", str(root / "mkdocs.yml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    for _ in range(2):  # both requests the run allows in flight are held: it cannot finish another pair
        assert held.acquire(timeout=50), process.stdout.read().decode()
    while len(list((root / "concepts").glob("*/*.md"))) < 8:  # the eight answered pairs are written
        assert process.poll() is None, process.stdout.read().decode()
        release.wait(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    release.set()
    env.responder = None
    finished = set()
    for path in (root / "concepts").glob("*/*.md"):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        assert meta["body_sha256"] == body_hash(body) and body.strip()  # whole files only
        finished.add((path.parent.name, path.stem))
    assert len(finished) == 8
    stray = root / "concepts" / "lora" / ".chef.md.abc123.tmp"  # as left by a kill between write and rename
    stray.parent.mkdir(exist_ok=True)
    stray.write_text("half a fi", encoding="utf-8")
    os.utime(stray, (time.time() - 3600, time.time() - 3600))
    before = len(env.completions)
    result = generate(root)
    again = requested(env, before)
    assert not set(again) & finished  # nothing finished is asked for again
    unfinished = 24 - len(finished)
    cached = int(re.search(r"\((\d+) from cache\)", result.output).group(1))
    assert len(again) == unfinished and cached == 0  # the two in flight at the kill were never answered
    assert len(snapshot(root)) == 24
    assert not stray.exists()


# --------------------------------------------------------------------------- keys and errors


def test_missing_key_says_exactly_what_to_set(site, server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    assert "Would generate 4 pairs" in generate(site, "--dry-run").output  # a dry run needs no key
    result = generate(site, check=2)
    assert "OPENAI_API_KEY is not set" in result.output
    assert "export OPENAI_API_KEY=sk-" in result.output
    assert "OPENAI_API_KEY=ollama" in result.output and "OPENAI_BASE_URL" in result.output
    assert server.count == 0 and snapshot(site) == {}


def test_a_bad_key_stops_the_run_at_once(tmp_path, env):
    root = tmp_path / "site"
    write_glossary(root, extra_concepts=10)
    env.responder = lambda request: Fault.status(401)
    result = generate(root, "--jobs", "2", check=1)
    assert "rejected the API key (HTTP 401" in result.output
    assert "Check OPENAI_API_KEY" in result.output
    assert env.count <= 2  # no retry, no further pair started
    assert snapshot(root) == {}
    failures = json.loads((root / ".cache" / "failures.json").read_text(encoding="utf-8"))["failures"]
    assert len(failures) == 24 and failures[0]["reason"].startswith("stopped: the server at")


def test_an_unknown_model_stops_the_run_with_a_clear_message(site, server, monkeypatch):
    monkeypatch.setenv("GLOSSARY_MODEL", "no-such-model")
    server.responder = lambda request: Fault.status(404) if request["model"] not in server.models else None
    result = generate(site, "--jobs", "1", check=1)
    assert "the model 'no-such-model' is unknown" in result.output and "GLOSSARY_MODEL" in result.output
    assert server.count == 1


def test_a_wrong_base_url_says_to_check_it(site, server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url.removesuffix("/v1"))
    result = generate(site, "--jobs", "1", check=1)
    assert "no Chat Completions endpoint" in result.output and "OPENAI_BASE_URL" in result.output
    monkeypatch.setenv("OPENAI_BASE_URL", "localhost:11434/v1")
    result = generate(site, check=2)
    assert "OPENAI_BASE_URL='localhost:11434/v1' is not an http(s) URL" in result.output


def test_out_of_quota_stops_the_run(site, server):
    server.push(
        Fault.status(
            429, body=error_body(429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota")
        )
    )
    result = generate(site, "--jobs", "1", check=1)
    assert "out of quota" in result.output and server.count == 1


def test_max_completion_tokens_is_used_when_the_server_asks_for_it(site, server):
    body = error_body(
        400,
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    )
    body["error"]["param"] = "max_tokens"
    server.responder = lambda request: Fault.status(400, body=body) if "max_tokens" in request else None
    generate(site, "--jobs", "1")
    assert len(server.completions) == 5 and server.completions[-1].json["max_completion_tokens"] == 1200


def test_the_api_key_is_written_nowhere(site, server, caplog):
    caplog.set_level(logging.DEBUG)
    outputs = []
    outputs.append(generate(site, "--dry-run").output)
    outputs.append(generate(site, "--concept", "lora", "--report", str(site / "report.md")).output)
    server.responder = lambda request: (
        Fault.status(500) if "## The concept: Matrix rank" in request["messages"][-1]["content"] else None
    )
    outputs.append(generate(site, "--report", str(site / "report.md"), check=1).output)
    server.responder = lambda request: Fault.status(401, body=error_body(401, f"Incorrect API key provided: {KEY}."))
    edit_concept(site, "lora", definition="LoRA learns a low-rank update B A next to a frozen W0.")
    outputs.append(generate(site, check=1).output)
    server.responder = None
    outputs.append(glossary(site, "preview", "lora", "chef").output)
    outputs.append(glossary(site, "status").output)
    outputs.append(glossary(site, "build").output)
    written = [p for p in site.rglob("*") if p.is_file()]
    assert any(".cache" in p.parts for p in written) and any("site" in p.parts for p in written)
    assert (site / "report.md").is_file() and (site / ".cache" / "failures.json").is_file()
    assert any(r.headers.get("authorization") == f"Bearer {KEY}" for r in server.requests)  # it was used ...
    for secret in (KEY, KEY[-8:]):  # ... and is nowhere else, not even the tail the server echoed
        for path in written:
            assert secret.encode() not in path.read_bytes(), path
        for output in outputs:
            assert secret not in output
        assert secret not in caplog.text
    assert "rejected the API key" in outputs[3]


# --------------------------------------------------------------------------- planning and cost


def test_dry_run_lists_why_each_pair_would_be_generated_and_its_cost(site, server):
    generate(site, "--concept", "lora")
    edit_concept(site, "lora", facts=["Only B and A are trained.", "W0 stays frozen."])
    files = snapshot(site)
    result = generate(site, "--dry-run")
    assert re.search(r"lora\s+│\s+chef\s+│\s+stale: concept changed\s+│\s+[\d,]+\s+│\s+\$0\.\d+", result.output), (
        result.output
    )
    assert re.search(r"matrix-rank\s+│\s+lawyer\s+│\s+missing", result.output)
    assert re.search(
        r"Would generate 4 pairs with gpt-4o-mini \(0 from the response cache\), prompts laid out persona-first: "
        r"~[\d,]+ input tokens \(~0 expected from the server's prompt cache\) \+ ~[\d,]+ output tokens",
        result.output,
    ), result.output
    assert re.search(r"Estimated cost: list price \$0\.\d+; with the prompt cache \$0\.\d+\.", result.output)
    assert server.count == 2 and snapshot(site) == files
    status = glossary(site, "status")
    assert "Generating 4 pairs with gpt-4o-mini" in status.output and "about $" in status.output


def test_dry_run_knows_what_the_cache_holds(site, server):
    generate(site)
    path = site / "concepts" / "lora.yaml"
    text = path.read_text(encoding="utf-8")
    edit_concept(site, "lora", summary="A cheap way to fine-tune a big model.")
    generate(site)
    path.write_text(text, encoding="utf-8")
    result = generate(site, "--dry-run")
    assert "Would generate 2 pairs with gpt-4o-mini (2 from the response cache)" in result.output
    assert "~0 input tokens (~0 expected from the server's prompt cache) + ~0 output tokens" in result.output
    assert "Estimated cost: list price $0; with the prompt cache $0." in result.output
    assert re.search(r"lora\s+│\s+chef\s+│\s+stale: concept changed\s+│\s+0\s+│\s+cached", result.output), result.output


def test_max_cost_stops_starting_new_requests(site, server):
    result = generate(site, "--jobs", "1", "--max-cost", "0.0001")
    assert server.count == 1 and len(snapshot(site)) == 1
    assert "3 not started" in result.output and "Spending cap reached" in result.output
    generate(site)
    assert server.count == 4 and len(snapshot(site)) == 4


def test_max_cost_needs_a_price(site, server, monkeypatch):
    monkeypatch.setenv("GLOSSARY_MODEL", "llama3.1:8b")
    result = generate(site, "--max-cost", "1", check=2)
    assert "--max-cost needs a price for llama3.1:8b" in result.output and "prices:" in result.output
    assert server.count == 0


def test_max_cost_runs_with_a_new_model_from_the_published_price_table(site, server, monkeypatch):
    monkeypatch.setenv("GLOSSARY_MODEL", "gpt-5.1")  # never in any table of ours: genai-prices knows it
    result = generate(site, "--max-cost", "1")
    assert server.count == 4 and len(snapshot(site)) == 4, result.output
    assert {r.json["model"] for r in server.requests} == {"gpt-5.1"}


def test_report_is_markdown_for_a_pull_request(site, server):
    generate(site, "--report", str(site / "report.md"))
    report = (site / "report.md").read_text(encoding="utf-8")
    assert report.startswith("## Generated explanations")
    assert "| `lora` | `chef` | missing | not checked |" in report
    assert "4 generated (0 from cache), 0 failed" in report and "**not** checked" in report


def test_a_corrupt_cache_is_a_warning_and_a_cold_start(site, server):
    (site / ".cache" / "calls").mkdir(parents=True)
    (site / ".cache" / "calls" / "cache.db").write_bytes(b"this is not a database" * 100)
    result = generate(site)
    assert "warning: the response cache at" in result.output and "unreadable" in result.output
    assert len(snapshot(site)) == 4
    path = site / "concepts" / "lora.yaml"
    text = path.read_text(encoding="utf-8")
    edit_concept(site, "lora", summary="Something else entirely.")
    generate(site)
    path.write_text(text, encoding="utf-8")
    before = server.count
    generate(site)
    assert server.count == before  # the fresh cache works


def test_preview_prints_through_the_cache_without_touching_the_store(site, server):
    result = glossary(site, "preview", "lora", "chef")
    assert "(ref " in result.stdout and "not saved" in result.stderr
    assert snapshot(site) == {} and server.count == 1
    again = glossary(site, "preview", "lora", "chef")
    assert again.stdout == result.stdout and "from the cache" in again.stderr and server.count == 1
    generate(site, "--concept", "lora", "--persona", "chef")
    assert server.count == 1  # generate reuses the previewed answer
    assert read_pair(site, "lora", "chef")[1] == result.stdout


# --------------------------------------------------------------------------- the faithfulness check (stubbed)


class _Verdict:
    def __init__(self, passed: bool, failures: list[str]):
        self.passed, self.failures = passed, failures

    def front_matter(self) -> dict:
        return {"judge": "gpt-4o-mini", "facts": 2, "covered": 2 if self.passed else 1, "passed": self.passed}


class _Judge:
    class VerdictError(Exception):
        pass

    def __init__(self, verdicts):
        self.verdicts = list(verdicts)
        self.bodies = []
        self.gists = []

    async def check(self, caller, settings, glossary, concept, persona, body, gist=None):
        self.bodies.append(body)
        self.gists.append(gist)
        verdict = self.verdicts.pop(0)
        if isinstance(verdict, Exception):
            raise verdict
        return verdict


def test_a_failed_check_regenerates_once_with_the_findings(tmp_path, env, monkeypatch):
    from generator.writing import generate as gen

    root = tmp_path / "site"
    write_glossary(root, plugin={"verify": True})
    judge = _Judge([_Verdict(False, ["It says LoRA compresses the training data."]), _Verdict(True, [])])
    monkeypatch.setattr(gen, "faithfulness", judge)
    generate(root, "--concept", "lora", "--persona", "chef")
    assert len(env.completions) == 2
    assert "It says LoRA compresses the training data." in env.completions[1].json["messages"][1]["content"]
    meta, body = read_pair(root, "lora", "chef")
    assert meta["verdict"]["passed"] is True and "verify" not in meta and body == judge.bodies[1]


def test_failing_the_check_twice_fails_the_pair_and_forgets_both_answers(tmp_path, env, monkeypatch):
    from generator.writing import generate as gen

    root = tmp_path / "site"
    write_glossary(root, plugin={"verify": True})
    judge = _Judge([_Verdict(False, ["Wrong about latency."]), _Verdict(False, ["Still wrong about latency."])] * 2)
    monkeypatch.setattr(gen, "faithfulness", judge)
    result = generate(root, "--concept", "lora", "--persona", "chef", check=1)
    assert "failed the fact check twice: Still wrong about latency." in result.output
    assert snapshot(root) == {}
    generate(root, "--concept", "lora", "--persona", "chef", check=1)
    assert len(env.completions) == 4  # neither rejected answer was replayed from the cache


def test_an_unreadable_verdict_fails_only_that_pair(tmp_path, env, monkeypatch):
    from generator.writing import generate as gen

    root = tmp_path / "site"
    write_glossary(root, plugin={"verify": True})
    judge = _Judge([_Judge.VerdictError("not JSON"), _Verdict(True, [])])
    monkeypatch.setattr(gen, "faithfulness", judge)
    result = generate(root, "--concept", "lora", "--jobs", "1", check=1)
    assert "the fact check's verdict could not be read: not JSON" in result.output
    assert list(snapshot(root)) == ["concepts/lora/lawyer.md"]


# --------------------------------------------------------------------------- units


def test_token_estimate_and_prices():
    from generator.llm.costs import estimate_tokens, price_for, usage_cost
    from generator.settings import settings_from_options

    assert estimate_tokens("a" * 400) == 100
    assert estimate_tokens("低ランク適応") == 6
    settings = settings_from_options(Path("mkdocs.yml"), prices={"local": {"input": 0, "output": 0}})
    assert price_for(settings, "gpt-4o-mini-2024-07-18") == price_for(settings, "gpt-4o-mini")
    assert price_for(settings, "unknown-model") is None
    assert price_for(settings, "gpt-4.1") == {"input": 2.0, "cached_input": 0.5, "output": 8.0}, (
        "genai-prices' bundled table, offline"
    )
    mine = settings_from_options(Path("mkdocs.yml"), prices={"gpt-4.1": {"input": 1, "output": 3}})
    assert price_for(mine, "gpt-4.1-2025-04-14") == {"input": 1.0, "cached_input": 1.0, "output": 3.0}, (
        "`prices:` comes first"
    )
    assert usage_cost(settings, "local", {"prompt_tokens": 10, "completion_tokens": 10}) == 0
    cost = usage_cost(
        settings, "gpt-4o-mini", {"prompt_tokens": 1_000_000, "cached_tokens": 500_000, "completion_tokens": 1_000_000}
    )
    assert cost == pytest.approx(0.075 + 0.0375 + 0.60)


def test_strip_html_keeps_code_and_comparisons():
    from generator.writing.answers import clean_answer, strip_html

    text = "Use `<b>` tags.\n\n```html\n<script>keep()</script>\n```\n\nIf a < b and c > d, or x<y and z>w, then <b>bold</b><scr<script>x</script>ipt>."
    out = strip_html(text)
    assert (
        "`<b>`" in out
        and "<script>keep()</script>" in out
        and "a < b and c > d, or x<y and z>w" in out
        and "**bold**" in out
    )
    assert "<script>x" not in out and "<script" not in out.split("```")[2]
    with pytest.raises(Exception, match="too short"):
        clean_answer("<div></div> Hi.")
    prose = "A recipe card is the frozen base, and a small sticky note holds the tweaks for tonight's menu.\n"
    assert clean_answer("Sure! Here's an explanation tailored for a chef:\n\n" + prose) == prose
    assert clean_answer("Here is how a kitchen works. " + prose) == "Here is how a kitchen works. " + prose


def test_progress_bar_on_a_terminal():
    import io

    from rich.console import Console

    from generator.cli.generate import Progress
    from generator.writing.results import PairResult

    out = io.StringIO()
    progress = Progress(Console(file=out, force_terminal=True, width=100), 2)
    progress.advance(PairResult("lora", "chef", "generated", usage={"prompt_tokens": 10, "completion_tokens": 5}))
    progress.advance(PairResult("lora", "lawyer", "failed", error="boom"))
    progress.stop()
    text = out.getvalue()
    assert "2/2" in text and "lora/lawyer: FAILED: boom" in text and "[1/2]" not in text


def test_retry_after_forms():
    from generator.llm.calls import parse_retry_after

    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # a date in the past
    assert parse_retry_after({"retry-after": "99999"}) == 99999.0  # no cap: max_wait decides (test_runs.py)
    assert parse_retry_after({"retry-after": "soon"}) is None and parse_retry_after({}) is None


def test_adaptive_limiter_shrinks_pauses_and_grows_back_slowly():
    import asyncio

    from generator.llm.calls import AdaptiveLimiter

    now = [100.0]  # the limiter's clock, moved by the test: the pause ends when the test says so
    limiter = AdaptiveLimiter(8, clock=lambda: now[0])

    async def scenario():
        tickets = [await limiter.acquire() for _ in range(8)]
        assert limiter.in_flight == 8 and limiter.allowed == 8
        for _ in range(6):  # six refused at once: the server holds two
            limiter.release()
            limiter.rate_limited_for(0.01)
        assert limiter.allowed == 2 and limiter.ceiling == 3
        for ticket in tickets[:2]:
            limiter.release()
            limiter.succeeded(ticket)
        starter = asyncio.create_task(limiter.acquire())  # a free slot, but every starter waits out the pause
        for _ in range(20):
            await asyncio.sleep(0)
        assert not starter.done() and limiter.in_flight == 0
        now[0] += 0.01
        await asyncio.wait_for(starter, 30)  # the pause is over on the limiter's clock
        assert limiter.in_flight == 1
        limiter.release()
        for _ in range(limiter.PROBE_ROUNDS * 2 - 3):  # with the two above: near the refused level it probes rarely
            limiter.succeeded(tickets[0])
        assert limiter.allowed == 2
        limiter.succeeded(tickets[0])
        assert limiter.allowed == 3
        probe = await limiter.acquire()
        probe.concurrency = 3
        limiter.release()
        limiter.succeeded(probe)  # the server now takes what it refused: grow normally again
        assert limiter.ceiling is None
        for _ in range(200):
            limiter.succeeded(probe)
        assert limiter.allowed == 8  # never above --jobs

    asyncio.run(scenario())


def test_the_answers_gist_line_goes_to_the_front_matter_and_the_judge_checks_it(tmp_path, env, monkeypatch):
    from generator.writing import generate as gen

    root = tmp_path / "site"
    write_glossary(root, plugin={"verify": True})
    judge = _Judge([_Verdict(True, []), _Verdict(True, [])])
    monkeypatch.setattr(gen, "faithfulness", judge)
    answers = {
        "chef": "```markdown\n**Gist:** A *recipe* note <b>on top</b> of a frozen cookbook.\n\n"
        + default_responder({})
        + "\n```",
        "lawyer": default_responder({}),  # no gist line: published all the same, without a gist
    }
    env.responder = lambda request: answers[pair_of(type("R", (), {"json": request})())[1]]
    generate(root, "--concept", "lora", "--jobs", "1")
    meta, body = read_pair(root, "lora", "chef")
    assert meta["gist"] == "A recipe note on top of a frozen cookbook." and list(meta)[0] == "gist"
    assert "Gist" not in body and "cookbook" not in body and meta["body_sha256"] == body_hash(body)
    assert "A recipe note on top of a frozen cookbook." in judge.gists and None in judge.gists  # checked with its text
    lawyer, _ = read_pair(root, "lora", "lawyer")
    assert "gist" not in lawyer
    assert "Begin with one line `Gist: `" in prompts.template_text("system.md")


def test_split_gist_reads_only_the_first_lines():
    from generator.writing.answers import split_gist

    assert split_gist("Gist: One line.\n\nThe text.") == ("One line.", "\n\nThe text.")
    assert split_gist("Sure.\n> **GIST:** “Quoted.”\n\nText") == ("Quoted.", "Sure.\n\n\nText")
    text = "One.\nTwo.\nThree.\nFour.\nGist: too late, part of the text."
    assert split_gist(text) == (None, text)
    assert split_gist("Gist: " + "word " * 80 + "\n\nText")[0] is None  # overlong: no gist
    assert split_gist(None) == (None, None)
