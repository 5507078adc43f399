"""Issue 13, done-when: a site built from a glossary whose every text field holds an attack string runs
no script in headless Chromium: no dialog, no event-handler attribute and no javascript: URL on any page,
search results included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from attacks import write_hostile_glossary
from kit import build, serve, site_path

BROWSER = os.environ.get("GLOSSARY_BROWSER", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(BROWSER).exists() and not os.environ.get("CI"), reason=f"no browser at {BROWSER}"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")

# Every attribute of every element: a handler (on...) or a URL that runs script is a finding.
FINDINGS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const name of el.getAttributeNames()) {
      const value = (el.getAttribute(name) || '').replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase();
      if (name.toLowerCase().startsWith('on')) found.push(`${el.tagName} ${name}=${value}`);
      if (/^(javascript|vbscript|data):/.test(value)) found.push(`${el.tagName} ${name}=${value}`);
    }
    // JSON-LD (site/machine.py) quotes the attack strings as data, and the browser never runs it
    const data = el.tagName === 'SCRIPT' && el.type === 'application/ld+json' && !/[<>]/.test(el.textContent);
    if (el.tagName === 'SCRIPT' && !data && el.textContent.includes('alert(')) found.push('SCRIPT ' + el.textContent.slice(0, 60));
  }
  return found;
}"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    config = write_hostile_glossary(root / "glossary")
    site = build(config, root / "site", strict=True)
    with serve(site, site_path(config)) as url:
        yield url, site


@pytest.fixture(scope="module")
def page(hostile):
    url, _ = hostile
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER, args=ARGS)
        context = browser.new_context()
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        yield page
        browser.close()


def test_no_page_runs_an_attack_string(hostile, page):
    url, site = hostile
    visited = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert {"index.html", "concepts/alpha/index.html", "for/reader/index.html", "concepts/index.html"} <= set(visited)
    findings = []
    for relative in visited:
        page.goto(url + relative)
        page.wait_for_load_state("load")
        for element in page.query_selector_all("article h1, article label, article li a")[:20]:
            try:
                element.hover(timeout=100)  # onmouseover, had one got through
            except sync_api.Error:
                pass
        findings += [f"{relative}: {finding}" for finding in page.evaluate(FINDINGS)]
    assert page.dialogs == [] and findings == []


def test_search_results_for_attack_strings_run_nothing(hostile, page):
    url, _ = hostile
    page.goto(url)
    page.focus("input.md-search__input")
    page.keyboard.insert_text("alpha")
    page.keyboard.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    # every image of the results has loaded or failed (an onerror would have run by then), and a frame later
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done)))")
    assert page.dialogs == [] and page.evaluate(FINDINGS) == []
