"""A site in two languages in a browser (issue 16): the switch, Japanese search, tabs on a phone."""

from __future__ import annotations

import re

import pytest
from kit import REPO, build, make_bilingual_glossary, serve, site_path
from test_browser import ARGS, BROWSER, Watch, browser, sync_api  # noqa: F401 - the browser fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(BROWSER).exists(), reason=f"no browser at {BROWSER}"),
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def bilingual_url(tmp_path_factory):
    pytest.importorskip("janome")
    root = tmp_path_factory.mktemp("bilingual-browser")
    config = make_bilingual_glossary(root / "glossary", explanations=True)
    with serve(build(config, root / "site")) as url:
        yield url


def test_the_switch_on_lora_leads_to_lora_in_the_other_language(browser, bilingual_url):  # noqa: F811
    w = Watch(browser, bilingual_url)
    w.goto("concepts/lora/")
    w.page.eval_on_selector("a.md-select__link[hreflang='ja']", "a => a.click()")
    w.page.wait_for_url("**/ja/concepts/lora/")
    assert w.page.inner_text("h1") == "LoRA（低ランク適応）"
    w.page.eval_on_selector("a.md-select__link[hreflang='en']", "a => a.click()")
    w.page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/concepts/lora/$"))
    assert w.page.inner_text("h1") == "LoRA (Low-Rank Adaptation)"
    assert w.errors == [] and w.foreign == []
    w.context.close()


def test_a_japanese_search_for_low_rank_finds_the_japanese_lora_page(browser, bilingual_url):  # noqa: F811
    w = Watch(browser, bilingual_url)
    w.goto("ja/")
    links = w.search("低ランク", "concepts/lora/")
    assert any("concepts/lora/" in link for link in links)
    w.page.click(".md-search-result__item > a[href*='concepts/lora/'] >> nth=0")
    w.page.wait_for_url("**/ja/concepts/lora/**")
    w.context.close()


def test_japanese_tab_labels_fit_a_phone(browser, bilingual_url):  # noqa: F811
    w = Watch(browser, bilingual_url, viewport=PHONE)
    w.goto("ja/concepts/lora/")
    fits = w.page.eval_on_selector(
        ".tabbed-labels",
        """bar => {
            const box = bar.getBoundingClientRect();
            return [...bar.querySelectorAll('label')].map(l => {
                const r = l.getBoundingClientRect();
                return [l.textContent, r.left >= box.left - 1 && r.right <= box.right + 1, bar.scrollWidth <= bar.clientWidth + 1];
            });
        }""",
    )
    assert [label for label, _, _ in fits] == ["物理学専攻の大学院生", "公認会計士"]
    assert all(inside and no_scroll for _, inside, no_scroll in fits), fits
    w.context.close()


@pytest.fixture(scope="module")
def example_url(tmp_path_factory):
    """The repository's own glossary, both editions, built read-only into a temporary folder."""
    pytest.importorskip("janome")
    site = build(REPO / "mkdocs.yml", tmp_path_factory.mktemp("example-editions") / "site")
    with serve(site, site_path(REPO / "mkdocs.yml")) as url:
        yield url


def test_example_japanese_lora_has_the_four_readers_and_the_switch_leads_back(browser, example_url):  # noqa: F811
    w = Watch(browser, example_url)
    w.goto("concepts/lora/")
    w.page.eval_on_selector("a.md-select__link[hreflang='ja']", "a => a.click()")
    w.page.wait_for_url("**/ja/concepts/lora/")
    labels = w.page.eval_on_selector_all(".tabbed-labels > label", "ls => ls.map(l => l.textContent.trim())")
    assert labels == ["小学生", "物理学専攻の大学院生", "法曹", "公認会計士"]
    assert w.page.locator(".glossary-explanation").count() == 4
    assert "メンテナーが執筆" in w.page.inner_text(".glossary-provenance >> nth=0")
    w.page.eval_on_selector("a.md-select__link[hreflang='en']", "a => a.click()")
    w.page.wait_for_url(re.compile(r"/tailored-glossary/concepts/lora/$"))
    assert w.errors == [] and w.foreign == []
    w.context.close()


def test_example_japanese_search_for_low_rank_finds_japanese_lora(browser, example_url):  # noqa: F811
    w = Watch(browser, example_url)
    w.goto("ja/")
    links = w.search("低ランク", "concepts/lora/")
    assert any("/ja/concepts/lora/" in link for link in links), links
    w.page.click(".md-search-result__item > a[href*='concepts/lora/'] >> nth=0")
    w.page.wait_for_url("**/ja/concepts/lora/**")
    assert "LoRA（低ランク適応）" in w.page.inner_text("h1")
    w.context.close()


def test_example_japanese_tab_labels_fit_a_phone(browser, example_url):  # noqa: F811
    w = Watch(browser, example_url, viewport=PHONE)
    w.goto("ja/concepts/lora/")
    fits = w.page.eval_on_selector(
        ".tabbed-labels",
        """bar => {
            const box = bar.getBoundingClientRect();
            return [...bar.querySelectorAll('label')].map(l => {
                const r = l.getBoundingClientRect();
                return [l.textContent.trim(), r.left >= box.left - 1 && r.right <= box.right + 1];
            }).concat([["no scrolling", bar.scrollWidth <= bar.clientWidth + 1]]);
        }""",
    )
    assert all(inside for _, inside in fits), fits
    w.context.close()
