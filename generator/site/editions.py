"""One MkDocs build per language: `site/` in the source language, `site/<lang>/` for each other one.

Why not mkdocs-static-i18n: it rebuilds the site once per language from inside its own hooks and
decides each page's language from its file name (`index.ja.md`), after every plugin's `on_files`.
The concept, A to Z, tag and reader pages this plugin adds are written in `on_files` from a glossary
that is itself localised per language (titles, personas, texts), so the plugin has to know the
language of the build it is in before it writes a single page, and static-i18n's switching of the
current language is internal to it. Here the plugin owns the loop instead: the source-language build,
when it has finished, builds every other language with the same mkdocs.yml, its own plugin
instances, `site_dir` + `<lang>/`, `site_url` + `<lang>/` and the theme in that language. `mkdocs
build`, `mkdocs serve` and `glossary build` all get every edition; the search index, the tags pages
and the sitemap of each edition are its own. Hand-written pages follow static-i18n's suffix
convention: `docs/about.ja.md` is the Japanese `about.md`; a page without one shows the source.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

from generator.errors import GlossaryError
from generator.settings import Settings

log = get_plugin_logger(__name__)

# What the language switch calls each language, in that language.
LANGUAGE_LABELS = {
    "en": "English",
    "ja": "日本語",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "zh": "中文",
    "ko": "한국어",
    "pt": "Português",
    "it": "Italiano",
}
_SUFFIXED = re.compile(r"^(?P<base>.+)\.(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.md$")
_SWITCH_LINK = re.compile(r'<a href="[^"]*" hreflang="(?P<lang>[^"]+)" class="md-select__link">')


def configure(config: MkDocsConfig, settings: Settings) -> None:
    """The theme, names, URL and language switch of the edition in settings.language."""
    language, source = settings.language, settings.source_language
    config.theme["language"] = language
    names = settings.editions.get(language) or {}
    if names.get("site_name"):
        config.site_name = str(names["site_name"])
    if names.get("site_description"):
        config.site_description = str(names["site_description"])
    if language != source and config.site_url:
        config.site_url = config.site_url.rstrip("/") + f"/{language}/"
    up = "" if language == source else "../"
    config.extra["alternate"] = [
        {
            "name": str((settings.editions.get(code) or {}).get("label") or LANGUAGE_LABELS.get(code, code)),
            "link": (up + ("" if code == source else f"{code}/")) or "./",
            "lang": code,
        }
        for code in settings.all_languages
    ]


def localise_files(files: Files, config: MkDocsConfig, settings: Settings) -> set[str]:
    """Hand-written pages of this edition: `x.<lang>.md` stands in for `x.md`, other languages' go.

    Returns the pages now written in this edition's language."""
    language = settings.language
    localised: set[str] = set()
    for file in list(files):
        match = _SUFFIXED.match(file.src_uri)
        if match is None or match["lang"] not in settings.all_languages:
            continue
        files.remove(file)
        if match["lang"] != language:
            continue
        uri = f"{match['base']}.md"
        original = files.get_file_from_path(uri)
        if original is not None:
            files.remove(original)
        files.append(File.generated(config, uri, abs_src_path=file.abs_src_path, inclusion=file.inclusion))
        localised.add(uri)
    return localised


def localise_nav(nav: Navigation, own_titles: set[str]) -> None:
    """Nav entries of pages written in this edition's language take their title from the page (its
    front matter or first heading), not from mkdocs.yml's `nav:`, which names them in the source language."""
    for item in _walk(nav.items):
        if isinstance(item, Page) and item.file.src_uri in own_titles:
            item.__dict__.pop("title", None)  # Page.title is a weak_property: the page's own title shows again


def _walk(items):
    for item in items:
        yield item
        if isinstance(item, Section):
            yield from _walk(item.children)


def switch_links(output: str, page: Page, settings: Settings) -> str:
    """The language switch of one page leads to the same page in each other language.

    `target="_self"`: Material's own switch handling (a sitemap lookup that falls back to the other
    edition's home page when the site is not served from its site_url) leaves such links alone."""
    source = settings.source_language
    depth = page.url.count("/")
    here = "../" * depth + ("" if settings.language == source else "../")

    def link(match: re.Match) -> str:
        code = match["lang"]
        href = here + ("" if code == source else f"{code}/") + page.url
        return f'<a href="{href or "./"}" hreflang="{code}" class="md-select__link" target="_self">'

    return _SWITCH_LINK.sub(link, output)


def build_others(config: MkDocsConfig, settings: Settings) -> None:
    """After the source-language build: one build per other language, into site_dir/<lang>/."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    for language in settings.all_languages[1:]:
        site_dir = os.path.join(config.site_dir, language)
        try:
            other = load_config(config.config_file_path, site_dir=site_dir, strict=config.strict)
            plugin = other.plugins["glossary"]  # under `mkdocs serve`, the one plugin object of the session
            plugin.edition = language
            try:
                build(other, dirty=False)
            finally:
                plugin.edition = None
        except (Abort, MkDocsException) as exc:
            raise GlossaryError(f"the {language!r} edition did not build: {exc}") from None
        log.info("the %r edition is in %s", language, Path(site_dir))
