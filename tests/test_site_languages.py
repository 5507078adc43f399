"""A site in two languages (issue 16): one build per language, the switch, Japanese pages done right."""

from __future__ import annotations

import html
import json
import re

import pytest
from click.testing import CliRunner
from kit import build, make_bilingual_glossary, write_text

from generator.cli.main import main
from generator.site import japanese

JP = "\u3040-\u30ff\u3400-\u9fff"


@pytest.fixture(scope="module")
def bilingual_site(tmp_path_factory):
    pytest.importorskip("janome", reason="the Japanese edition needs the optional extra: pip install '.[ja]'")
    root = tmp_path_factory.mktemp("bilingual") / "glossary"
    config = make_bilingual_glossary(root, explanations=True)
    # A hand-written Japanese home page, its lines broken between Japanese characters.
    write_text(root / "docs" / "index.ja.md", "# 読者別用語集\n\nどの説明も\nあなたが知っていることから始まります。\n")
    write_text(
        root / "concepts" / "lora" / "jp-cpa.ja.md",
        "---\nsource: curated\n---\n決算整理仕訳の\nように、元の帳簿は\nそのままです。\n\n```\nコード\nの行\n```\n",
    )
    return build(config, root.parent / "site"), root


def read(site, path):
    return (site / path).read_text(encoding="utf-8")


def paragraphs(page_html):
    """The text of every paragraph and list item of a page's article."""
    article = page_html[page_html.index("<article") : page_html.index("</article>")]
    found = re.findall(r"<(p|li)\b[^>]*>(.*?)</\1>", article, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)) for _, text in found]


def test_each_language_is_built_under_its_own_prefix(bilingual_site):
    site, _ = bilingual_site
    assert (site / "concepts" / "lora" / "index.html").is_file()
    assert (site / "ja" / "concepts" / "lora" / "index.html").is_file()
    assert '<html lang="en"' in read(site, "concepts/lora/index.html")
    assert '<html lang="ja"' in read(site, "ja/concepts/lora/index.html")
    assert not (site / "ja" / "ja").exists()


def test_each_edition_has_its_readers_and_its_words(bilingual_site):
    site, _ = bilingual_site
    en, ja = read(site, "concepts/lora/index.html"), read(site, "ja/concepts/lora/index.html")
    labels = lambda page: re.findall(r'<label for="([^"]+)">([^<]+)</label>', page)  # noqa: E731
    assert labels(en) == [("physicist", "Physicist"), ("child", "Child")]
    assert labels(ja) == [("physicist", "物理学専攻の大学院生"), ("jp-cpa", "公認会計士")]
    assert "<h1" in ja and "LoRA（低ランク適応）</h1>" in ja
    assert "A hand-written text on lora for physicist.ja." in ja and "for physicist.ja" not in en
    assert "定義" in ja and "Definition" in en  # the glossary's own strings
    assert "メンテナーが執筆" in ja


def test_the_language_switch_leads_to_the_same_page(bilingual_site):
    site, _ = bilingual_site
    switch = re.compile(r'<a href="([^"]*)" hreflang="([^"]+)" class="md-select__link" target="_self">')
    assert switch.findall(read(site, "concepts/lora/index.html")) == [
        ("../../concepts/lora/", "en"),
        ("../../ja/concepts/lora/", "ja"),
    ]
    assert switch.findall(read(site, "ja/concepts/lora/index.html")) == [
        ("../../../concepts/lora/", "en"),
        ("../../../ja/concepts/lora/", "ja"),
    ]
    assert switch.findall(read(site, "ja/index.html")) == [("../", "en"), ("../ja/", "ja")]


def test_japanese_search_segmentation_is_on_japanese_pages_only(bilingual_site):
    site, _ = bilingual_site
    ja = json.loads(read(site, "ja/search/search_index.json"))
    en = json.loads(read(site, "search/search_index.json"))
    assert ja["config"]["pipeline"] == [] and "\\u200b" in ja["config"]["separator"]
    assert en["config"]["pipeline"] != [] and "\u200b" not in json.dumps(en["docs"], ensure_ascii=False)
    assert any("低ランク" in doc["text"] for doc in ja["docs"] if doc["location"].startswith("concepts/lora/"))


def test_japanese_a_to_z_is_in_gojuon_order_by_reading(bilingual_site):
    site, _ = bilingual_site
    page = read(site, "ja/concepts/index.html")
    headings = re.findall(r"<h2[^>]*>([^<]+)", page)
    assert headings == ["か", "ら"]  # 行列のランク (ぎょうれつ…) under か, LoRA (ろら) under ら
    assert page.index("行列のランク") < page.index("LoRA（低ランク適応）")


def test_a_tag_in_japanese_has_its_page_entry(bilingual_site):
    site, _ = bilingual_site
    tags = read(site, "ja/tags/index.html")
    assert "機械学習" in tags
    section = tags[tags.index("機械学習") :]
    assert "LoRA（低ランク適応）" in section[:3000]


def test_no_space_between_two_japanese_characters_the_source_did_not_have(bilingual_site):
    site, _ = bilingual_site
    for path in ("ja/index.html", "ja/concepts/lora/index.html", "ja/concepts/matrix-rank/index.html"):
        for text in paragraphs(read(site, path)):
            assert not re.search(f"[{JP}]\\s+[{JP}]", text), (path, text)
    page = read(site, "ja/concepts/lora/index.html")
    assert "決算整理仕訳のように、元の帳簿はそのままです。" in page
    assert "コード\nの行" in page  # code keeps its line breaks
    assert "どの説明もあなたが知っていることから始まります。" in read(site, "ja/index.html")


def test_hand_written_pages_in_another_language_replace_the_source_page_in_that_edition(bilingual_site):
    site, _ = bilingual_site
    assert "読者別用語集" in read(site, "ja/index.html") and "読者別用語集" not in read(site, "index.html")
    assert not (site / "index.ja").exists() and not (site / "ja" / "index.ja").exists()
    nav = re.findall(
        r'class="md-nav__link[^"]*"[^>]*>\s*<span class="md-ellipsis">\s*([^<]+?)\s*</span>',
        read(site, "ja/index.html"),
    )
    assert "索引" in nav and "A to Z" not in nav  # generated and translated pages keep their own titles


def test_mkdocs_build_and_glossary_build_make_every_edition(tmp_path):
    pytest.importorskip("janome")
    config = make_bilingual_glossary(tmp_path / "glossary", explanations=True)
    result = CliRunner().invoke(main, ["build", "-f", str(config), "-d", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "ja" / "concepts" / "lora" / "index.html").is_file()


def test_tidy_keeps_spaces_next_to_latin_words_and_code():
    assert japanese.tidy_html("<p>ランク r の\n行列</p><pre>a\nb</pre>") == "<p>ランク r の行列</p><pre>a\nb</pre>"
    assert japanese.tidy_html("<p>常に 等しい</p>") == "<p>常に等しい</p>"


def test_gojuon_rows_and_order():
    readings = ["ろら", "ぎょうれつのらんく", "ぱらめーた", "ふぁいんちゅーにんぐ", "あてんしょん", "ていらんくきんじ"]
    ordered = sorted(readings, key=japanese.sort_key)
    assert ordered == [
        "あてんしょん",
        "ぎょうれつのらんく",
        "ていらんくきんじ",
        "ぱらめーた",
        "ふぁいんちゅーにんぐ",
        "ろら",
    ]
    assert [japanese.row(r) for r in ordered] == ["あ", "か", "た", "は", "は", "ら"]
    assert japanese.row("LoRA") == "L"
