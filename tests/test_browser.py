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
    SITE_GISTS,
    SITE_PERSONAS,
    UNIQUE_PHYSICS_WORD,
    build,
    copy_ja_fixture,
    serve,
    site_path,
    write_site_glossary,
)
from playwright.sync_api import expect

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
ORDER = sorted(SITE_PERSONAS, key=lambda slug: SITE_PERSONAS[slug]["order"])
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


def test_a_search_result_names_its_reader_and_opens_that_readers_tab(watch, en_site):
    w = watch(en_site)
    w.goto("concepts/matrix-rank/")
    w.page.click("label[for=child]")  # the reader's choice so far
    w.goto("")
    links = w.search(UNIQUE_PHYSICS_WORD, "concepts/lora/")
    assert [link for link in links if "concepts/" in link] == [
        f"{en_site}concepts/lora/?h=",  # the page itself, always shown above its sections
        f"{en_site}concepts/lora/?h={UNIQUE_PHYSICS_WORD}#physicist",  # the physicist's text, and only it
    ]
    result = w.page.locator(".md-search-result__link[href$='#physicist'] [data-glossary-reader]")
    shown = result.evaluate("el => getComputedStyle(el, '::after').content")
    assert shown == '"for: Physicist"'  # the result names its reader
    w.page.click(".md-search-result__link[href$='#physicist']")
    w.page.wait_for_url(f"**/concepts/lora/?h={UNIQUE_PHYSICS_WORD}#physicist")
    w.page.wait_for_selector(".glossary-explanation[data-persona=physicist] mark[data-md-highlight]", state="visible")
    assert w.checked() == "physicist"
    assert w.stored_choice()[0] == "Physicist"  # choosing the physicist's result chose the physicist
    w.goto("concepts/fine-tuning/")
    assert w.checked() == "physicist"


def test_searching_a_readers_name_does_not_list_every_concept(watch, en_site):
    w = watch(en_site)
    w.goto("")
    links = w.search("physicist", "for/physicist/")
    assert not [link for link in links if re.search(r"/concepts/[^/?#]+/", link)]  # no concept's text says "physicist"
    assert links[0].startswith(f"{en_site}for/physicist/")


def test_the_reader_stays_from_a_persona_page_through_a_link_in_the_text_and_a_reload(watch, en_site):
    w = watch(en_site)
    w.goto("for/child/")
    w.page.click("a[href$='concepts/lora/#child']")
    w.page.wait_for_url("**/concepts/lora/#child")
    assert w.checked() == "child"
    w.page.click(".glossary-explanation[data-persona=child] a[href*='/concepts/fine-tuning/']")
    w.page.wait_for_url("**/concepts/fine-tuning/#child")
    assert w.checked() == "child" and w.page.is_visible(".glossary-explanation[data-persona=child]")
    w.page.reload()
    w.page.wait_for_load_state("networkidle")
    assert w.checked() == "child"
    w.goto("concepts/matrix-rank/")  # no reader in the address: the stored choice
    assert w.checked() == "child" and w.stored_choice()[0] == "Child"
    w.goto("concepts/lora/#physicist")  # a shared link to the physicist's text
    assert w.checked() == "physicist" and w.stored_choice()[0] == "Physicist"
    w.goto("concepts/")
    w.page.click(".glossary-for-all a[data-glossary-persona=Lawyer]")  # "Read the whole glossary as"
    w.page.wait_for_url("**/for/lawyer/")
    w.goto("concepts/matrix-rank/")
    assert w.checked() == "lawyer"


def test_every_reader_is_on_screen_at_phone_width_and_the_choice_is_marked(watch, en_site):
    w = watch(en_site, viewport=PHONE)
    w.goto("concepts/lora/")
    boxes = w.page.eval_on_selector_all(
        ".glossary-tabs > .tabbed-labels > label",
        "els => els.map(el => { const r = el.getBoundingClientRect(); return [el.innerText.trim(), r.left, r.right, r.top] })",
    )
    assert [name for name, *_ in boxes] == [SITE_PERSONAS[p]["name"] for p in ORDER]
    assert all(left >= 0 and right <= PHONE["width"] and top < PHONE["height"] for _, left, right, top in boxes), boxes
    assert (
        w.page.evaluate("() => document.querySelector('.glossary-tabs > .tabbed-labels').scrollWidth") <= PHONE["width"]
    )
    chosen = w.page.eval_on_selector("label[for=lawyer]", "el => getComputedStyle(el).backgroundColor")
    other = w.page.eval_on_selector("label[for=child]", "el => getComputedStyle(el).backgroundColor")
    assert chosen != other  # the reader being read is filled
    assert w.page.inner_text(".glossary-chooser").startswith("Reading as:")


def test_tooltips_are_readable_in_both_schemes(watch, en_site):
    for scheme in ("light", "dark"):
        w = watch(en_site, color_scheme=scheme)
        w.goto("concepts/lora/")
        w.page.click("label[for=child]")
        w.page.locator(".glossary-explanation[data-persona=child] a[href*='/concepts/fine-tuning/']").first.hover()
        tooltip = w.page.locator(".md-tooltip2--active .md-tooltip2__inner")
        tooltip.wait_for(state="visible")
        assert SITE_GISTS["fine-tuning", "child"] in tooltip.inner_text()  # the child's gist, not the summary
        style = tooltip.evaluate(
            "el => { const s = getComputedStyle(el); return [parseFloat(s.fontSize), s.fontWeight, s.backgroundColor, s.borderTopWidth] }"
        )
        page_background = w.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert style[0] >= 13 and style[1] == "400", (scheme, style)
        assert float(style[3].rstrip("px")) > 0, (scheme, style)  # a border in both schemes
        if scheme == "dark":
            assert style[2] != page_background, (style, page_background)  # Material's equals the page's


