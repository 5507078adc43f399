"""The reader's experience in headless Chromium (Debian's package, driven by Playwright's Python API).

The browser comes from GLOSSARY_BROWSER (default /usr/bin/chromium); Playwright never downloads one.
Each site is built into a temporary folder and served on 127.0.0.1; every request the pages make is
recorded, and any to another host is refused and fails the test.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from kit import (
    REPO,
    SITE_CONCEPTS,
    UNIQUE_PHYSICS_WORD,
    build,
    copy_ja_fixture,
    serve,
    site_path,
    write_site_glossary,
)

BROWSER = os.environ.get("GLOSSARY_BROWSER", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The page has painted a frame after load and run the tasks queued by then (instead of a fixed pause).
SETTLED = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done)))"
NO_ANIMATION = "() => document.getAnimations().every(a => a.playState !== 'running')"

pytestmark = [
    pytest.mark.browser,
    # CI installs the browser, so there a missing one is a failure, not a skip.
    pytest.mark.skipif(
        not Path(BROWSER).exists() and not os.environ.get("CI"),
        reason=f"no browser at {BROWSER} (install Debian's chromium or set GLOSSARY_BROWSER)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=BROWSER, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def en_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("en")
    config = write_site_glossary(root / "glossary")
    with serve(build(config, root / "site"), site_path(config)) as url:
        yield url


@pytest.fixture(scope="module")
def ja_site(tmp_path_factory):
    pytest.importorskip("janome", reason="the Japanese site needs the optional extra: pip install '.[ja]'")
    root = tmp_path_factory.mktemp("ja")
    config = copy_ja_fixture(root / "glossary")
    with serve(build(config, root / "site"), site_path(config)) as url:
        yield url


@pytest.fixture(scope="module")
def example_site(tmp_path_factory):
    """The repository's own glossary, built read-only into a temporary folder."""
    site = build(REPO / "mkdocs.yml", tmp_path_factory.mktemp("example") / "site")
    with serve(site, site_path(REPO / "mkdocs.yml")) as url:
        yield url, site


class Watch:
    """A browser context that records every request and console error of its pages."""

    def __init__(self, browser, base: str, **options):
        self.base = base
        self.requests: list[str] = []
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=options.pop("viewport", DESKTOP), **options)
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(f"console {message.type}: {message.text}") if message.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on(
            "response",
            lambda response: (
                self.errors.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
            ),
        )

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def goto(self, path: str, idle: bool = True):
        """Open a page; `idle` waits until the network is quiet (slower, for what happens after load)."""
        self.page.goto(self.base + path, wait_until="networkidle" if idle else "load")

    def checked(self) -> str:
        return self.page.eval_on_selector(".md-content .tabbed-set > input:checked", "el => el.id")

    def stored_choice(self) -> list[str]:
        return self.page.evaluate("() => __md_get('__tabs') || []")

    def search(self, query: str, expect: str):
        page = self.page
        page.focus("input.md-search__input")
        page.fill("input.md-search__input", "")
        page.keyboard.insert_text(query)
        page.keyboard.press("End")
        page.wait_for_selector(f".md-search-result__item > a[href*='{expect}']", timeout=10_000)
        return page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(e => e.getAttribute('href'))")

    def close(self):
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], self.errors
        self.context.close()


@pytest.fixture
def watch(browser):
    opened: list[Watch] = []

    def open_(base: str, **options) -> Watch:
        opened.append(Watch(browser, base, **options))
        return opened[-1]

    yield open_
    for item in opened:
        item.close()


def test_chosen_persona_persists_across_pages_and_a_reload(watch, en_site):
    w = watch(en_site)
    w.goto("concepts/lora/")
    assert w.checked() == "lawyer"  # default_persona on a first visit
    w.page.click("label[for=physicist]")
    assert w.checked() == "physicist"
    w.page.click("#related-concepts ~ ul a[href$='/concepts/matrix-rank/']")  # instant navigation
    w.page.wait_for_url("**/concepts/matrix-rank/")
    assert w.checked() == "physicist"
    assert w.page.is_visible(".glossary-explanation[data-persona=physicist]")
    w.page.reload()
    w.page.wait_for_load_state("networkidle")
    assert w.checked() == "physicist"
    w.goto("concepts/fine-tuning/")
    assert w.checked() == "physicist"
    assert w.stored_choice()[0] == "Physicist"


def test_home_page_chooser_remembers_the_reader(watch, en_site):
    w = watch(en_site)
    w.goto("")
    w.page.click("a.glossary-persona[data-glossary-persona=Child]")
    w.page.wait_for_url("**/for/child/")
    w.goto("concepts/lora/")
    assert w.checked() == "child"
    w.goto("")
    assert w.page.get_attribute("a.glossary-persona[data-glossary-persona=Child]", "aria-current") == "true"
    assert w.page.is_visible(".glossary-current-badge")
    w.goto("for/physicist/")
    w.page.click(".glossary-choose")
    assert w.page.is_visible(".glossary-chosen")
    w.goto("concepts/matrix-rank/")
    assert w.checked() == "physicist"


