"""The example glossary checks itself: valid, complete, curated, within length, linked both ways, no misconception.

These test the repository's content (concepts/, personas/), not the tool: they are marked `example`
(`pytest -m example` runs only them, `-m "not example"` only the tool's tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.inputs.load import load_glossary
from generator.settings import load_settings
from generator.texts.status import glossary_status
from generator.texts.store import Store

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.example
# Related links that are deliberately one-way: (from, to). Keep it short and justified.
ONE_WAY: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def example():
    settings = load_settings(ROOT / "mkdocs.yml")
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
    return settings, glossary


def words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.casefold())).strip()


def test_at_least_twelve_concepts_around_lora(example):
    _, glossary = example
    published = {c.slug for c in glossary.publishable()}
    assert len(published) >= 12
    assert {"lora", "fine-tuning", "matrix-rank", "low-rank-approximation"} <= published


def test_every_concept_has_three_to_six_facts_misconceptions_tags_and_sources(example):
    _, glossary = example
    for concept in glossary.publishable():
        assert 3 <= len(concept.facts) <= 6, concept.slug
        assert concept.misconceptions, concept.slug
        assert concept.tags, concept.slug
        assert concept.sources and all(s.url.startswith("https://") for s in concept.sources), concept.slug


def test_lora_names_the_misconceptions_the_project_started_from(example):
    _, glossary = example
    text = normalise(" ".join(glossary.concepts["lora"].misconceptions))
    for claim in ("compresses the training data", "all the weights", "latency", "dataset"):
        assert claim in text, claim
    assert any("2106.09685" in s.url for s in glossary.concepts["lora"].sources)


def test_personas_are_rich_enough_to_write_from(example):
    _, glossary = example
    assert {"child", "physicist", "lawyer", "accountant", "engineer"} <= set(glossary.personas)
    for persona in glossary.personas.values():
        assert len(persona.background) >= 200, persona.slug
        assert len(persona.analogies) >= 3, persona.slug


def test_related_links_go_both_ways(example):
    _, glossary = example
    one_way = [
        (c.slug, r)
        for c in glossary.concepts.values()
        for r in c.related
        if c.slug not in glossary.concepts[r].related and (c.slug, r) not in ONE_WAY
    ]
    assert one_way == []


def test_every_pair_exists_and_is_curated(example):
    settings, glossary = example
    statuses = glossary_status(glossary, settings, Store(settings.concepts_path))
    not_curated = [
        f"{s.concept}/{s.persona}: {s.describe()}" for s in statuses if s.state != "curated" and s.state != "draft"
    ]
    assert not_curated == []


def test_every_explanation_is_within_its_length(example):
    settings, glossary = example
    store = Store(settings.concepts_path)
    outside = []
    for concept in glossary.publishable():
        for persona in glossary.personas.values():
            n = words(store.read(concept.slug, persona.slug).body)
            low, high = max(120, persona.length // 2), min(350, int(persona.length * 1.35))
            if not low <= n <= high:
                outside.append(f"{concept.slug}/{persona.slug}: {n} words, want {low}-{high}")
    assert outside == []


def test_no_explanation_states_a_listed_misconception(example):
    settings, glossary = example
    store = Store(settings.concepts_path)
    found = []
    for concept in glossary.publishable():
        for persona in glossary.personas.values():
            body = normalise(store.read(concept.slug, persona.slug).body)
            for claim in concept.misconceptions:
                if normalise(claim.rstrip(".")) in body:
                    found.append(f"{concept.slug}/{persona.slug}: {claim}")
    assert found == []


def test_the_misconception_check_can_fail(example):
    _, glossary = example
    claim = glossary.concepts["lora"].misconceptions[0]
    assert normalise(claim.rstrip(".")) in normalise(f"As everyone knows, {claim} Really.")


def test_explanations_are_tailored_to_their_reader(example):
    """Each reader's LoRA text draws on that reader's own field, not on the same generic picture."""
    settings, _ = example
    store = Store(settings.concepts_path)
    cues = {
        "physicist": ("perturbation", "svd", "singular", "hamiltonian", "mode"),
        "accountant": ("ledger", "journal", "adjusting", "materiality"),
        "lawyer": ("statute", "amend", "rider", "agreement"),
        "child": ("sticker", "drawing", "lego", "recipe"),
        "engineer": ("diff", "patch", "memory", "checkpoint"),
    }
    for persona, words_ in cues.items():
        body = store.read("lora", persona).body.casefold()
        assert any(w in body for w in words_), persona
    bodies = [store.read("lora", p).body for p in cues]
    assert len(set(bodies)) == len(bodies)


def test_example_site_builds_with_every_tab_filled_and_no_key(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["build", "--strict", "-d", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    settings = load_settings(ROOT / "mkdocs.yml")
    glossary = load_glossary(settings.root)
    for concept in glossary.publishable():
        page = (tmp_path / "site" / "concepts" / concept.slug / "index.html").read_text()
        assert page.count('class="glossary-explanation"') == len(glossary.personas), concept.slug
        assert "glossary-missing" not in page, concept.slug
    assert (tmp_path / "site" / "concepts" / "index.html").exists()
    assert (tmp_path / "site" / "tags" / "index.html").exists()
    contributing = (tmp_path / "site" / "contributing" / "index.html").read_text()
    assert "glossary new persona" in contributing, "CONTRIBUTING.md is shown on the site"


def test_every_number_and_name_in_the_example_is_traced():
    """Issue 17: `glossary verify --checks-only` reports nothing on the example."""
    result = CliRunner().invoke(main, ["verify", "--checks-only", "-f", str(ROOT / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    assert "REPORTED" not in result.output and "FAILED" not in result.output, result.output


def test_most_example_facts_are_anchored_to_their_sources(example):
    _, glossary = example
    anchored = sum(len(c.anchored) for c in glossary.concepts.values())
    total = sum(len(c.facts) for c in glossary.concepts.values())
    assert anchored >= total * 0.7, (anchored, total)
