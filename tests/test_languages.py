"""Several languages in one glossary (issue 16): inputs, texts per language, status, accept, generation."""

from __future__ import annotations

import yaml
from click.testing import CliRunner
from kit import JA_TRANSLATIONS, edit_config, make_bilingual_glossary, make_glossary, write_text

from generator.cli.main import main
from generator.inputs.languages import edition
from generator.inputs.load import load_glossary
from generator.settings import load_settings
from generator.texts.editions import all_status, editions
from generator.texts.status import MISSING, ORPHAN, REVIEW


def run(config, *args):
    return CliRunner().invoke(main, [*args, "-f", str(config)])


def edit_yaml(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_single_language_glossary_is_unchanged(tmp_path):
    config = make_glossary(tmp_path / "site", explanations=True) / "mkdocs.yml"
    settings = load_settings(config)
    assert settings.languages == () and settings.all_languages == ("en",) and settings.suffix is None
    found = editions(load_glossary(settings.root), settings)
    assert len(found) == 1 and found[0].store.path("lora", "child").name == "child.md"
    # A text in a language the site does not publish is an orphan, not a pair.
    write_text(tmp_path / "site" / "concepts" / "lora" / "child.ja.md", "---\nsource: curated\n---\nテキスト。\n")
    statuses = all_status(found)
    orphans = [s for s in statuses if s.state == ORPHAN]
    assert [(s.persona, s.reasons) for s in orphans] == [("child.ja", ["no language 'ja' in `languages:`"])]
    assert len([s for s in statuses if s.state != ORPHAN]) == 4


def test_editions_localise_concepts_and_choose_personas(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    result = run(config, "validate")
    assert result.exit_code == 0, result.output
    assert "en: 2 personas; ja: 2 personas" in result.output
    settings = load_settings(config)
    glossary = load_glossary(settings.root)
    en, ja = editions(glossary, settings)
    assert sorted(en.glossary.personas) == ["child", "physicist"]
    assert sorted(ja.glossary.personas) == ["jp-cpa", "physicist"]
    assert ja.glossary.personas["physicist"].name == "物理学専攻の大学院生"
    assert ja.glossary.personas["physicist"].analogies == ["perturbation theory"]  # not translated: the source's
    lora = ja.glossary.concepts["lora"]
    assert lora.title == "LoRA（低ランク適応）" and lora.tags == ["機械学習", "ファインチューニング"]
    assert lora.definition == glossary.concepts["lora"].definition  # no translated definition: the source's
    assert ja.glossary.concepts["matrix-rank"].facts == ["行ランクと列ランクは等しい。"]
    assert ja.glossary.ground_truth("matrix-rank").facts == ["Row rank equals column rank."]
    assert ja.store.path("lora", "jp-cpa").name == "jp-cpa.ja.md"
    assert en.glossary.concepts["lora"] is glossary.concepts["lora"]


def test_a_tag_in_any_script_validates(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    edit_yaml(tmp_path / "site" / "concepts" / "lora.yaml", lambda d: d.update(tags=["機械学習", "fine-tuning"]))
    result = run(config, "validate")
    assert result.exit_code == 0, result.output


def test_translation_problems_are_listed_at_once_with_file_line_and_key(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")

    def bad(data):
        data["translations"]["ja"]["facts"] = ["一つ目。", "二つ目。", "三つ目。"]
        data["translations"]["ja"]["reading"] = "low rank"
        data["translations"]["fr"] = {"title": "LoRA", "summary": "Une méthode."}

    edit_yaml(tmp_path / "site" / "concepts" / "lora.yaml", bad)
    result = run(config, "validate")
    assert result.exit_code == 2
    assert "concepts/lora.yaml:" in result.output
    assert "translations.ja.reading: bad reading 'low rank'" in result.output
    edit_yaml(tmp_path / "site" / "concepts" / "lora.yaml", lambda d: d["translations"]["ja"].pop("reading"))
    result = run(config, "validate")
    assert result.exit_code == 2
    assert "translations.ja.facts: has 3 facts, the source has 2" in result.output
    assert "translations.fr: no translation for 'fr': the site's languages are ['en', 'ja']" in result.output


def test_a_japanese_summary_must_be_one_sentence(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    edit_yaml(
        tmp_path / "site" / "concepts" / "lora.yaml",
        lambda d: d["translations"]["ja"].update(summary="一つ目の文です。二つ目の文です。"),
    )
    result = run(config, "validate")
    assert result.exit_code == 2 and "translations.ja.summary: must be one sentence" in result.output


def test_languages_must_name_the_source_first(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    edit_config(config, plugin={"language": "ja"})
    result = run(config, "validate")
    assert result.exit_code == 2
    assert "language 'ja' must be the first of languages ['en', 'ja']" in result.output


def test_status_lists_pairs_per_language_and_language_limits_it(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    settings = load_settings(config)
    statuses = all_status(editions(load_glossary(settings.root), settings))
    pairs = sorted(s.label for s in statuses if s.state == MISSING)
    assert pairs == [
        "lora/child",
        "lora/jp-cpa.ja",
        "lora/physicist",
        "lora/physicist.ja",
        "matrix-rank/child",
        "matrix-rank/jp-cpa.ja",
        "matrix-rank/physicist",
        "matrix-rank/physicist.ja",
    ]
    shown = run(config, "status")
    assert shown.exit_code == 0, shown.output
    assert "jp-cpa" in shown.output and "│ ja " in shown.output
    assert "en: 2 concepts x 2 personas: 4 missing; ja: 2 concepts x 2 personas: 4 missing." in shown.output
    only = run(config, "status", "--language", "ja")
    assert "child" not in only.output and "jp-cpa" in only.output
    wrong = run(config, "status", "--language", "jq")
    assert wrong.exit_code != 0 and "no language 'jq'" in wrong.output


def test_each_language_has_its_own_text_fingerprint_and_review(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site", explanations=True)
    root = tmp_path / "site"
    accepted = run(config, "accept", "--all")
    assert accepted.exit_code == 0, accepted.output
    assert "accepted lora/jp-cpa.ja" in accepted.output and "accepted lora/physicist" in accepted.output
    front = yaml.safe_load((root / "concepts" / "lora" / "jp-cpa.ja.md").read_text(encoding="utf-8").split("---")[1])
    english = yaml.safe_load((root / "concepts" / "lora" / "physicist.md").read_text(encoding="utf-8").split("---")[1])
    japanese = yaml.safe_load(
        (root / "concepts" / "lora" / "physicist.ja.md").read_text(encoding="utf-8").split("---")[1]
    )
    assert front["source"] == "curated" and front["fingerprint"]
    assert japanese["fingerprint"] != english["fingerprint"]
    assert japanese["inputs"]["language"] != english["inputs"]["language"]

    def states():
        settings = load_settings(config)
        return {s.label: s.state for s in all_status(editions(load_glossary(settings.root), settings))}

    assert set(states().values()) == {"curated"}
    # The Japanese wording changed: only the Japanese texts need a look.
    edit_yaml(root / "concepts" / "lora.yaml", lambda d: d["translations"]["ja"].update(summary="別の要約。"))
    now = states()
    assert now["lora/physicist.ja"] == REVIEW and now["lora/jp-cpa.ja"] == REVIEW
    assert now["lora/physicist"] == "curated" and now["lora/child"] == "curated"
    run(config, "accept", "--all")
    # The ground truth changed: every language's texts need a look.
    edit_yaml(root / "concepts" / "lora.yaml", lambda d: d["facts"].append("A third fact."))
    edit_yaml(root / "concepts" / "lora.yaml", lambda d: d["translations"]["ja"].pop("facts", None))
    now = states()
    assert {now["lora/physicist"], now["lora/physicist.ja"], now["lora/jp-cpa.ja"]} == {REVIEW}
    # A reading or a tag changes no text.
    run(config, "accept", "--all")
    edit_yaml(root / "concepts" / "lora.yaml", lambda d: d["translations"]["ja"].update(reading="えるおーあーるえー"))
    assert states()["lora/physicist.ja"] == "curated"


def test_texts_of_a_persona_outside_its_languages_are_orphans(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    root = tmp_path / "site"
    write_text(root / "concepts" / "lora" / "jp-cpa.md", "---\nsource: curated\n---\nEnglish text.\n")
    write_text(root / "concepts" / "lora" / "child.ja.md", "---\nsource: curated\n---\n日本語。\n")
    settings = load_settings(config)
    orphans = [s for s in all_status(editions(load_glossary(settings.root), settings)) if s.state == ORPHAN]
    assert sorted((s.label, s.reasons[0]) for s in orphans) == [
        ("lora/child.ja", "persona 'child' has no tab in 'ja'"),
        ("lora/jp-cpa", "persona 'jp-cpa' has no tab in 'en'"),
    ]


def test_edition_of_the_source_language_keeps_the_loaded_concepts(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    glossary = load_glossary(config.parent)
    view = edition(glossary, "ja", "en")
    assert view.ground_truth("lora") is glossary.concepts["lora"]
    assert view.concepts["lora"].aliases == JA_TRANSLATIONS["lora"]["aliases"]


def test_dry_run_lists_pairs_per_language(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site", kind="generation")
    result = run(config, "generate", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "jp-cpa (ja)" in result.output and "physicist (ja)" in result.output
    assert "Would generate 8 pairs" in result.output
    only = run(config, "generate", "--dry-run", "--language", "ja")
    assert "Would generate 4 pairs" in only.output and "child" not in only.output


def test_generating_a_japanese_pair_asks_for_japanese_and_stores_it_beside_the_english(tmp_path, openai_server):
    config = make_bilingual_glossary(tmp_path / "site", kind="generation")
    root = config.parent
    result = run(config, "generate", "--concept", "lora", "--persona", "physicist")
    assert result.exit_code == 0, result.output
    prompts = [r.json["messages"][1]["content"] for r in openai_server.completions]
    japanese = [p for p in prompts if "Language: Japanese (ja)" in p]
    english = [p for p in prompts if "Language: English (en)" in p]
    assert len(japanese) == 1 and len(english) == 1
    asked = japanese[0]
    assert "## The reader: 物理学専攻の大学院生" in asked and "## The concept: LoRA（低ランク適応）" in asked
    assert "Reference definition (ground truth, in English):" in asked
    assert "- The pretrained weights are frozen." in asked  # the source-language facts are the ground truth
    assert asked.rstrip().endswith("for this reader now, in Japanese.")
    assert (root / "concepts" / "lora" / "physicist.md").is_file()
    stored = (root / "concepts" / "lora" / "physicist.ja.md").read_text(encoding="utf-8")
    front = yaml.safe_load(stored.split("---")[1])
    assert front["source"] == "generated" and front["inputs"]["language"]
    again = run(config, "status", "--language", "ja")
    assert "lora │ physicist" not in again.output.replace("  ", " ")  # fresh now: not listed
    settings = load_settings(config)
    states = {s.label: s.state for s in all_status(editions(load_glossary(settings.root), settings))}
    assert states["lora/physicist.ja"] == "fresh" and states["lora/physicist"] == "fresh"
    assert states["lora/jp-cpa.ja"] == MISSING


def test_arithmetic_with_japanese_counters_traces_its_numbers(tmp_path):
    from generator.writing.checks import check_text

    config = make_bilingual_glossary(tmp_path / "site")
    glossary = load_glossary(config.parent)
    concept = glossary.concepts["matrix-rank"]
    shown = check_text(glossary, concept, "表は 1,000 行 × 1,000 列 = 100万 個の数字です。")
    assert shown == []
    wrong = check_text(glossary, concept, "表は 1,000 行 × 1,000 列 = 200万 個の数字です。")
    assert any('"200万"' in f.message for f in wrong)


def test_preview_in_another_language_asks_for_it(tmp_path, openai_server):
    config = make_bilingual_glossary(tmp_path / "site", kind="generation")
    result = CliRunner().invoke(main, ["preview", "lora", "jp-cpa", "--language", "ja", "-f", str(config)])
    assert result.exit_code == 0, result.output
    asked = openai_server.completions[-1].json["messages"]
    assert any("Language: Japanese (ja)" in m["content"] for m in asked)
    assert not (tmp_path / "site" / "concepts" / "lora" / "jp-cpa.ja.md").exists()  # never saved
    outside = CliRunner().invoke(main, ["preview", "lora", "jp-cpa", "-f", str(config)])
    assert outside.exit_code == 2 and "persona 'jp-cpa' has no tab in 'en'" in outside.output


def test_an_edition_without_our_strings_falls_back_to_english_and_says_so(tmp_path, caplog):
    import logging

    from kit import build

    config = make_bilingual_glossary(tmp_path / "site", explanations=True)
    edit_config(config, plugin={"languages": ["en", "fr"]})
    for path in (tmp_path / "site").rglob("*.yaml"):
        edit_yaml(path, lambda d: d.pop("translations", None) or d.pop("languages", None))
    with caplog.at_level(logging.INFO):
        site = build(config, tmp_path / "out")
    page = (site / "fr" / "concepts" / "lora" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in page and "Definition" in page  # Material's French, our English
    assert "Français" in page  # the switch names each language in that language
    assert any("no 'fr' translation yet: they are in English" in r.getMessage() for r in caplog.records)


def test_two_readers_of_one_edition_cannot_share_a_tab_label(tmp_path):
    config = make_bilingual_glossary(tmp_path / "site")
    edit_yaml(
        tmp_path / "site" / "personas" / "physicist.yaml",
        lambda d: d["translations"]["ja"].update(name="公認会計士"),
    )
    result = run(config, "validate")
    assert result.exit_code == 2
    assert "personas/physicist.yaml" in result.output
    assert (
        "translations.ja.name: tab label '公認会計士' is already used in the 'ja' edition by personas/jp-cpa.yaml"
        in (result.output)
    )
