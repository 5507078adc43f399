"""Batch mode end to end: `glossary generate --batch` and `glossary collect` against the loopback server's
files and batches endpoints, with the real `openai` client, over runs that share only the cache folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from kit import GENERATION_CONCEPTS, GENERATION_PERSONAS, edit_concept, write_glossary

from generator.cli.main import main
from generator.llm import calls
from generator.texts.frontmatter import split_front_matter

PAIRS = sorted((c, p) for c in GENERATION_CONCEPTS for p in GENERATION_PERSONAS)


@pytest.fixture
def server(scripted_server, monkeypatch):
    monkeypatch.setattr(calls, "BACKOFF_BASE", 0.02)
    monkeypatch.setenv("COLUMNS", "200")
    return scripted_server


LONG = (
    "Picture a kitchen where the head chef keeps one master recipe and each station notes only its small change "
    "on a card; the dish comes out as before, and the cards are what changed. Where the picture stops: numbers, not "
    "flavours, are what the cards hold."
)


@pytest.fixture
def site(tmp_path, server, script) -> Path:
    script.texts.update({"Matrix rank": LONG, "LoRA (Low-Rank Adaptation)": LONG})
    write_glossary(tmp_path / "site", plugin={"verify": True, "examples": 0})
    return tmp_path / "site"


def glossary(root: Path, *args: str, check: int = 0):
    result = CliRunner().invoke(main, [*args, "-f", str(root / "mkdocs.yml")])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == check, result.output
    return result


def texts(root: Path) -> dict[str, tuple[dict, str]]:
    return {
        p.relative_to(root / "concepts").as_posix(): split_front_matter(p.read_text(encoding="utf-8"))
        for p in sorted((root / "concepts").glob("*/*.md"))
    }


def state(root: Path) -> dict:
    return json.loads((root / ".cache" / "batches.json").read_text(encoding="utf-8"))


def chats(server) -> list:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def test_submit_then_collect_stores_every_pair_with_its_verdict_and_a_third_run_does_nothing(site, server, script):
    first = glossary(site, "generate", "--batch", "--report", str(site / "pr.md"))
    assert texts(site) == {} and chats(server) == []  # nothing synchronous: one batch out
    assert len(server.batches) == 1 and len(server.batch_lines) == 0
    assert re.search(r"Sent: batch batch_\w+ with 4 request\(s\)", first.output)
    recorded = state(site)["batches"][0]
    assert sorted((r["concept"], r["persona"]) for r in recorded["requests"].values()) == PAIRS
    assert "Sent: batch" in (site / "pr.md").read_text(encoding="utf-8")

    second = glossary(site, "generate", "--batch")
    assert "4 answer(s) collected from finished batches." in second.output
    stored = texts(site)
    assert len(stored) == 4
    for meta, body in stored.values():
        assert meta["source"] == "generated" and meta["verdict"]["facts"] >= 1 and body.strip()
        expected = (meta["usage"]["prompt_tokens"] * 0.075 + meta["usage"]["completion_tokens"] * 0.30) / 1e6
        assert meta["usage"]["cost_usd"] == pytest.approx(expected, abs=1e-6)  # Batch API rates
    assert len(script.judge_requests) == 4  # the judge is called synchronously
    assert len(script.generation_requests) == 4 and len(server.batch_lines) == 4  # no generation outside the batch
    assert state(site)["batches"] == []

    lines, batches = len(server.batch_lines), len(server.batches)
    glossary(site, "generate", "--batch")
    assert len(server.batch_lines) == lines and len(server.batches) == batches and len(chats(server)) == 4


def test_a_second_run_while_the_batch_is_out_sends_nothing_twice(site, server):
    server.plan_batches("hold")
    glossary(site, "generate", "--batch")
    again = glossary(site, "collect", "--report", str(site / "pr.md"))
    assert len(server.batches) == 1 and "Still out: batch" in again.output
    assert "Still out: batch" in (site / "pr.md").read_text(encoding="utf-8")
    glossary(site, "generate", "--batch")
    assert len(server.batches) == 1 and texts(site) == {}
    server.finish_batches()
    glossary(site, "collect")
    assert len(texts(site)) == 4 and len(server.batch_lines) == 4


def test_an_expired_batch_is_sent_again_once_then_reported(site, server):
    server.plan_batches(("expired", 1), ("expired", 0))
    glossary(site, "generate", "--batch")
    second = glossary(site, "generate", "--batch")
    assert len(texts(site)) == 1  # the one request the batch ran
    assert re.search(r"Sent again \(a batch never ran them\): (\S+, ){2}\S+$", second.output, re.M)
    third = glossary(site, "generate", "--batch", check=1)
    assert "Not run by two batches, not sent again" in third.output
    assert len(server.batches) == 2 and len(texts(site)) == 1
    fourth = glossary(site, "generate", "--batch", check=1)  # still reported, still not sent
    assert len(server.batches) == 2 and "Not run by two batches" in fourth.output
    glossary(site, "generate")  # a synchronous run generates them
    assert len(texts(site)) == 4


def test_a_pair_whose_inputs_changed_while_out_is_not_stored_with_the_old_text(site, server, script):
    server.plan_batches("hold")
    glossary(site, "generate", "--batch")
    edit_concept(site, "matrix-rank", definition="The rank of a matrix is the number of independent columns.")
    server.finish_batches()
    result = glossary(site, "generate", "--batch")
    stored = texts(site)
    assert sorted(stored) == ["lora/chef.md", "lora/lawyer.md"]  # lora's inputs did not change
    assert len(server.batches) == 2 and "with 2 request(s)" in result.output  # matrix-rank asked again
    glossary(site, "generate", "--batch")
    stored = texts(site)
    assert len(stored) == 4
    new_prompts = [line[2]["messages"][-1]["content"] for line in server.batch_lines[-2:]]
    assert all("number of independent columns" in prompt for prompt in new_prompts)


def test_a_batch_created_by_a_run_that_stopped_before_noting_it_is_found_not_sent_again(site, server, monkeypatch):
    from generator.llm import batches

    real_create = batches.create

    async def create_then_stop(client, file_id, metadata):
        await real_create(client, file_id, metadata)
        raise KeyboardInterrupt  # the run is killed before it notes the batch's id

    monkeypatch.setattr(batches, "create", create_then_stop)
    glossary(site, "generate", "--batch", check=1)
    noted = state(site)["batches"][0]
    assert noted["id"] is None and noted["file_id"]
    monkeypatch.setattr(batches, "create", real_create)
    glossary(site, "generate", "--batch")
    assert len(server.batches) == 1 and len(texts(site)) == 4


def test_a_failed_batch_is_reported_and_its_pairs_sent_again(site, server):
    server.plan_batches(("failed", "line 1: this model is not available in batches"))
    glossary(site, "generate", "--batch")
    second = glossary(site, "generate", "--batch")
    assert "failed: invalid_request: line 1: this model is not available in batches" in second.output
    assert len(server.batches) == 2
    glossary(site, "generate", "--batch")
    assert len(texts(site)) == 4


def test_batch_dry_run_prices_the_batch_and_force_is_refused(site, server):
    result = glossary(site, "generate", "--batch", "--dry-run")
    listed, cached, batch = (
        float(x)
        for x in re.search(
            r"list price \$(\d+\.\d+); with the prompt cache \$(\d+\.\d+); with the prompt cache and the Batch API \$(\d+\.\d+)",
            result.output,
        ).groups()
    )
    assert batch == pytest.approx(cached / 2, rel=0.05) and listed >= cached
    refused = glossary(site, "generate", "--batch", "--force", check=2)
    assert "--force cannot be used with --batch" in refused.output
    assert server.count == 0
