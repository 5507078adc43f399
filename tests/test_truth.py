"""Truthfulness: facts anchored to their sources, the checks that need no model, and measuring a judge."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from judges import Script
from kit import GENERATION_CONCEPTS, GENERATION_PERSONAS, write_glossary, write_yaml

from generator.cli.main import main
from generator.llm import calls
from generator.texts.frontmatter import split_front_matter
from generator.texts.store import body_hash
from generator.writing import checks
from generator.writing.evaluation import ERROR_KINDS, NONE, load_eval_set

pytestmark = pytest.mark.timeout(120)

LORA = GENERATION_CONCEPTS["lora"]["title"]
CHEF = GENERATION_PERSONAS["chef"]["name"]
QUOTE = "we freeze the pretrained model weights and inject trainable rank decomposition matrices"


def run(root: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(main, [*args, "-f", str(root / "mkdocs.yml")])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def anchored_concepts() -> dict:
    concepts = copy.deepcopy(GENERATION_CONCEPTS)
    lora = concepts["lora"]
    lora["sources"] = [{"id": "hu2021", "title": "Hu et al. 2021, LoRA", "url": "https://arxiv.org/abs/2106.09685"}]
    lora["facts"][0] = {"claim": lora["facts"][0], "source": "hu2021", "quote": QUOTE, "section": "Abstract"}
    return concepts


@pytest.fixture
def scripted(monkeypatch):
    """A scripted server; returns (script, server). Its texts are set per test."""
    script = Script({})
    monkeypatch.setattr(calls, "BACKOFF_BASE", 0.02)
    with FakeOpenAI(responder=script) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-truth")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield script, server


# --------------------------------------------------------------------------- anchored facts


def test_an_anchored_fact_reaches_the_judge_with_its_quote(tmp_path, scripted):
    script, _ = scripted
    root = tmp_path / "site"
    write_glossary(root, concepts=anchored_concepts(), plugin={"verify": True})
    run(root, "validate")
    run(root, "generate", "--concept", "lora", "--persona", "chef")
    judge_prompt = script.judge_requests[0]["messages"][-1]["content"]
    assert f'The source\'s words (Abstract): "{QUOTE}"' in judge_prompt
    assert "drops a qualifier" in script.judge_requests[0]["messages"][0]["content"]
    meta, _ = split_front_matter((root / "concepts" / "lora" / "chef.md").read_text(encoding="utf-8"))
    assert meta["verdict"]["facts"] == 2


def test_bad_anchors_are_listed_with_file_line_and_key(tmp_path):
    concepts = anchored_concepts()
    concepts["lora"]["facts"][0]["source"] = "hu2012"
    concepts["lora"]["sources"].append({"id": "hu2021", "title": "Again", "url": "https://example.org/again"})
    concepts["matrix-rank"]["facts"][0] = {"claim": "Rank is at most min(d, k).", "source": "s", "quot": "at most"}
    root = tmp_path / "site"
    write_glossary(root, concepts=concepts)
    out = run(root, "validate", code=2).output
    assert "facts.0.source: no source has the id 'hu2012'; did you mean 'hu2021'?" in out
    assert "sources.1.id: 'hu2021' is also the id of sources.0" in out
    assert "concepts/matrix-rank.yaml:" in out
    assert "facts.0.quot: unknown key 'quot'; did you mean 'quote'?" in out
    assert "facts.0.quote: required key is missing" in out
    line = next(x for x in out.splitlines() if "facts.0.source" in x)
    assert line.strip().startswith("concepts/lora.yaml:")
    assert int(line.split("concepts/lora.yaml:")[1].split(":")[0]) > 1


def test_plain_facts_keep_their_fingerprint():
    from generator.inputs.digests import concept_digest
    from generator.inputs.schemas import Concept

    plain = Concept.model_validate({**GENERATION_CONCEPTS["lora"], "slug": "lora"})
    anchored = Concept.model_validate({**anchored_concepts()["lora"], "slug": "lora"})
    assert plain.claims == anchored.claims
    assert concept_digest(plain) != concept_digest(anchored)  # the judge reads the quote
    same = Concept.model_validate({**GENERATION_CONCEPTS["lora"], "slug": "lora", "tags": ["other"]})
    assert concept_digest(plain) == concept_digest(same)


# --------------------------------------------------------------------------- the checks that need no model


@pytest.mark.parametrize(
    ("text", "support"),
    [
        ("about 10,000 times fewer", "10000 times"),
        ("ten thousand times fewer", "10,000"),
        ("約1万分の1に減った", "about 10,000 times"),
        ("from ~350 GB down", "350GB"),
        ("cut to 0.1% of the table", "0.1 %"),
        ("GPT-3 175B", "GPT-3 175 billion"),
        ("a 4 × (12,288 + 12,288) = 98,304 number update", ""),
        ("12,288 × 12,288 ≈ 151 million cells", ""),
    ],
)
def test_numbers_traced_to_the_concept_or_to_shown_arithmetic_pass(text, support):
    assert checks.number_findings(text, [support]) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("training was 40% faster", "40%"),
        ("it needs 3 × 4 = 13 cells", "13"),
        ("a 65B model", "65B"),
        ("about 2 million parameters", "2 million"),
        ("released in 2019", "2019"),
    ],
)
def test_a_number_found_nowhere_is_named(text, number):
    findings = checks.number_findings(text, ["LoRA has 2 matrices and reduced memory 3 times (2021)."])
    assert [f.text for f in findings] == [number]
    assert f'the number "{number}" appears nowhere' in findings[0].message


def test_names_and_cut_off_texts():
    assert [f.text for f in checks.name_findings("As Smith et al. showed with RoBERTa and GPT-4.", ["GPT-4"])] == [
        "Smith",
        "RoBERTa",
    ]
    assert checks.truncation_findings("A sentence. And then the text stops in the") != []
    assert checks.truncation_findings("文は終わる。") == []
    assert checks.truncation_findings("Ends with a list:\n\n- one\n- two") == []


def test_a_generated_figure_is_fed_back_once_then_not_stored(tmp_path, scripted):
    script, _ = scripted
    wrong = "LoRA trains two small matrices B and A while W0 stays frozen, which is about 42,000 times cheaper.\n"
    script.texts[(LORA, CHEF)] = [wrong, wrong]
    root = tmp_path / "site"
    write_glossary(root)
    out = run(root, "generate", "--concept", "lora", "--persona", "chef", code=1).output
    assert "lora/chef" in out and '"42,000 times"' in out
    assert not (root / "concepts" / "lora" / "chef.md").exists()
    assert [retry for title, _, retry in script.generation_requests] == [False, True]


def test_a_retry_without_the_figure_is_stored(tmp_path, scripted):
    script, server = scripted
    wrong = "LoRA trains B and A while W0 stays frozen; it is 42,000 times cheaper.\n"
    right = "LoRA trains B and A while W0 stays frozen, and B A can be merged afterwards.\n"
    script.texts[(LORA, CHEF)] = [wrong, right]
    root = tmp_path / "site"
    write_glossary(root, plugin={"verify": True})
    run(root, "generate", "--concept", "lora", "--persona", "chef")
    _, body = split_front_matter((root / "concepts" / "lora" / "chef.md").read_text(encoding="utf-8"))
    assert body.strip() == right.strip()
    retry_prompt = server.completions[-2].json["messages"][-1]["content"]
    assert '"42,000 times"' in retry_prompt
    assert len(script.judge_requests) == 1  # the first attempt never reached the judge


def _stored(root: Path, persona: str, body: str, source: str) -> None:
    meta = {"source": source, "date": "2026-11-30", "body_sha256": body_hash(body)}
    if source == "generated":
        meta["model"] = "gpt-4o-mini"
    text = "---\n" + yaml.safe_dump(meta) + "---\n" + body
    (root / "concepts" / "lora").mkdir(parents=True, exist_ok=True)
    (root / "concepts" / "lora" / f"{persona}.md").write_text(text, encoding="utf-8")


def test_verify_checks_only_reports_curated_and_fails_generated(tmp_path):
    root = tmp_path / "site"
    write_glossary(root)
    _stored(root, "chef", "A curated text that says 77,000 cooks agree.\n", "curated")
    out = run(root, "verify", "--checks-only").output
    assert 'REPORTED lora/chef: reported: the number "77,000"' in out
    assert "1 check finding in curated texts (reported, not blocking)" in out
    _stored(root, "lawyer", "A generated text that says 77,000 lawyers agree.\n", "generated")
    out = run(root, "verify", "--checks-only", code=1).output
    assert 'FAILED lora/lawyer: blocks: the number "77,000"' in out


# --------------------------------------------------------------------------- measuring the judge


def test_the_shipped_labelled_set_covers_every_kind_in_two_languages():
    evalset = load_eval_set()
    labels = [item.label for item in evalset.items]
    assert len(labels) >= 40
    assert sum(item.language == "ja" for item in evalset.items) >= 10
    assert {NONE, *ERROR_KINDS} == set(labels)
    assert min(labels.count(kind) for kind in ERROR_KINDS) >= 4
    assert len({item.id for item in evalset.items}) == len(labels)
    # a correct item must pass the checks that need no model, or the false-alarm rate is wrong by design
    for item in evalset.items:
        if item.label == NONE:
            found = checks.check_text(evalset.glossary, evalset.glossary.concepts[item.concept], item.text)
            assert found == [], (item.id, found)


def _labelled_set(path: Path, items: list[dict]) -> Path:
    concept = {k: v for k, v in GENERATION_CONCEPTS["lora"].items() if k not in ("tags", "related")}
    persona = {k: GENERATION_PERSONAS["chef"][k] for k in ("name", "description", "background")}
    return write_yaml(
        path, {"labels": {"none": "x"}, "concepts": {"lora": concept}, "personas": {"chef": persona}, "items": items}
    )


def test_eval_judge_prints_recall_per_kind_and_false_alarms(tmp_path, scripted):
    root = tmp_path / "site"
    write_glossary(root)
    item = {"concept": "lora", "persona": "chef"}
    labelled = _labelled_set(
        tmp_path / "set.yaml",
        [
            {**item, "id": "ok", "label": "none", "text": "LoRA trains B and A; W0 stays frozen."},
            {**item, "id": "bad", "label": "stated-misconception", "text": "LoRA compresses the training data."},
            {**item, "id": "hedge", "label": "dropped-qualifier", "text": "LoRA is always better than everything."},
            {**item, "id": "num", "label": "invented-number", "text": "LoRA is 31,337 times faster."},
        ],
    )
    out = run(root, "eval-judge", "--set", str(labelled), "-v").output
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in out.splitlines()
        if line.startswith("│")
    }
    assert rows["stated-misconception"] == ["1", "1", "100%", "1", "100%"]
    assert rows["dropped-qualifier"] == ["1", "0", "0%", "0", "0%"]
    assert rows["invented-number"] == ["1", "0", "0%", "1", "100%"]
    assert rows["contradicted-fact"] == ["0", "0", "-", "0", "-"]
    assert "recall on wrong texts: 1/3 (33%)" in out
    assert "false alarms on correct texts: 0/1 (0%)" in out
    assert "missed: hedge (dropped-qualifier)" in out


def test_a_bad_labelled_set_names_file_line_and_key(tmp_path):
    root = tmp_path / "site"
    write_glossary(root)
    item = {"concept": "lora", "persona": "chef", "text": "x."}
    labelled = _labelled_set(
        tmp_path / "set.yaml",
        [{**item, "id": "a", "label": "wrong-ish"}, {**item, "id": "b", "label": "none", "persona": "cook"}],
    )
    out = run(root, "eval-judge", "--set", str(labelled), code=2).output
    assert "set.yaml:" in out
    assert "items.0.label: unknown label 'wrong-ish'" in out
    assert "items.1.persona: no persona 'cook' under personas:" in out


def test_the_page_shows_the_sources_words_and_what_was_checked(tmp_path, scripted):
    from kit import build

    root = tmp_path / "site"
    config = write_glossary(root, concepts=anchored_concepts(), plugin={"verify": True})
    run(root, "generate", "--concept", "lora", "--persona", "chef")
    html = (build(config, tmp_path / "out") / "concepts" / "lora" / "index.html").read_text(encoding="utf-8")
    assert f"The source's words: “{QUOTE}” (Hu et al. 2021, LoRA, Abstract)" in html
    assert "1 of them with the source's own words" in html
    assert "every number and name traced to the concept and its sources" in html
