"""Prompts laid out for the prompt cache, worked examples, cached tokens and honest costs, flex processing:
`glossary generate` end to end against the loopback server caching prefixes as OpenAI documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeserver import Fault
from kit import GENERATION_PERSONAS, write_glossary, write_text

from generator.cli.main import main
from generator.llm import calls
from generator.llm.costs import cached_share, model_rates, usage_cost
from generator.settings import load_settings
from generator.texts.frontmatter import split_front_matter

CURATED = (
    "A recipe card is a promise: follow it and the dish comes out the same. This concept works the same way in "
    "a kitchen of numbers, where each station keeps its own notes and the head chef tastes before anything leaves. "
) * 6  # about 250 words, as long as the example glossary's texts


def run(root: Path, *args: str, check: int = 0):
    result = CliRunner().invoke(main, ["generate", *args, "-f", str(root / "mkdocs.yml")])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == check, result.output
    return result


def curated_site(root: Path, extra: int = 6, plugin: dict | None = None) -> Path:
    """A glossary whose chef and lawyer each have curated texts for the four first filler concepts."""
    write_glossary(root, extra_concepts=extra, plugin=plugin)
    for i in range(4):
        for persona in GENERATION_PERSONAS:
            write_text(
                root / "concepts" / f"concept-{i:03d}" / f"{persona}.md", f"---\nsource: curated\n---\n{CURATED}\n"
            )
    return root


def reader_of(request) -> str:
    return re.search(r"^## The reader: (.+)$", request.json["messages"][-1]["content"], re.M).group(1)


@pytest.fixture
def cache_server(openai_server, monkeypatch):
    openai_server.prompt_cache = True
    monkeypatch.setattr(calls, "BACKOFF_BASE", 0.02)
    return openai_server


def test_persona_first_prompts_share_a_cached_prefix_with_worked_examples(tmp_path, cache_server):
    root = curated_site(tmp_path / "site")
    result = run(root)
    chats = cache_server.completions
    assert len(chats) == 8  # lora, matrix-rank and two fillers without texts, for two readers
    user = chats[0].json["messages"][1]["content"]
    assert user.index("## The reader:") < user.index("## Worked examples") < user.index("## The concept:")
    assert user.count('<example concept="Concept number') == 2 and CURATED.strip()[:60] in user  # examples: 2
    keys = {reader_of(r): set() for r in chats}
    for r in chats:
        keys[reader_of(r)].add(r.json["prompt_cache_key"])
    assert all(len(k) == 1 for k in keys.values()) and len(set.union(*keys.values())) == 2  # one key per reader
    # The first request of each reader goes alone; the rest of its group waits and then hits the cache.
    first = {}
    for r in chats:
        first.setdefault(reader_of(r), r)
    for r in chats:
        if r is not first[reader_of(r)]:
            assert r.time >= first[reader_of(r)].finished
    assert cache_server.cached_tokens_total >= 6 * 1024
    share = cache_server.cached_tokens_total / cache_server.prompt_tokens_total
    assert f"cached by the server, {share:.0%})" in result.output
    assert "saved by the prompt cache" in result.output
    cached_pairs = 0
    for path in (root / "concepts").glob("*/*.md"):
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        if meta.get("source") == "generated":
            cached_pairs += bool(meta["usage"].get("cached_tokens"))
    assert cached_pairs == 6  # every pair but the first of each reader, recorded per pair


def test_without_examples_the_prefix_is_too_short_to_be_cached(tmp_path, cache_server):
    root = curated_site(tmp_path / "site", plugin={"examples": 0})
    run(root)
    user = cache_server.completions[0].json["messages"][1]["content"]
    assert "## Worked examples" not in user and "<example" not in user
    assert cache_server.cached_tokens_total == 0


def test_one_concept_for_many_readers_puts_the_concept_first(tmp_path, cache_server):
    root = curated_site(tmp_path / "site")
    run(root, "--concept", "lora")
    user = cache_server.completions[0].json["messages"][1]["content"]
    assert user.index("## The concept:") < user.index("## The reader:")
    assert len({r.json["prompt_cache_key"] for r in cache_server.completions}) == 1  # the concept is shared
    result = run(root, "--dry-run", "--force", "--concept", "lora")
    assert "prompts laid out concept-first" in result.output


def test_dry_run_prices_the_prompt_cache_and_flex_against_the_list_price(tmp_path, cache_server):
    root = curated_site(tmp_path / "site", plugin={"service_tier": "flex"})
    result = run(root, "--dry-run")
    found = re.search(
        r"Estimated cost: list price \$([\d.]+); with the prompt cache \$([\d.]+); "
        r"with the prompt cache and flex processing \$([\d.]+)\.",
        result.output,
    )
    assert found, result.output
    listed, cached, flex = (float(x) for x in found.groups())
    assert listed > cached > flex and flex == pytest.approx(cached / 2, rel=0.05)
    expected = int(
        re.search(r"~([\d,]+) expected from the server's prompt cache", result.output).group(1).replace(",", "")
    )
    assert expected > 0 and cache_server.count == 0


def test_flex_requests_wait_longer_and_fall_back_to_the_default_tier(tmp_path, cache_server, monkeypatch):
    monkeypatch.setenv("GLOSSARY_FLEX_FALLBACK", "0.3")
    root = curated_site(tmp_path / "site", extra=0, plugin={"service_tier": "flex"})
    cache_server.push(
        *[
            Fault.status(
                429,
                retry_after=0.1,
                body={
                    "error": {
                        "message": "Resource unavailable",
                        "type": "rate_limit_error",
                        "code": "resource_unavailable",
                    }
                },
            )
        ]
        * 20
    )
    result = run(root, "--jobs", "1")
    chats = cache_server.completions
    flex = [r for r in chats if r.json.get("service_tier") == "flex"]
    assert flex and all(r.status == 429 for r in flex)  # flex never answered here
    answered = [r for r in chats if r.status == 200]
    assert len(answered) == 4 and all("service_tier" not in r.json for r in answered)
    assert "the rest of the run used the default tier" in result.output
    assert len(list((root / "concepts").glob("*/*.md"))) == 8 + 4


def test_flex_answers_are_priced_at_batch_rates(tmp_path, cache_server):
    root = curated_site(tmp_path / "site", extra=0, plugin={"service_tier": "flex", "examples": 0})
    result = run(root)
    assert all(r.json["service_tier"] == "flex" for r in cache_server.completions)
    meta, _ = split_front_matter((root / "concepts" / "lora" / "chef.md").read_text(encoding="utf-8"))
    usage = meta["usage"]
    full = (usage["prompt_tokens"] * 0.15 + usage["completion_tokens"] * 0.60) / 1e6
    assert usage["cost_usd"] == pytest.approx(full / 2, abs=1e-6)
    assert "saved by the prompt cache and flex processing" in result.output


def test_a_server_without_flex_stops_the_run_with_what_to_change(tmp_path, cache_server):
    root = curated_site(tmp_path / "site", extra=0, plugin={"service_tier": "flex"})
    body = {
        "error": {
            "message": "Flex is not available for this model.",
            "type": "invalid_request_error",
            "param": "service_tier",
            "code": None,
        }
    }
    cache_server.push(Fault.status(400, body=body))
    result = run(root, "--jobs", "1", check=1)
    assert "does not offer service_tier 'flex'" in result.output and "service_tier: default" in result.output


def test_a_server_that_does_not_know_prompt_cache_key_gets_requests_without_it(tmp_path, cache_server):
    root = curated_site(tmp_path / "site", extra=0)
    body = {
        "error": {
            "message": "Unrecognized request argument supplied: prompt_cache_key",
            "type": "invalid_request_error",
            "param": "prompt_cache_key",
            "code": None,
        }
    }
    cache_server.push(Fault.status(400, body=body))
    run(root, "--jobs", "1")
    assert "prompt_cache_key" in cache_server.completions[0].json
    assert all("prompt_cache_key" not in r.json for r in cache_server.completions[1:])
    assert len(list((root / "concepts").glob("*/*.md"))) == 8 + 4


def test_bad_tier_settings_are_refused_with_what_is_wrong(tmp_path, cache_server, monkeypatch):
    root = curated_site(tmp_path / "site", extra=0)
    monkeypatch.setenv("GLOSSARY_SERVICE_TIER", "cheap")
    result = run(root, check=2)
    assert "option 'service_tier'" in result.output and "received: 'cheap'" in result.output
    monkeypatch.delenv("GLOSSARY_SERVICE_TIER")
    monkeypatch.setenv("GLOSSARY_EXAMPLES", "-1")
    monkeypatch.setenv("GLOSSARY_FLEX_TIMEOUT", "0")
    result = run(root, check=2)
    assert "examples" in result.output and "must not be negative, not -1" in result.output
    assert "flex_timeout" in result.output and "must be a positive number of seconds, not 0" in result.output
    assert cache_server.count == 0


def test_rates_per_tier_come_from_the_price_table(tmp_path):
    prices = {"house": {"input": 1.0, "output": 4.0, "batch": {"input": 0.4, "output": 1.0}}}
    settings = load_settings(write_glossary(tmp_path / "site", plugin={"prices": prices}))
    assert model_rates(settings, "gpt-4o-mini", "flex") == model_rates(settings, "gpt-4o-mini", "batch")
    assert model_rates(settings, "gpt-4o-mini", "batch").input == pytest.approx(0.075)
    assert model_rates(settings, "house", "batch").cached_input == 0.4  # the table's own batch rates
    assert model_rates(settings, "house").cached_input == 1.0  # no cached rate given: the input rate
    usage = {"prompt_tokens": 2000, "cached_tokens": 1536, "completion_tokens": 100}
    assert usage_cost(settings, "gpt-4o-mini", usage, "batch") == pytest.approx(
        usage_cost(settings, "gpt-4o-mini", usage) / 2
    )
    assert model_rates(settings, "nobody") is None and usage_cost(settings, "nobody", usage, "flex") is None
    assert cached_share(1023, 10) == 0 and cached_share(1300, 1) == 0 and cached_share(1300, 3) == 2 * 1280