def test_a_first_tap_previews_a_link_and_a_second_follows_it(watch, en_site):
    w = watch(en_site, viewport=PHONE, has_touch=True, is_mobile=True)
    w.goto("concepts/lora/")
    mention = w.page.locator(".glossary-explanation[data-persona=lawyer] a[href*='/concepts/matrix-rank/']").first
    mention.tap()
    w.page.locator(".md-tooltip2--active").wait_for(state="visible")
    assert w.page.url.endswith("/concepts/lora/")  # previewed, not followed
    mention.tap()
    w.page.wait_for_url("**/concepts/matrix-rank/#lawyer")


def test_copy_link_compare_and_print(watch, en_site):
    w = watch(en_site)
    w.goto("concepts/lora/?h=x#child")
    button = w.page.locator(".glossary-explanation[data-persona=child] .glossary-copy-link")
    assert button.get_attribute("data-clipboard-text") == f"{en_site}concepts/lora/#child"
    button.click()
    w.page.locator(".md-dialog--active").wait_for(state="visible")  # Material's "Copied to clipboard"
    w.page.click(".glossary-compare > summary")
    w.page.select_option(".glossary-compare-b", "physicist")
    panes = w.page.locator(".glossary-compare-pane")
    # glossary.js fills the panes when the panel opens and when a menu changes: wait for both texts
    expect(panes.nth(0)).to_contain_text("sticker")
    expect(panes.nth(1)).to_contain_text(UNIQUE_PHYSICS_WORD)
    assert panes.nth(0).inner_text().startswith("Child") and "sticker" in panes.nth(0).inner_text()
    assert panes.nth(1).inner_text().startswith("Physicist") and UNIQUE_PHYSICS_WORD in panes.nth(1).inner_text()
    assert panes.nth(0).bounding_box()["y"] == panes.nth(1).bounding_box()["y"]  # side by side on a desktop
    w.page.emulate_media(media="print")
    shown = w.page.eval_on_selector_all(
        ".glossary-tabs > .tabbed-content > .tabbed-block", "els => els.map(el => getComputedStyle(el).display)"
    )
    assert shown == ["block", "none", "none"]  # only the reader on screen
    assert not w.page.is_visible(".glossary-tabs > .tabbed-labels") and not w.page.is_visible(".glossary-compare")


def test_a_to_z_letter_bar_jumps_to_its_letter(watch, en_site):
    w = watch(en_site, viewport=PHONE)
    w.goto("concepts/")
    w.page.click(".glossary-letters a:text-is('M')")
    w.page.wait_for_function("() => location.hash === '#letter-4'")
    top = w.page.eval_on_selector("#letter-4", "el => el.getBoundingClientRect().top")
    assert w.page.evaluate("() => window.scrollY") > 0 and 0 <= top < PHONE["height"]


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
        ".glossary-explanation[data-persona=child] a[href$='/concepts/fine-tuning/#child']"
    ).first  # Material lifts the title while its tooltip shows
    mention.hover()
    tooltip = w.page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    assert SITE_GISTS["fine-tuning", "child"] in tooltip.inner_text()  # the child's gist of fine-tuning
    assert mention.evaluate("el => getComputedStyle(el).textDecorationStyle") == "dotted"  # still marked while hovered
    mention.click()
    w.page.wait_for_url("**/concepts/fine-tuning/#child")
    assert w.page.inner_text("h1").startswith("Fine-tuning")


def test_a_mention_whose_summary_the_page_wrote_once_still_shows_it(watch, en_site):
    """The HTML carries a tooltip on the first link to each target only; glossary.js fills the others."""
    w = watch(en_site)
    served = w.context.request.get(en_site + "concepts/lora/").text()
    assert '<a href="../fine-tuning/" title="">' in served  # a key fact's link, before any script
    w.goto("concepts/lora/")
    mention = w.page.locator(".glossary-facts a[href$='/concepts/fine-tuning/']").first
    mention.hover()
    tooltip = w.page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    assert SITE_CONCEPTS["fine-tuning"]["summary"] in tooltip.inner_text()
    w.page.mouse.move(0, 0)
    w.page.click("#related-concepts ~ ul a[href$='/concepts/fine-tuning/']")  # instant navigation: no new page load
    w.page.wait_for_url("**/concepts/fine-tuning/")
    assert w.checked() == "lawyer"
    mention = w.page.locator(
        "[data-persona=lawyer] a[title][href$='/concepts/lora/#lawyer']"
    )  # the "not yet written" note
    mention.hover()
    tooltip = w.page.locator(".md-tooltip2--active")
    tooltip.wait_for(state="visible")
    assert SITE_GISTS["lora", "lawyer"] in tooltip.inner_text()  # the lawyer's gist, its markup shown as text
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
    w.page.click(".md-search-result__item a[href*='concepts/lora/'][href*='#']")  # one reader's text
    w.page.wait_for_url("**/concepts/lora/?h=*#*")
    mark = w.page.locator(".tabbed-block mark[data-md-highlight]").first
    mark.wait_for(state="visible")
    assert mark.inner_text() == "言語モデル"


def test_japanese_mention_next_to_japanese_text_shows_its_tooltip(watch, ja_site):
    w = watch(ja_site)
    w.goto("concepts/fine-tuning/")
    w.page.click("label[for=lawyer]")
    mention = w.page.locator(
        ".glossary-explanation[data-persona=lawyer] a[title][href$='/concepts/lora/#lawyer']"
    ).first
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