def test_search_opens_the_tab_holding_the_match_without_changing_the_choice(watch, en_site):
    w = watch(en_site)
    w.goto("concepts/matrix-rank/")
    w.page.click("label[for=child]")  # the reader's choice
    w.goto("")
    links = w.search(UNIQUE_PHYSICS_WORD, "concepts/lora/")
    assert links[0].endswith(f"concepts/lora/?h={UNIQUE_PHYSICS_WORD}")
    w.page.click(".md-search-result__item > a >> nth=0")
    w.page.wait_for_url(f"**/concepts/lora/?h={UNIQUE_PHYSICS_WORD}")
    w.page.wait_for_selector(".glossary-explanation[data-persona=physicist] mark[data-md-highlight]", state="visible")
    assert w.checked() == "physicist"
    assert (
        w.page.inner_text(".glossary-explanation[data-persona=physicist] mark[data-md-highlight]").lower()
        == UNIQUE_PHYSICS_WORD
    )
    assert w.stored_choice()[0] == "Child"
    w.goto("concepts/fine-tuning/")
    assert w.checked() == "child"  # other pages still open the reader's choice
    # opened directly (a full page load, as from a shared link)
    w.goto(f"concepts/lora/?h={UNIQUE_PHYSICS_WORD}")
    w.page.wait_for_selector(".glossary-explanation[data-persona=physicist] mark[data-md-highlight]", state="visible")
    assert w.checked() == "physicist" and w.stored_choice()[0] == "Child"
    # a match in the chosen tab keeps it
    w.goto("concepts/lora/?h=sticker")
    assert w.checked() == "child"


@pytest.mark.parametrize(
    ("query", "persona"), [("sticker", "child"), (UNIQUE_PHYSICS_WORD, "physicist"), ("amending", "lawyer")]
)
def test_search_index_holds_text_from_every_persona_tab(watch, en_site, query, persona):
    w = watch(en_site)
    w.goto("")
    links = w.search(query, "concepts/lora/")
    assert any("/concepts/lora/" in link for link in links)


def test_a_mention_links_to_its_concept_and_shows_its_summary(watch, en_site):
    w = watch(en_site)
    w.goto("concepts/lora/")
    w.page.click("label[for=child]")
    mention = w.page.locator(".glossary-explanation[data-persona=child] a[title]").first
    assert mention.inner_text() == "fine-tuning"
    mention = w.page.locator(
        ".glossary-explanation[data-persona=child] a[href$='/concepts/fine-tuning/']"
    ).first  # Material lifts the title while its tooltip shows
    mention.hover()
    tooltip = w.page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    assert "Training a pretrained model further on a small task-specific dataset." in tooltip.inner_text()
    assert mention.evaluate("el => getComputedStyle(el).textDecorationStyle") == "dotted"  # still marked while hovered
    mention.click()
    w.page.wait_for_url("**/concepts/fine-tuning/")
    assert w.page.inner_text("h1").startswith("Fine-tuning")


def test_a_mention_whose_summary_the_page_wrote_once_still_shows_it(watch, en_site):
    """The HTML carries a summary on a concept's first link only; glossary.js fills the others."""
    w = watch(en_site)
    served = w.context.request.get(en_site + "concepts/fine-tuning/").text()
    assert '<a href="../lora/" title="">' in served  # the lawyer's link, before any script
    w.goto("concepts/fine-tuning/")
    assert w.checked() == "lawyer"
    mention = w.page.locator("[data-persona=lawyer] a[title][href$='/concepts/lora/']")  # in the "not yet written" note
    mention.hover()
    tooltip = w.page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    assert SITE_CONCEPTS["lora"]["summary"] in tooltip.inner_text()
    w.page.mouse.move(0, 0)
    w.page.click("#related-concepts ~ ul a[href$='/concepts/lora/']")  # instant navigation: no new page load
    w.page.wait_for_url("**/concepts/lora/")
    mention = w.page.locator(".glossary-explanation[data-persona=lawyer] a[title][href$='/concepts/matrix-rank/']")
    mention.hover()
    tooltip = w.page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    assert SITE_CONCEPTS["matrix-rank"]["summary"] in tooltip.inner_text()
    assert w.errors == []


def test_tabs_are_reachable_by_keyboard(watch, en_site):
    w = watch(en_site)
    w.goto("concepts/lora/")
    for _ in range(60):
        w.page.keyboard.press("Tab")
        if w.page.evaluate("() => document.activeElement.matches('.tabbed-set > input')"):
            break
    else:
        pytest.fail("Tab never reached the reader tabs")
    assert w.page.evaluate("() => document.activeElement.id") == "lawyer"
    w.page.keyboard.press("ArrowLeft")
    assert w.checked() == "physicist"
    assert w.page.is_visible(".glossary-explanation[data-persona=physicist]")


