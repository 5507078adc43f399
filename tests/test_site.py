"""The built site, without a browser: pages, tabs, anchors, links, sanitising, strict builds, Japanese."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from kit import (
    SITE_CONCEPTS,
    SITE_GISTS,
    SITE_PERSONAS,
    UNIQUE_PHYSICS_WORD,
    build,
    copy_ja_fixture,
    write_site_glossary,
)

from generator.errors import ConfigError, GlossaryError

PUBLISHED = [slug for slug, data in SITE_CONCEPTS.items() if not data.get("draft")]
ORDER = sorted(SITE_PERSONAS, key=lambda slug: SITE_PERSONAS[slug]["order"])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("glossary")
    return build(write_site_glossary(root), root / "site")


@pytest.fixture(scope="module")
def ja_site(tmp_path_factory) -> Path:
    pytest.importorskip("janome", reason="the Japanese site needs the optional extra: pip install '.[ja]'")
    root = tmp_path_factory.mktemp("ja")
    return build(copy_ja_fixture(root / "glossary"), root / "site")


def read(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def article(page: str) -> str:
    return page[page.index("<article") : page.index("</article>")]


def tab_blocks(page: str) -> dict[str, str]:
    """The HTML of each persona tab, by persona slug."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<div class="(?:glossary-explanation|admonition note glossary-missing)" data-persona="([^"]+)">.*?</div>(?=\s*</div>)',
            page,
            re.S,
        )
    }


