"""The example glossary's own qualities: the texts written so far are within length, tailored, and state no
misconception; the personas are rich enough to write from.

These test the repository's content (concepts/, personas/), not the tool: they are marked `example`
(`pytest -m example` runs only them, `-m "not example"` only the tool's tests). They pass whatever
concepts a pull request adds: the rules every concept must meet (3 to 6 facts, https sources, links
both ways...) are the policy in mkdocs.yml, which `glossary validate` enforces (test_content.py), and
a new concept's texts arrive after the merge."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main
from generator.inputs.load import load_glossary
from generator.settings import load_settings
from generator.texts.editions import editions
from generator.texts.status import glossary_status
from generator.texts.store import Store

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.example


@pytest.fixture(scope="module")
def example():
    """The English edition: the source-language glossary and its readers."""
    settings = load_settings(ROOT / "mkdocs.yml")
    loaded = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    english = editions(loaded, settings)[0]
    return english.settings, english.glossary


@pytest.fixture(scope="module")
def japanese():
    """The Japanese edition (issue 16)."""
    settings = load_settings(ROOT / "mkdocs.yml")
    loaded = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    return next(e for e in editions(loaded, settings) if e.language == "ja")


def words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.casefold())).strip()


def test_at_least_twelve_concepts_around_lora(example):
    _, glossary = example
    published = {c.slug for c in glossary.publishable()}
    assert len(published) >= 12
    assert {"lora", "fine-tuning", "matrix-rank", "low-rank-approximation"} <= published


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


def written(settings, glossary, *, curated_only: bool = False):
    """Every committed text of a publishable concept (texts still to be written are skipped)."""
    store = Store(settings.concepts_path)
    for concept in glossary.publishable():
        for persona in glossary.personas.values():
            explanation = store.read(concept.slug, persona.slug)
            if explanation is not None and (explanation.curated or not curated_only):
                yield concept, persona, explanation


def test_every_curated_explanation_is_within_its_length(example):
    settings, glossary = example
    outside = []
    for concept, persona, explanation in written(settings, glossary, curated_only=True):
        n = words(explanation.body)
        low, high = max(120, persona.length // 2), min(350, int(persona.length * 1.35))
        if not low <= n <= high:
            outside.append(f"{concept.slug}/{persona.slug}: {n} words, want {low}-{high}")
    assert outside == []


def test_no_explanation_states_a_listed_misconception(example):
    settings, glossary = example
    found = []
    for concept, persona, explanation in written(settings, glossary):
        body = normalise(explanation.body)
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


def test_example_site_shows_every_written_text_and_contributing(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)
    # --allow-pending: a new concept's texts, and the Japanese edition's, arrive later.
    result = CliRunner().invoke(main, ["build", "--strict", "--allow-pending", "-d", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    settings = load_settings(ROOT / "mkdocs.yml")
    glossary = editions(load_glossary(settings.root), settings)[0].glossary
    texts: dict[str, int] = {}
    for concept, _, _ in written(settings, glossary):
        texts[concept.slug] = texts.get(concept.slug, 0) + 1
    for concept in glossary.publishable():
        page = (tmp_path / "site" / "concepts" / concept.slug / "index.html").read_text()
        assert page.count('class="glossary-explanation"') == texts.get(concept.slug, 0), concept.slug
    assert sum(texts.values()) >= 12 * len(glossary.personas), "the example's concepts all have their texts"
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


# ---------------------------------------------------------------- the Japanese edition (issue 16)

JA_CONCEPTS = ("lora", "fine-tuning", "parameter", "matrix-rank", "low-rank-approximation", "transformer")
JA_READERS = {"child": "小学生", "physicist": "物理学専攻の大学院生", "jp-lawyer": "法曹", "jp-cpa": "公認会計士"}


def test_the_japanese_edition_has_the_four_readers_of_the_seed_note(japanese):
    readers = [(p.slug, p.name) for p in japanese.glossary.ordered_personas()]
    assert readers == list(JA_READERS.items())


def test_lora_and_five_concepts_it_rests_on_have_curated_japanese_texts(japanese):
    statuses = {
        (s.concept, s.persona): s.state for s in glossary_status(japanese.glossary, japanese.settings, japanese.store)
    }
    not_curated = [
        f"{c}/{p}: {statuses[(c, p)]}" for c in JA_CONCEPTS for p in JA_READERS if statuses[(c, p)] != "curated"
    ]
    assert not_curated == []


def test_japanese_texts_are_complete_and_say_where_their_analogy_stops(japanese):
    problems = []
    for concept in JA_CONCEPTS:
        for persona in JA_READERS:
            body = japanese.store.read(concept, persona).body.strip()
            length = japanese.glossary.personas[persona].length
            characters = len(re.sub(r"\s", "", body))
            if not body.endswith("。"):
                problems.append(f"{concept}/{persona}: does not end with a full sentence: {body[-30:]!r}")
            if "成り立たない" not in body:
                problems.append(f"{concept}/{persona}: does not say where its analogy stops holding")
            # No spaces between words in Japanese: about 2 to 4 characters for each word of the target.
            if not length <= characters <= int(length * 4.5):
                problems.append(f"{concept}/{persona}: {characters} characters for a target of {length} words")
    assert problems == []


def test_no_japanese_text_says_lora_compresses_data_or_searches_for_answers(japanese):
    wrong = re.compile(r"(データ(セット)?を圧縮|答えを(探|検索)|検索して答え|圧縮して(覚|記憶))")
    found = []
    for concept in JA_CONCEPTS:
        for persona in JA_READERS:
            body = japanese.store.read(concept, persona).body
            found += [f"{concept}/{persona}: {m.group()}" for m in wrong.finditer(body)]
    assert found == []
    assert wrong.search("LoRA はデータを圧縮する手法です。")  # the check can fail


def test_japanese_texts_are_tailored_to_their_reader(japanese):
    cues = {
        "child": ("シート", "シール", "ブロック", "ドリル", "レシピ", "絵"),
        "physicist": ("摂動", "ハミルトニアン", "特異値", "モード"),
        "jp-lawyer": ("改正", "条", "特別法", "契約"),
        "jp-cpa": ("仕訳", "精算表", "元帳", "監査"),
    }
    for persona, words_ in cues.items():
        body = japanese.store.read("lora", persona).body
        assert any(w in body for w in words_), persona


def test_every_japanese_concept_has_a_reading_and_the_a_to_z_is_in_gojuon_order(japanese):
    from generator.inputs.languages import reading
    from generator.site.pages import in_order

    # A concept added since (its translation still to come) has no reading yet: it is not checked here.
    translated = [
        slug for slug in japanese.glossary.concepts if japanese.glossary.ground_truth(slug).translations.get("ja")
    ]
    assert len(translated) >= 14 and all(reading(japanese.glossary, slug) for slug in translated)
    order = [(initial, c.slug) for initial, c in in_order(japanese.glossary, "ja") if c.slug in translated]
    assert ("か", "matrix-rank") in order and ("ら", "lora") in order
    assert [i for i, _ in order] == sorted([i for i, _ in order], key="あかさたなはまやらわ".index)