def test_japanese_site_finds_low_rank_and_language_model(watch, ja_site):
    w = watch(ja_site)
    w.goto("")
    assert w.page.get_attribute("html", "lang") == "ja"
    links = w.search("低ランク", "concepts/lora/")
    assert any(
        "concepts/matrix-rank/" in link for link in links
    )  # 「低ランク」 and （低ランク）, which TinySegmenter cuts
    links = w.search("言語モデル", "concepts/lora/")
    assert {"lora", "fine-tuning", "matrix-rank"} <= {
        m.group(1) for m in map(lambda link: re.search(r"concepts/([^/]+)/", link), links) if m
    }
    w.search("ファインチューニング", "concepts/fine-tuning/")  # katakana only
    w.search("重み行列", "concepts/lora/")  # kanji and kana mixed
    w.search("大規模言語モデル", "concepts/lora/")
    w.search("言語モデル", "concepts/lora/")
    w.page.click(".md-search-result__item > a[href*='concepts/lora/']")
    w.page.wait_for_url("**/concepts/lora/?h=*")
    mark = w.page.locator(".tabbed-block mark[data-md-highlight]").first
    mark.wait_for(state="visible")
    assert mark.inner_text() == "言語モデル"


def test_japanese_mention_next_to_japanese_text_shows_its_tooltip(watch, ja_site):
    w = watch(ja_site)
    w.goto("concepts/fine-tuning/")
    w.page.click("label[for=lawyer]")
    mention = w.page.locator(".glossary-explanation[data-persona=lawyer] a[title][href$='/concepts/lora/']").first
    assert mention.inner_text() == "LoRA（低ランク適応）"
    mention.hover()
    tooltip = w.page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    assert "低ランクの更新だけを学習する" in tooltip.inner_text()


def _pages(site: Path) -> list[str]:
    """Every page of a built site, as paths relative to its root."""
    found = []
    for path in site.rglob("index.html"):
        rel = path.parent.relative_to(site).as_posix()
        found.append("" if rel == "." else rel + "/")
    return sorted(found) + ["404.html"]


def test_no_console_errors_and_no_request_to_another_host_on_any_page(watch, en_site, ja_site, example_site, tmp_path):
    example_url, example_dir = example_site
    for base, site in ((example_url, example_dir),):
        w = watch(base)
        pages = _pages(site)
        assert "concepts/lora/" in pages and "for/physicist/" in pages
        for path in pages:
            w.goto(path, idle=False)
            w.page.evaluate(SETTLED)
        w.page.wait_for_load_state("networkidle")
        w.search("rank", "concepts/")  # the search worker and its index load too
        assert all(
            urlsplit(url).hostname == "127.0.0.1" for url in w.requests if not url.startswith(("data:", "blob:"))
        )
        assert any("search_index.json" in url for url in w.requests)
    for base, paths in (
        (en_site, ["", "concepts/", "tags/", "concepts/lora/", "concepts/attention/", "for/child/", "404.html"]),
        (ja_site, ["", "concepts/", "tags/", "concepts/lora/", "for/accountant/"]),
    ):
        w = watch(base)
        for path in paths:
            w.goto(path, idle=False)
        w.page.wait_for_load_state("networkidle")
        w.search("lora", "concepts/lora/")


def test_screenshots_at_desktop_and_phone_width(watch, example_site, ja_site):
    ARTIFACTS.mkdir(exist_ok=True)
    base, _ = example_site
    shots = [
        ("home", base, ""),
        ("lora", base, "concepts/lora/"),
        ("for-physicist", base, "for/physicist/"),
        ("a-to-z", base, "concepts/"),
        ("ja-lora", ja_site, "concepts/lora/"),
    ]
    for size_name, viewport, scheme in (
        ("desktop", DESKTOP, "light"),
        ("phone", PHONE, "light"),
        ("desktop", DESKTOP, "dark"),
    ):
        w = watch(base, viewport=viewport, color_scheme=scheme)
        for name, site_url, path in shots if scheme == "light" else shots[:2]:
            w.base = site_url
            w.goto(path, idle=False)
            if name == "lora":
                w.page.click("label[for=physicist]")
                w.page.evaluate("() => window.scrollTo(0, 0)")
                w.page.wait_for_function(NO_ANIMATION)  # the tab indicator has slid over
            width = w.page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} scrolls sideways at {viewport['width']} px ({width} px)"
            w.page.screenshot(path=str(ARTIFACTS / f"{name}-{size_name}-{scheme}.png"))
    assert (ARTIFACTS / "lora-phone-light.png").stat().st_size > 10_000
    assert (ARTIFACTS / "lora-desktop-dark.png").is_file()
