"""Issue 15 in the built site, without a browser: gists, hand-written pages, references, browsing, machine-readable output."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from kit import SITE_CONCEPTS, SITE_GISTS, SITE_PERSONAS, build, edit_concept, write_site_glossary, write_yaml

PUBLISHED = sorted(slug for slug, data in SITE_CONCEPTS.items() if not data.get("draft"))
ORDER = sorted(SITE_PERSONAS, key=lambda slug: SITE_PERSONAS[slug]["order"])
NAMES = {slug: data["name"] for slug, data in SITE_PERSONAS.items()}
HOSTILE = '</script><script>alert("x")</script> & <b>bold</b>'


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reader")
    return build(write_site_glossary(root / "g"), root / "site")


def read(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def article(page: str) -> str:
    return page[page.index("<article") : page.index("</article>")]


def json_ld(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)]


def test_each_tab_opens_with_its_readers_gist_and_the_summary_heads_the_definition(site):
    page = article(read(site, "concepts/lora"))
    child = page[page.index('data-persona="child"') :]
    assert child.startswith(f'data-persona="child"><p class="glossary-gist">{SITE_GISTS["lora", "child"]}</p>')
    lawyer = page[page.index('<div class="glossary-explanation" data-persona="lawyer">') :]
    escaped = html.escape(SITE_GISTS["lora", "lawyer"], quote=True)
    assert f'<p class="glossary-gist">{escaped}</p>' in lawyer and "<b>not</b>" not in page
    assert '<div class="glossary-explanation" data-persona="physicist"><p class="glossary-gist">' not in page  # none
    summary = html.escape(SITE_CONCEPTS["lora"]["summary"], quote=False)
    assert page.index(summary) > page.index('id="definition"')  # the expert summary moved under Definition
    assert '<div class="tabbed-set tabbed-alternate glossary-tabs"' in page
    assert "<strong>Reading as:</strong>" in page
    assert '<details class="glossary-compare" hidden>' in page and page.count("<option") == 2 * len(ORDER)


def test_tooltips_are_escaped_twice_because_material_renders_a_title_as_html(site):
    page = article(read(site, "concepts/fine-tuning"))
    title = re.search(r'<a href="../lora/#lawyer" title="([^"]*)">', page).group(1)
    assert title == html.escape(html.escape(SITE_GISTS["lora", "lawyer"], quote=False), quote=True)
    assert html.unescape(html.unescape(title)) == SITE_GISTS["lora", "lawyer"]  # what the tooltip then shows


def test_a_tab_says_when_it_was_reviewed_and_offers_a_link_to_itself(tmp_path):
    config = write_site_glossary(tmp_path / "g")
    path = tmp_path / "g" / "concepts" / "lora" / "child.md"
    path.write_text(path.read_text().replace("source: curated\n", "source: curated\nreviewed: '2026-11-28'\n"))
    page = read(build(config, tmp_path / "site"), "concepts/lora")
    child = page[page.index('data-persona="child"') : page.index('data-persona="physicist"')]
    assert 'last reviewed <time datetime="2026-11-28">2026-11-28</time>' in child
    button = '<button type="button" class="glossary-copy-link" data-clipboard-text="https://example.org/test-glossary/concepts/lora/#child">'
    assert button in child


def test_persona_page_lists_each_concepts_gist_and_is_found_by_search(site):
    page = article(read(site, "for/child"))
    assert f"{SITE_GISTS['lora', 'child']}" in page
    assert 'href="../../concepts/lora/#child"' in page


def test_a_hand_written_page_links_its_first_mention_and_its_references(site):
    page = article(read(site, "guide"))
    links = [
        (re.search(r'href="([^"]*)"', attrs).group(1), (re.search(r'title="([^"]*)"', attrs) or [None, None])[1], text)
        for attrs, text in re.findall(r"<a ([^>]*)>(.*?)</a>", page)
    ]
    concept_links = [(href, text) for href, _, text in links if "concepts/" in href]
    assert concept_links == [
        ("../concepts/lora/", "LoRA"),  # the first mention only; none in code, links or headings
        ("../concepts/fine-tuning/", "fine-tuning"),
        ("../concepts/matrix-rank/", "Matrix rank"),  # [[matrix-rank]]: the concept's title
        ("../concepts/lora/", "low-rank *adapters*"),  # [[LoRA|...]]: the text as written, no emphasis
    ]
    titles = {text: title for href, title, text in links}
    assert titles["Matrix rank"] == html.escape(SITE_CONCEPTS["matrix-rank"]["summary"], quote=True)
    assert "[[lora]] and LoRA inside a fence" in page and "data-glossary-ref" not in page
    heading = re.search(r"<h2[^>]*>(.*?)</h2>", page, re.S).group(1)
    assert "concepts/lora" not in heading


def test_mentioned_in_lists_the_pages_that_link_a_concept(site):
    page = article(read(site, "concepts/lora"))
    section = page[page.index('id="mentioned-in"') :]
    items = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', section)
    assert items[0] == ("../../guide/", "Guide")  # hand-written pages first
    assert {("../fine-tuning/", "Fine-tuning"), ("../matrix-rank/", "Matrix rank")} <= set(items)
    assert ("./", "LoRA (Low-Rank Adaptation)") not in items


def test_mentioned_in_shows_a_dozen_pages_and_counts_the_rest(tmp_path):
    root = tmp_path / "g"
    config = write_site_glossary(root, missing=False)
    for i in range(15):
        title = f"Adapter topic {i:02d}"  # before every other title: the related concepts still come first
        write_yaml(
            root / "concepts" / f"topic-{i:02d}.yaml",
            {"title": title, "summary": f"{title} for tests.", "definition": f"{title} builds on LoRA.", "draft": True},
        )
    page = article(read(build(config, tmp_path / "site"), "concepts/lora"))
    section = page[page.index('id="mentioned-in"') :]
    items = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', section)
    # the hand-written guide, then the concept LoRA names as related, then the rest by title
    assert [title for _, title in items] == ["Guide", "Fine-tuning", "Matrix rank"] + [
        f"Adapter topic {i:02d}" for i in range(9)
    ]
    assert '<li class="glossary-mentioned-more">and 6 more</li>' in section


def test_links_per_text_caps_the_concepts_each_text_links(site, tmp_path):
    def links_per_text(page: str) -> list[int]:
        texts = re.findall(r'<div class="glossary-(?:explanation|definition)".*?</div>', article(page), re.S)
        return [len(re.findall(r'<a href="[^"]*" title="', text)) for text in texts]

    capped = build(write_site_glossary(tmp_path / "g", plugin={"links_per_text": 1}), tmp_path / "site")
    assert max(links_per_text(read(site, "concepts/lora"))) >= 2  # the default (8) leaves them all
    assert max(links_per_text(read(capped, "concepts/lora"))) == 1
    none = build(write_site_glossary(tmp_path / "h", plugin={"links_per_text": 0}), tmp_path / "none")
    assert links_per_text(read(none, "concepts/lora")) and max(links_per_text(read(none, "concepts/lora"))) == 0


def test_an_unknown_reference_fails_a_strict_build_naming_page_and_line(tmp_path):
    from generator.cli.main import main

    guide = "---\ntitle: Guide\n---\n\n# Guide\n\nFine: [[lora]].\nBroken: [[no-such-concept]] and [[Matrx rank|x]].\n"
    config = write_site_glossary(tmp_path / "g", missing=False, guide=guide)
    result = CliRunner().invoke(main, ["build", "--strict", "-f", str(config), "--site-dir", str(tmp_path / "site")])
    assert result.exit_code == 1, result.output
    assert "docs/guide.md:8: [[no-such-concept]] names no concept" in result.output
    assert (
        "docs/guide.md:8: [[Matrx rank]] names no concept" in result.output
        and "did you mean [[matrix-rank]]" in result.output
    )
    site = build(config, tmp_path / "loose")  # without --strict: a warning, and the text stays as written
    assert "[[no-such-concept]]" in read(site, "guide")


def test_a_to_z_has_a_letter_bar_and_aliases_as_cross_references(site):
    page = article(read(site, "concepts"))
    bar = re.search(r'<p aria-label="Initials" class="glossary-letters">(.*?)</p>', page, re.S).group(1)
    letters = re.findall(r'<a href="#(letter-\d+)">([^<]+)</a>', bar)
    assert [letter for _, letter in letters] == ["A", "F", "L", "M", "R"]
    for anchor, _ in letters:
        assert f'id="{anchor}"' in page
    assert '<li><em>rank</em>, see <a href="matrix-rank/">Matrix rank</a></li>' in page
    assert "<em>fine-tune</em>" not in page and "<em>LoRA</em>" not in page  # next to their title anyway
    assert 'data-glossary-persona="Child"' in page  # "Read the whole glossary as" remembers the choice


def test_tags_have_readable_labels(site):
    page = read(site, "concepts/lora")
    tags = re.findall(r'<span class="md-tag">([^<]+)</span>', page) or re.findall(r'class="md-tag[^"]*">([^<]+)<', page)
    assert "Fine-tuning" in tags and "Linear algebra" in tags  # a concept's title, else the slug in words
    assert "linear-algebra" not in tags


def test_concept_pages_carry_defined_term_json_ld(site):
    for slug in PUBLISHED:
        [data] = json_ld(read(site, f"concepts/{slug}"))
        assert data["@type"] == "DefinedTerm" and data["@context"] == "https://schema.org"
        assert data["name"] == SITE_CONCEPTS[slug]["title"] and data["description"] == SITE_CONCEPTS[slug]["summary"]
        assert data["url"] == f"https://example.org/test-glossary/concepts/{slug}/"
        term_set = data["inDefinedTermSet"]
        assert (
            term_set["@type"] == "DefinedTermSet" and term_set["url"] == "https://example.org/test-glossary/concepts/"
        )
    assert json_ld(read(site, "concepts/lora"))[0]["alternateName"] == ["LoRA", "Low-Rank Adaptation"]


def test_json_ld_cannot_end_its_script(tmp_path):
    root = tmp_path / "g"
    config = write_site_glossary(root, missing=False)
    edit_concept(root, "lora", summary=HOSTILE, aliases=[HOSTILE])
    page = read(build(config, tmp_path / "site"), "concepts/lora")
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(scripts) == 1 and "<" not in scripts[0] and "&" not in scripts[0]
    assert json.loads(scripts[0])["description"] == HOSTILE


def test_glossary_json_lists_every_published_concept_with_each_readers_gist(site):
    data = json.loads((site / "glossary.json").read_text(encoding="utf-8"))
    assert [c["slug"] for c in data["concepts"]] == ["fine-tuning", "lora", "matrix-rank"]  # no draft, A to Z
    lora = next(c for c in data["concepts"] if c["slug"] == "lora")
    assert lora["aliases"] == SITE_CONCEPTS["lora"]["aliases"] and lora["summary"] == SITE_CONCEPTS["lora"]["summary"]
    readers = {r["persona"]: r for r in lora["readers"]}
    assert list(readers) == ORDER
    assert readers["child"]["gist"] == SITE_GISTS["lora", "child"] and readers["physicist"]["gist"] is None
    assert readers["child"]["url"] == "https://example.org/test-glossary/concepts/lora/#child"
    assert readers["child"]["markdown"] == "https://example.org/test-glossary/concepts/lora/index.md"
    fine_tuning = next(c for c in data["concepts"] if c["slug"] == "fine-tuning")
    assert [r["persona"] for r in fine_tuning["readers"]] == ["child", "physicist"]  # the lawyer's text is missing


def test_llms_txt_links_plain_markdown_of_each_readers_text(site):
    text = (site / "llms.txt").read_text(encoding="utf-8")
    assert text.startswith("# Test Glossary\n")
    for slug in PUBLISHED:
        assert f"## {SITE_CONCEPTS[slug]['title']}" in text.replace("\\", "")
    assert (
        "- [LoRA (Low-Rank Adaptation), for: Child](https://example.org/test-glossary/concepts/lora/index.md)" in text
    )
    assert "Attention" not in text and not (site / "concepts" / "attention" / "index.md").exists()  # a draft
    plain = (site / "concepts" / "lora" / "index.md").read_text(encoding="utf-8")
    assert plain.startswith(f"# LoRA (Low-Rank Adaptation)\n\n> {SITE_CONCEPTS['lora']['summary']}\n")
    sections = plain.split("\n## ")[1:]
    assert [s.split("\n")[0] for s in sections] == [f"LoRA (Low-Rank Adaptation), for: {NAMES[p]}" for p in ORDER]
    lawyer = sections[ORDER.index("lawyer")]
    assert lawyer.split("\n", 2)[2].startswith("> An amending Act, &lt;b&gt;not&lt;/b&gt;")
    assert "<script" not in lawyer and '&lt;script>alert("owned")' in lawyer  # the text's raw HTML is inert
    assert "`r < min(d, k)`" in lawyer  # code keeps its characters
    assert "amending Act" in lawyer and "Page: <https://example.org/test-glossary/concepts/lora/#lawyer>" in lawyer
    assert not list((site / "concepts" / "lora").glob("*.md"))[1:]  # one file per concept


def test_whats_new_page_and_atom_feed(tmp_path):
    config = write_site_glossary(tmp_path / "g")
    for concept, persona, date in (("lora", "child", "2026-11-28"), ("matrix-rank", "lawyer", "2026-11-20")):
        path = tmp_path / "g" / "concepts" / concept / f"{persona}.md"
        path.write_text(path.read_text().replace("source: curated\n", f"source: curated\nreviewed: '{date}'\n"))
    site = build(config, tmp_path / "site")
    page = article(read(site, "whats-new"))
    assert page.index("2026-11-28") < page.index("2026-11-20")
    assert re.search(r'<a href="../concepts/lora/">LoRA \(Low-Rank Adaptation\)</a>.*?\(for Child\)', page, re.S)
    feed = ElementTree.parse(site / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == ["LoRA (Low-Rank Adaptation)", "Matrix rank"]
    assert entries[0].find("a:updated", ns).text == "2026-11-28T00:00:00Z"
    assert entries[0].find("a:link", ns).get("href") == "https://example.org/test-glossary/concepts/lora/"
    assert 'type="application/atom+xml" href="../../feed.xml"' in read(site, "concepts/lora")  # relative: see plugin