def mentions(fragment: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<a href="([^"]*)" title="([^"]*)">(.*?)</a>', fragment)


def page_summaries(page: str) -> dict[str, str]:
    """The tooltip of each linked concept, as glossary.js completes it: the page's first non-empty title."""
    found: dict[str, str] = {}
    for href, title, _ in mentions(page):
        if title:
            found.setdefault(href, title)
    return found


def test_every_concept_page_has_every_persona_tab_with_stable_anchors(site):
    for slug in PUBLISHED:
        page = read(site, f"concepts/{slug}")
        ids = re.findall(r'<input (?:checked="checked" )?id="([^"]+)" name="__tabbed_1" type="radio" />', page)
        assert ids == ORDER, slug
        labels = re.findall(r'<label for="([^"]+)">([^<]+)</label>', page)
        assert labels == [(p, SITE_PERSONAS[p]["name"]) for p in ORDER]
        assert set(tab_blocks(page)) == set(ORDER)


def test_default_persona_is_the_tab_shown_on_a_first_visit(site):
    page = read(site, "concepts/lora")
    assert '<input checked="checked" id="lawyer"' in page
    assert page.count('checked="checked"') == 1
    assert "Reading as:" in page


def test_tabs_carry_their_text_and_provenance(site):
    tabs = tab_blocks(read(site, "concepts/lora"))
    assert "see-through sticker sheet" in tabs["child"]
    assert UNIQUE_PHYSICS_WORD in tabs["physicist"] and UNIQUE_PHYSICS_WORD not in tabs["child"] + tabs["lawyer"]
    for persona, block in tabs.items():
        assert '<p class="glossary-provenance">Written by the maintainers' in block, persona


def test_report_link_per_tab_names_concept_and_persona(site):
    tabs = tab_blocks(read(site, "concepts/lora"))
    for persona, block in tabs.items():
        href = html.unescape(
            re.search(
                r'<a class="glossary-report" href="([^"]+)">Report a problem with this explanation</a>', block
            ).group(1)
        )
        url = urlsplit(href)
        assert (url.scheme, url.netloc, url.path) == ("https", "github.com", "/example/test-glossary/issues/new")
        query = parse_qs(url.query)
        assert query["title"] == [f"Explanation of LoRA (Low-Rank Adaptation) for {SITE_PERSONAS[persona]['name']}: "]
        body = query["body"][0]
        assert (
            "concepts/lora.yaml" in body
            and f"personas/{persona}.yaml" in body
            and f"concepts/lora/{persona}.md" in body
        )
        assert f"https://example.org/test-glossary/concepts/lora/#{persona}" in body


def test_edit_this_concept_links_to_its_yaml(site):
    page = read(site, "concepts/lora")
    edit = "https://github.com/example/test-glossary/edit/trunk/concepts/lora.yaml"
    assert f'<a class="glossary-edit" href="{edit}">Edit this concept</a>' in page
    assert re.search(
        rf'<a href="{re.escape(edit)}" title="[^"]*" class="md-content__button md-icon" rel="edit">', page
    )  # page.edit_url


def test_generated_pages_have_no_edit_button(site):
    for path in ("concepts", "tags", "for/physicist"):
        assert 'rel="edit"' not in read(site, path), path


def test_sources_and_related_links_below_the_tabs(site):
    page = article(read(site, "concepts/lora"))
    assert '<a href="https://arxiv.org/abs/2106.09685">Hu et al. 2021, LoRA, arXiv:2106.09685</a>' in page
    related = page[page.index('id="related-concepts"') : page.index('id="sources"')]
    assert (
        '<li><a href="../matrix-rank/">Matrix rank</a>: The number of linearly independent columns of a matrix.</li>'
        in related
    )
    assert mentions(related) == []  # the list is links already, not mentions
    assert (
        page.index("tabbed-set")
        < page.index('id="definition"')
        < page.index('id="key-facts"')
        < page.index('id="related-concepts"')
    )


def test_missing_pair_shows_a_note_and_the_definition(site):
    tabs = tab_blocks(read(site, "concepts/fine-tuning"))
    missing = tabs["lawyer"]
    assert "Not yet written for this reader" in missing
    assert "Fine-tuning continues training a pretrained model on data for one task" in missing
    assert "glossary-provenance" not in missing


def test_draft_concept_shows_its_definition_only(site):
    page = article(read(site, "concepts/attention"))
    assert "This concept is a draft" in page and "tabbed-set" not in page
    assert "Attention weighs values by the similarity of queries and keys." in page


def test_script_never_reaches_the_page_while_comparisons_survive(site):
    page = read(site, "concepts/lora")
    lawyer = tab_blocks(page)["lawyer"]
    assert "owned" not in page and "<script>alert" not in page
    assert "r &lt; min(d, k) holds" in lawyer
    assert "<code>r &lt; min(d, k)</code>" in lawyer


def test_headings_in_an_explanation_are_demoted_and_never_linked(site):
    physicist = tab_blocks(read(site, "concepts/lora"))["physicist"]
    assert "<h3>Where it breaks</h3>" in physicist
    assert "<code>LoRA</code>" in physicist and "<code>rank</code>" in physicist


def test_first_mention_links_with_the_readers_gist_as_tooltip(site):
    page = read(site, "concepts/lora")
    child = tab_blocks(page)["child"]
    gist = html.escape(SITE_GISTS["fine-tuning", "child"], quote=True)  # the child's gist of fine-tuning
    assert mentions(child)[0] == ("../fine-tuning/#child", gist, "fine-tuning")  # the next page opens on the child
    assert [m[0] for m in mentions(child)] == ["../fine-tuning/#child", "../matrix-rank/#child"]  # each once, in order
    assert child.count("fine-tuning") == 3  # the later mentions stay plain text
    assert all(not m[0].startswith("../lora/") for m in mentions(page))  # never a link to itself
    physicist = tab_blocks(page)["physicist"]
    assert mentions(physicist)[0][2] == "matrix rank"  # the longest name wins over "rank"


def test_a_page_writes_each_linked_summary_once(site):
    page = read(site, "concepts/lora")
    titles: dict[str, list[str]] = {}
    for href, title, _ in mentions(page):
        titles.setdefault(href, []).append(title)
    assert max(len(t) for t in titles.values()) > 1  # some concept is linked from several texts
    for href, found in titles.items():
        slug, _, persona = href.strip("./").partition("#")
        slug = slug.strip("/").split("/")[-1]
        tooltip = SITE_GISTS.get((slug, persona)) or SITE_CONCEPTS[slug]["summary"]  # a reader's gist, else the summary
        assert found[0] == html.escape(tooltip, quote=True), href  # the first link carries it
        assert found[1:] == [""] * (len(found) - 1), href  # the others are filled in by glossary.js


def test_definition_and_each_fact_link_their_first_mention(site):
    page = article(read(site, "concepts/lora"))
    definition = page[page.index('<div class="glossary-definition">') : page.index('id="key-facts"')]
    assert [m[0] for m in mentions(definition)] == ["../matrix-rank/", "../fine-tuning/"]
    facts = page[page.index('<div class="glossary-facts">') : page.index('id="related-concepts"')]
    items = re.findall(r"<li>(.*?)</li>", facts, re.S)
    assert [[m[0] for m in mentions(item)] for item in items] == [
        ["../fine-tuning/", "../matrix-rank/"],
        ["../fine-tuning/"],
    ]


def test_sidebar_does_not_list_every_concept(site):
    page = read(site, "concepts/matrix-rank")
    sidebar = page[page.index("md-sidebar--primary") : page.index("md-sidebar--secondary")]
    assert "concepts/lora/" not in sidebar and "../lora/" not in sidebar
    assert "A to Z" in sidebar


def test_a_to_z_page_lists_every_concept_with_its_summary(site):
    page = article(read(site, "concepts"))
    for slug, data in SITE_CONCEPTS.items():
        assert (
            f'<a href="{slug}/">{html.escape(data["title"], quote=False)}</a>: {html.escape(data["summary"], quote=False)}'
            in page
        )
    assert (
        page.index(">Attention<")
        < page.index(">Fine-tuning<")
        < page.index(">LoRA (Low-Rank Adaptation)<")
        < page.index(">Matrix rank<")
    )
    for slug in ORDER:
        assert f'href="../for/{slug}/"' in page


def test_tags_page_lists_concepts_by_tag(site):
    page = article(read(site, "tags"))
    assert "linear-algebra" in page and "fine-tuning" in page
    assert 'href="../concepts/lora/"' in page and 'href="../concepts/matrix-rank/"' in page


def test_a_page_per_persona_lists_every_concept_with_its_opening(site):
    page = article(read(site, "for/physicist"))
    assert "Explained for: Physicist" in page
    for slug, data in SITE_CONCEPTS.items():
        anchor = "" if data.get("draft") else "#physicist"
        assert f'href="../../concepts/{slug}/{anchor}"' in page, slug
    item = re.search(r'<li><strong><a href="../../concepts/lora/#physicist">.*?</li>', page, re.S).group(0)
    opening = re.sub(r"<[^>]+>", "", item.split("</strong>: ", 1)[1])
    assert opening.startswith("Think of a perturbation around a solved Hamiltonian")
    assert opening.endswith("…") and len(opening.split()) <= 42
    assert "glossary-choose" in page and 'data-glossary-persona="Physicist"' in page
    lawyer = article(read(site, "for/lawyer"))
    assert "Not yet written for this reader." in re.search(
        r'<li><strong><a href="../../concepts/fine-tuning/#lawyer">.*?</li>', lawyer, re.S
    ).group(0)


def test_home_page_offers_the_reader_choice(site):
    page = article(read(site, ""))
    for slug in ORDER:
        assert re.search(
            rf'<a class="glossary-persona" data-glossary-current="your choice" data-glossary-persona="{SITE_PERSONAS[slug]["name"]}" href="for/{slug}/">',
            page,
        )


def test_search_index_has_an_entry_per_reader_and_indexes_the_persona_pages(site):
    data = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = {doc["location"]: doc for doc in data["docs"]}
    page = docs["concepts/lora/"]
    assert (
        page["text"]
        == f"<p>{html.escape(SITE_CONCEPTS['lora']['summary'] + ' LoRA Low-Rank Adaptation', quote=False)}</p>"
    )
    for persona in ORDER:  # labels and the chooser's words are in no entry of the page
        assert SITE_PERSONAS[persona]["name"] not in page["text"]
    assert "Reading as" not in " ".join(doc["text"] for doc in data["docs"])
    readers = [loc for loc in docs if loc.startswith("concepts/lora/#") and loc.split("#")[1] in ORDER]
    assert readers == [f"concepts/lora/#{p}" for p in ORDER]  # right after the page's own entry, in tab order
    assert "see-through sticker sheet" in docs["concepts/lora/#child"]["text"]
    assert UNIQUE_PHYSICS_WORD in docs["concepts/lora/#physicist"]["text"]
    assert UNIQUE_PHYSICS_WORD not in docs["concepts/lora/#child"]["text"] + page["text"]
    assert "amending Act" in docs["concepts/lora/#lawyer"]["text"]
    title = docs["concepts/lora/#physicist"]["title"]
    assert title == (
        'LoRA (Low-Rank Adaptation)<span class="glossary-search-reader" data-glossary-reader="for: Physicist"></span>'
    )  # the reader's name is shown, never indexed: searching "physicist" must not list every concept
    assert not [
        loc
        for loc, doc in docs.items()
        if "Physicist" in re.sub(r"<[^>]*>", "", doc["title"]) and not loc.startswith("for/")
    ]
    assert docs["concepts/lora/#child"]["tags"] == docs["concepts/lora/"]["tags"]
    assert {f"for/{p}/" for p in ORDER} <= set(docs)  # the persona pages are indexed
    assert "concepts/attention/#child" not in docs  # a draft has no readers


def test_assets_are_served_by_the_site_and_nothing_fetches_repo_stats(site):
    page = read(site, "concepts/lora")
    assert (site / "assets" / "glossary" / "glossary.js").is_file()
    assert '<script src="../../assets/glossary/glossary.js"></script>' in page
    assert 'href="../../assets/glossary/glossary.css"' in page
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert 'data-md-component="source"' not in text, path  # Material would ask api.github.com for stars
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, path


def test_strict_build_fails_naming_the_missing_pair(tmp_path):
    config = write_site_glossary(tmp_path / "g")
    with pytest.raises(GlossaryError, match=r"not yet written, and the build is strict: fine-tuning/lawyer"):
        build(config, tmp_path / "site", strict=True)


def test_strict_cli_build_fails_naming_the_missing_pair(tmp_path):
    from generator.cli.main import main

    config = write_site_glossary(tmp_path / "g")
    result = CliRunner().invoke(main, ["build", "--strict", "-f", str(config), "--site-dir", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "not yet written, and the build is strict: fine-tuning/lawyer" in result.output


def test_strict_build_passes_when_only_drafts_lack_explanations(tmp_path):
    config = write_site_glossary(tmp_path / "g", missing=False)
    site = build(config, tmp_path / "site", strict=True)
    assert (site / "concepts" / "attention" / "index.html").is_file()


def test_unknown_default_persona_is_a_config_error(tmp_path):
    config = write_site_glossary(tmp_path / "g", missing=False, plugin={"default_persona": "judge"})
    with pytest.raises(ConfigError, match=r"default_persona 'judge' is not a persona"):
        build(config, tmp_path / "site")


def test_serve_watches_concepts_and_personas(tmp_path):
    from mkdocs.config import load_config

    config_file = write_site_glossary(tmp_path / "g", missing=False)
    config = load_config(str(config_file))
    plugin = config.plugins["glossary"]
    plugin.on_config(config)
    watched = []

    class Server:
        def watch(self, path):
            watched.append(Path(path))

    plugin.on_serve(Server(), config, None)
    assert (tmp_path / "g" / "concepts").resolve() in watched and (tmp_path / "g" / "personas").resolve() in watched


# ---- Japanese ----


def test_japanese_site_speaks_japanese(ja_site):
    page = read(ja_site, "concepts/lora")
    assert '<html lang="ja"' in page
    assert "読者：" in page and "選んだ立場はすべてのページで記憶されます" in page
    labels = re.findall(r'<label for="([^"]+)">([^<]+)</label>', page)
    assert labels == [
        ("child", "小学生"),
        ("physicist", "物理学専攻の大学院生"),
        ("lawyer", "法曹"),
        ("accountant", "公認会計士"),
    ]
    assert '<input checked="checked" id="child"' in page
    assert "メンテナーが執筆" in page and "この説明の問題を報告" in page and "この概念を編集" in page
    assert 'placeholder="検索"' in page
    assert ">定義<" in page and ">重要な事実<" in page
    assert "小学生向けの説明" in read(ja_site, "for/child")
    assert ">索引<" in read(ja_site, "concepts")


def test_japanese_mentions_link_next_to_japanese_text(ja_site):
    child = tab_blocks(read(ja_site, "concepts/fine-tuning"))["child"]
    assert [m[0] for m in mentions(child)] == []  # the child's text names no other concept
    page = read(ja_site, "concepts/fine-tuning")
    lawyer = tab_blocks(page)["lawyer"]
    assert ("../lora/#lawyer", "LoRA（低ランク適応）") in [(href, text) for href, _, text in mentions(lawyer)]
    assert page_summaries(page)["../lora/#lawyer"] == html.escape(
        "事前学習済みモデルの重みを凍結したまま、選んだ重み行列に加える小さな低ランクの更新だけを学習するファインチューニング手法。",
        quote=True,
    )
    physicist = tab_blocks(read(ja_site, "concepts/lora"))["physicist"]
    assert "../matrix-rank/#physicist" in [m[0] for m in mentions(physicist)]


def test_japanese_search_index_is_segmented(ja_site):
    data = json.loads((ja_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert data["config"]["lang"] == ["en"] and data["config"]["pipeline"] == []
    split = re.compile(data["config"]["separator"])
    keys = set()
    for doc in data["docs"]:
        for field in ("title", "text", "words"):
            keys |= {t.lower() for t in split.split(re.sub(r"<[^>]*>", " ", doc.get(field, ""))) if t}
    for query in ("低ランク", "言語モデル", "ファインチューニング", "重み行列", "ランク", "大規模言語モデル"):
        assert any(key.startswith(query) for key in keys), query


def test_japanese_site_without_janome_is_a_clear_error(tmp_path, monkeypatch):
    from generator.site import search_ja

    monkeypatch.setitem(sys.modules, "janome", None)
    monkeypatch.setitem(sys.modules, "janome.tokenizer", None)
    search_ja._tokenizer.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"language: ja needs the Japanese tokenizer Janome.*pip install"):
            build(copy_ja_fixture(tmp_path / "g"), tmp_path / "site")
    finally:
        search_ja._tokenizer.cache_clear()


def test_model_style_markdown_renders_lists_without_a_blank_line():
    """Models write GitHub-flavoured Markdown: a list straight after its lead-in line is still a list."""
    from generator.texts.sanitize import render_markdown

    html = render_markdown("Two things matter:\n- the frozen weights\n- the ~~big~~ small update\n")
    assert "<ul>" in html and "<li>the frozen weights</li>" in html
    assert "<del>big</del>" in html
