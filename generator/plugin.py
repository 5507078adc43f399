"""The MkDocs plugin: adds concept pages from the committed text. It never calls a model."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from . import pages
from .concepts import Glossary, load_glossary
from .config import PluginConfig, Settings, settings_from_plugin
from .errors import InputError
from .sanitize import clean_markdown, render_markdown
from .status import MISSING, REVIEW, STALE, glossary_status
from .store import Store

log = get_plugin_logger(__name__)

REQUIRED_EXTENSIONS = {
    "attr_list": {},
    "md_in_html": {},
    "admonition": {},
    "pymdownx.superfences": {},
    "pymdownx.tabbed": {"alternate_style": True},
}
REQUIRED_FEATURES = ("content.tabs.link", "content.tooltips")


class GlossaryPlugin(BasePlugin[PluginConfig]):
    """Turns concepts/*.yaml, personas/*.yaml and concepts/<slug>/<persona>.md into pages."""

    supports_multiple_instances = False

    def __init__(self):
        self.site: Settings | None = None
        self.glossary: Glossary | None = None
        self.concept_pages: dict[str, pages.ConceptPage] = {}
        self.nonce = secrets.token_hex(6)

    def settings_for(self, config_file: Path, repo_url: str | None) -> Settings:
        """The site's settings, for the CLI, which loads mkdocs.yml without building."""
        return settings_from_plugin(self.config, config_file, repo_url)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        settings = self.site = settings_from_plugin(self.config, Path(config.config_file_path), config.repo_url)
        try:
            self.glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
        except InputError as exc:
            raise PluginError(exc.message) from None
        self._require_extensions(config)
        features = config.theme.setdefault("features", [])
        features.extend(f for f in REQUIRED_FEATURES if f not in features)
        return config

    def _require_extensions(self, config: MkDocsConfig) -> None:
        for name, options in REQUIRED_EXTENSIONS.items():
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
            merged = {**options, **config.mdx_configs.get(name, {})}
            if name == "pymdownx.tabbed":
                merged["slugify"] = self._tab_slug
                merged["alternate_style"] = True
            config.mdx_configs[name] = merged

    def _tab_slug(self, text: str, sep: str) -> str:
        """Tab anchors are persona slugs (`#physicist`), stable whatever the label says."""
        for persona in self.glossary.personas.values() if self.glossary else []:
            if persona.name.replace('"', "'") == text:
                return persona.slug
        return re.sub(r"[^\w]+", sep, text.lower()).strip(sep)

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        settings, glossary = self.site, self.glossary
        store = Store(settings.concepts_path)
        by_pair: dict[str, dict] = {}
        pending = []
        for status in glossary_status(glossary, settings, store):
            by_pair.setdefault(status.concept, {})[status.persona] = status
            if status.state == MISSING:
                pending.append(f"{status.concept}/{status.persona}")
            elif status.state in (STALE, REVIEW):
                log.info("%s/%s is %s", status.concept, status.persona, status.describe())
        self.concept_pages = {}
        for concept in glossary.concepts.values():
            page = pages.concept_page(glossary, concept, by_pair.get(concept.slug, {}), settings.language, self.nonce)
            uri = f"concepts/{concept.slug}.md"
            self.concept_pages[uri] = page
            self._add(files, config, uri, page.markdown, InclusionLevel.NOT_IN_NAV)
        self._add(files, config, "concepts/index.md", pages.az_index(glossary, settings.language))
        self._add(files, config, "tags.md", pages.tags_page(settings.language))
        if pending:
            log.warning("%d explanation(s) not yet written (run `glossary generate`): %s", len(pending), ", ".join(pending[:20]) + (" ..." if len(pending) > 20 else ""))
        return files

    @staticmethod
    def _add(files: Files, config: MkDocsConfig, uri: str, content: str, inclusion: InclusionLevel = InclusionLevel.UNDEFINED) -> None:
        if files.get_file_from_path(uri) is not None:
            return  # a hand-written page in docs/ wins
        files.append(File.generated(config, uri, content=content, inclusion=inclusion))

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        concept_page = self.concept_pages.get(page.file.src_uri)
        if concept_page is None:
            return html
        for index, fragment in enumerate(concept_page.fragments):
            rendered = self._render(fragment, page)
            html = html.replace(f"<p>{pages.placeholder(self.nonce, index)}</p>", rendered, 1)
        return html

    def _render(self, fragment: pages.Fragment, page: Page) -> str:
        language = self.site.language
        body = render_markdown(clean_markdown(fragment.markdown))
        if fragment.kind == "explanation":
            line = pages.provenance(fragment.explanation, language)
            return f'<div class="glossary-explanation" data-persona="{fragment.persona}">{body}<p class="glossary-provenance">{line}</p></div>'
        if fragment.kind == "missing":
            title = pages.strings(language)["not_written"]
            return f'<div class="admonition note glossary-missing"><p class="admonition-title">{title}</p>{body}</div>'
        return f'<div class="glossary-{fragment.kind}">{body}</div>'

    def on_serve(self, server, config: MkDocsConfig, builder):
        settings = self.site
        for path in (settings.concepts_path, settings.personas_path):
            if path.exists():
                server.watch(str(path))
        return server
