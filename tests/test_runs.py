"""Issue 13: runs that behave: one generate per repository, a long Retry-After stops the run with a
message, long waits are shown, an answer that is not a Chat Completion stops the run once naming the
host, the key never reaches a stored text, a curated text is never unwrapped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TEST_KEY
from fakeserver import Fault, Reply
from kit import make_glossary, write_glossary, write_text

from generator.cli.main import main
from generator.llm import calls, server
from generator.texts.sanitize import clean_markdown

BIN = Path(sys.executable).parent


def generate(config: Path, *args: str):
    return CliRunner().invoke(main, ["generate", *args, "-f", str(config)])


def duplicates(server_) -> list[str]:
    """Requests sent more than once (the same messages)."""
    counts = Counter(json.dumps(r.json["messages"], sort_keys=True) for r in server_.completions)
    return [messages[:80] for messages, n in counts.items() if n > 1]


@pytest.fixture
def fast_backoff(monkeypatch):
    monkeypatch.setattr(calls, "BACKOFF_BASE", 0.02)


@pytest.mark.timeout(120)
def test_two_runs_at_once_send_no_request_twice(tmp_path, openai_server):
    config = write_glossary(tmp_path / "site", extra_concepts=2)
    arrived, second_done = threading.Event(), threading.Event()

    def responder(request):  # the first run's first answer waits until the second run was turned away
        if not arrived.is_set():
            arrived.set()
            second_done.wait(60)
        return None

    openai_server.responder = responder
    first = subprocess.Popen(
        [str(BIN / "glossary"), "generate", "--jobs", "1", "-f", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ},
        text=True,
    )
    try:
        assert arrived.wait(60), "the first run sent no request"  # it holds the lock once it sends one
        second = generate(config)
        second_done.set()
        assert second.exit_code == 1, second.output
        assert (
            "another `glossary generate` (process " in second.output
            and "is running on this repository" in second.output
        )
        assert f"process {first.pid} on " in second.output
    finally:
        second_done.set()
        output = first.communicate(timeout=100)[0]
    assert first.returncode == 0, output
    assert len(openai_server.completions) == 8 and duplicates(openai_server) == []
    assert generate(config).exit_code == 0  # the lock went with its holder


@pytest.mark.timeout(60)
def test_a_retry_after_beyond_max_wait_stops_the_run_with_a_message(tmp_path, openai_server):
    config = write_glossary(tmp_path / "site")
    openai_server.push(Fault.status(429, retry_after=3600))
    result = generate(config, "--jobs", "1")
    assert result.exit_code != 0
    assert "asks to wait 60 min before the next request (HTTP 429, rate limited, Retry-After)" in result.output
    assert "longer than max_wait (5 min); the run stopped instead of waiting" in result.output
    assert len(openai_server.completions) == 1


@pytest.mark.timeout(60)
def test_max_wait_is_a_setting(tmp_path, openai_server, monkeypatch, fast_backoff):
    config = write_glossary(tmp_path / "site", plugin={"max_wait": 2.0})
    openai_server.push(Fault.status(503, retry_after=3))
    result = generate(config, "--jobs", "1")
    assert (
        result.exit_code != 0
        and "asks to wait 3 s before the next request (HTTP 503, Retry-After), longer than max_wait (2 s)"
        in result.output
    )


@pytest.mark.timeout(60)
def test_a_long_wait_is_shown_with_what_it_waits_for(tmp_path, openai_server, monkeypatch):
    monkeypatch.setattr(server, "SHOW_WAITS_FROM", 0.5)
    config = write_glossary(tmp_path / "site")
    openai_server.push(Fault.status(429, retry_after=1))
    result = generate(config, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert f"waiting 1 s: the server at {openai_server.base_url} is rate limiting requests (HTTP 429)" in result.output
    assert result.output.count("waiting 1 s") == 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "body, headers, expected",
    [
        (
            "<!DOCTYPE html><html><body>Sign in to continue</body></html>",
            {"Content-Type": "text/html"},
            "answered with an HTML page instead of a Chat Completions response (it starts: '<!DOCTYPE html><html><body>Sign in",
        ),
        (
            "<!DOCTYPE html><html><body>Proxy error</body></html>",
            {},
            "answered with an HTML page instead of a Chat Completions response",
        ),
        (
            "upstream connect error",
            {"Content-Type": "text/plain"},
            "answered with text that is not JSON instead of a Chat Completions response (it starts: 'upstream connect error')",
        ),
        (
            {"status": "ok", "data": []},
            {},
            "answered with JSON that is not a Chat Completions response (no `choices`; its keys: data, status)",
        ),
    ],
    ids=["html-page", "html-as-json", "plain-text", "other-json"],
)
def test_an_answer_that_is_not_a_chat_completion_stops_the_run_once(tmp_path, openai_server, body, headers, expected):
    config = write_glossary(tmp_path / "site")
    openai_server.responder = lambda request: Fault.status(200, body=body, headers=headers)
    result = generate(config, "--jobs", "1")
    assert result.exit_code != 0
    assert f"the server at {openai_server.base_url} {expected}" in result.output
    assert result.output.count("Chat Completions response") == 1
    assert len(openai_server.completions) == 1
    assert not list((tmp_path / "site" / "concepts").glob("*/*.md"))


def test_an_answer_that_echoes_the_key_is_stored_without_it(tmp_path, openai_server):
    config = write_glossary(tmp_path / "site")
    text = (
        f"Your key is {TEST_KEY}, and its tail is {TEST_KEY[-8:]}. "
        + "LoRA trains a small update and keeps the weights frozen. " * 5
    )
    openai_server.responder = lambda request: Reply(text)
    assert generate(config).exit_code == 0
    written = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    assert len(list((tmp_path / "site" / "concepts").glob("*/*.md"))) == 4
    assert [p for p in written if TEST_KEY.encode() in p.read_bytes() or TEST_KEY[-8:].encode() in p.read_bytes()] == []
    assert "Your key is ***" in (tmp_path / "site" / "concepts" / "lora" / "chef.md").read_text(encoding="utf-8")


def test_a_curated_text_that_is_one_code_fence_stays_one(tmp_path):
    fenced = "```text\nA curated text kept as code on purpose.\n```\n"
    assert "```text" in clean_markdown(fenced)
    root = make_glossary(tmp_path / "site", explanations=True)
    write_text(root / "concepts" / "lora" / "child.md", "---\nsource: curated\n---\n" + fenced)
    result = CliRunner().invoke(main, ["build", "-d", str(tmp_path / "built"), "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "built" / "concepts" / "lora" / "index.html").read_text(encoding="utf-8")
    assert "<pre><code" in page and "A curated text kept as code on purpose." in page


class _Planted:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["PLANTED_MARKER"]),))


def test_a_pickle_planted_in_the_response_cache_is_never_loaded(tmp_path, monkeypatch):
    import diskcache

    from generator.llm.cache import Memo

    marker = tmp_path / "pickle-ran"
    monkeypatch.setenv("PLANTED_MARKER", str(marker))
    with diskcache.Cache(str(tmp_path / ".cache" / "calls")) as planted:  # as a pull request could commit it
        planted.set("0" * 64, _Planted())
    warnings: list[str] = []
    memo = Memo(tmp_path / ".cache", warn=warnings.append)
    assert memo.get("0" * 64) is None and not marker.exists()
    assert warnings and "response cache" in warnings[0]
    memo.close()


def test_a_response_cache_linked_out_of_the_cache_folder_is_not_used(tmp_path):
    from generator.llm.cache import Memo

    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "calls").symlink_to(tmp_path / "elsewhere")
    warnings: list[str] = []
    memo = Memo(tmp_path / ".cache", warn=warnings.append)
    memo.set("k", {"content": "x"})
    assert list((tmp_path / "elsewhere").iterdir()) == [] and "symbolic link" in warnings[0]


def test_a_lock_file_planted_as_a_link_is_not_followed(tmp_path):
    from generator.writing import runlock

    (tmp_path / "target").write_text("keep me", encoding="utf-8")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "generate.lock").symlink_to(tmp_path / "target")
    with pytest.raises(runlock.Busy, match="if it is a symbolic link, delete it"):
        with runlock.held(tmp_path / "cache"):
            pass
    assert (tmp_path / "target").read_text(encoding="utf-8") == "keep me"
