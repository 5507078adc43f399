"""The MkDocs plugin: adds concept pages from the committed text. It never calls a model."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import quote, urlencode

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from generator import safefs
from generator.errors import ConfigError, GlossaryError, InputError
from generator.inputs import plaintext
from generator.inputs.languages import edition
from generator.inputs.load import load_glossary
from generator.inputs.schemas import Glossary
from generator.settings import PluginConfig, Settings, settings_from_plugin
from generator.site import editions, japanese, machine, pagecache, pages, preview, refs, search, search_ja
from generator.site.linker import Linker, terms_from
from generator.site.readers import ReaderHooks, gists_of, hand_written
from generator.texts.sanitize import clean_markdown, render_markdown
from generator.texts.status import BROKEN, MISSING, REVIEW, STALE, glossary_status
from generator.texts.store import Store

log = get_plugin_logger(__name__)

REQUIRED_EXTENSIONS = {
    "attr_list": {},
    "md_in_html": {},
    "admonition": {},
    "pymdownx.superfences": {},
    "pymdownx.tabbed": {"alternate_style": True},
}
REQUIRED_FEATURES = ("content.tabs.link", "content.tooltips", "content.action.edit", "search.highlight")
ASSETS = Path(__file__).parent / "assets"
ASSET_URIS = {"glossary.js": "assets/glossary/glossary.js", "glossary.css": "assets/glossary/glossary.css"}
PERSONAS_MARKER = "<!-- glossary:personas -->"


class MissingExplanations(GlossaryError):
    """A strict build with pairs that have no explanation yet.

    Not a PluginError: MkDocs would replace its message with "Aborted with a BuildError!"; a click
    error reaches both `mkdocs build --strict` and `glossary build --strict` with its message.
    """


class UnreadableExplanations(GlossaryError):
    """A strict build with explanation files that cannot be read (each named, with its line)."""


class UnsafeFiles(GlossaryError):
    """Files in docs/ that are symbolic links out of the repository: never published."""


class GlossaryPlugin(ReaderHooks, BasePlugin[PluginConfig]):
    """Turns concepts/*.yaml, personas/*.yaml and concepts/<slug>/<persona>.md into pages."""

    supports_multiple_instances = False

    def __init__(self):
        self.site: Settings | None = None
        self.glossary: Glossary | None = None
        self.concept_pages: dict[str, pages.ConceptPage] = {}
        self.linker: Linker | None = None
        self.nonce = secrets.token_hex(6)
        self.written: set[str] = set()  # pages whose Markdown this plugin wrote or added to
        self.edition: str | None = None  # the language of this build (set for every language but the source)
        self.own_titles: set[str] = set()  # pages written in this edition's language (their title wins over nav:)
        self.preview: preview.Preview | None = None  # under `mkdocs serve` only

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # With this hook MkDocs keeps one plugin object for a whole `mkdocs serve` session, and with it
        # the pages of the last build (site/preview.py).
        self.preview = preview.Preview() if preview.wanted(command) else None

    def settings_for(self, config_file: Path, repo_url: str | None) -> Settings:
        """The site's settings, for the CLI, which loads mkdocs.yml without building."""
        return settings_from_plugin(self.config, config_file, repo_url)

    @event_priority(50)  # before the search plugin reads the theme's language
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        settings = settings_from_plugin(self.config, Path(config.config_file_path), config.repo_url)
        settings = self.site = settings.for_language(self.edition or settings.source_language)
        self.written = set()
        if self.preview is not None:
            self.preview.begin(settings.language)
        try:
            loaded = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
        except InputError as exc:
            raise PluginError(exc.message) from None
        self.glossary = edition(loaded, settings.language, settings.source_language)
        if settings.default_persona and settings.default_persona not in loaded.personas:
            known = ", ".join(sorted(loaded.personas)) or "none"
            raise ConfigError(
                f"{config.config_file_path}: glossary plugin: default_persona {settings.default_persona!r} is not a persona (personas/<slug>.yaml); known: {known}"
            )
        if settings.language.split("-")[0] == "ja":
            try:
                search_ja.require_janome()
            except search_ja.JanomeMissing as exc:
                raise ConfigError(str(exc)) from None
        if settings.languages:
            editions.configure(config, settings)  # this edition's theme language, names, URL and switch
        elif settings.language != "en" and config.theme.get("language", "en") == "en":
            config.theme["language"] = settings.language  # the interface speaks the site's language
        if settings.language not in pages.STRINGS:
            log.info("the glossary's own strings have no %r translation yet: they are in English", settings.language)
        self._require_extensions(config)
        features = config.theme.setdefault("features", [])
        features.extend(f for f in REQUIRED_FEATURES if f not in features)
        for name, uri in ASSET_URIS.items():
            target = config.extra_css if name.endswith(".css") else config.extra_javascript
            if uri not in [str(item) for item in target]:
                target.append(uri)
        terms = terms_from(self.glossary)
        self.linker = self.preview.linker(terms, Linker) if self.preview is not None else Linker(terms)
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
            if text in (persona.name, pages.tab_label(persona)):
                return persona.slug
        return re.sub(r"[^\w]+", sep, text.lower()).strip(sep)

    def on_pre_build(self, config: MkDocsConfig) -> None:
        if self.preview is not None:
            self.preview.keep_concept_folders(config.site_dir)

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        settings, glossary = self.site, self.glossary
        if self.preview is not None:
            self.preview.restore_concept_folders(config.site_dir, glossary.concepts)
        self._refuse_links_out(files, config)
        self.own_titles = editions.localise_files(files, config, settings) if settings.languages else set()
        store = Store(settings.concepts_path, settings.suffix)
        by_pair: dict[str, dict] = {}
        pending, broken = [], []
        statuses = glossary_status(glossary, settings, store)
        if self.preview is not None:
            self.preview.reuse_texts(statuses)  # first: the gists below are then not read from disk again
        self.linker.gists = gists_of(statuses)
        if self.preview is not None:
            self._start_preview(config)
        for status in statuses:
            by_pair.setdefault(status.concept, {})[status.persona] = status
            if status.state == MISSING:
                pending.append(status.label)
            elif status.state == BROKEN:
                broken.append(status.reasons[0])
            elif status.state in (STALE, REVIEW):
                log.info("%s is %s", status.label, status.describe())
        self.start_readers(by_pair)
        self.concept_pages = {}
        self._rendered: dict[str, str] = {}
        for concept in glossary.concepts.values():
            page, key = self._concept_page(concept, by_pair.get(concept.slug, {}))
            uri = f"concepts/{concept.slug}.md"
            self.concept_pages[uri] = page
            self._add(files, config, uri, page.markdown, InclusionLevel.NOT_IN_NAV, key)
        self._add(files, config, "concepts/index.md", pages.az_index(glossary, settings.language), key="")
        self._add(files, config, "tags.md", pages.tags_page(settings.language))
        for persona in glossary.ordered_personas():
            openings = {}
            for concept in glossary.concepts.values():
                status = by_pair.get(concept.slug, {}).get(persona.slug)
                explanation = status.explanation if status is not None and status.state != MISSING else None
                openings[concept.slug] = (
                    None if explanation is None else (explanation.gist or self._opening(explanation.body))
                )
            self._add(
                files,
                config,
                f"for/{persona.slug}.md",
                pages.persona_page(glossary, persona, openings, settings.language),
                InclusionLevel.NOT_IN_NAV,
                key="",
            )
        self.add_reader_pages(files, config)
        for name, uri in ASSET_URIS.items():
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, abs_src_path=str(ASSETS / name)))
        if broken:
            listed = "\n  ".join(broken)
            if config.strict:
                raise UnreadableExplanations(
                    f"{len(broken)} explanation file(s) cannot be read, and the build is strict (fix or delete them):\n  {listed}"
                )
            log.warning(
                "%d explanation file(s) cannot be read; their tabs show the definition:\n  %s", len(broken), listed
            )
        if pending:
            listed = ", ".join(pending[:20]) + (" ..." if len(pending) > 20 else "")
            if config.strict and not settings.allow_pending:
                raise MissingExplanations(
                    f"{len(pending)} explanation(s) not yet written, and the build is strict: {listed} (run `glossary generate`, or mark the concept `draft: true`)"
                )
            # Under --allow-pending a strict build still fails on every other warning, so this one is info.
            (log.info if settings.allow_pending else log.warning)(
                "%d explanation(s) not yet written (run `glossary generate`): %s", len(pending), listed
            )
        return files

    def _refuse_links_out(self, files: Files, config: MkDocsConfig) -> None:
        """MkDocs reads docs/ itself and follows links: a page linked to /etc/passwd would be published."""
        root, docs = self.site.root, Path(config.docs_dir)
        outside = []
        for file in files:
            source = file.abs_src_path
            if file.generated_by is None and source and Path(source).is_relative_to(docs):
                try:
                    safefs.check(source, root)
                except safefs.Unsafe as exc:
                    outside.append(f"{exc.path}: {exc.reason}")
        if outside:
            raise UnsafeFiles(
                f"{len(outside)} file(s) in {config.docs_dir} lead out of the repository:\n  " + "\n  ".join(outside)
            )

    def _add(
        self,
        files: Files,
        config: MkDocsConfig,
        uri: str,
        content: str,
        inclusion: InclusionLevel = InclusionLevel.UNDEFINED,
        key: str | None = None,
    ) -> None:
        """Add a generated page; under `mkdocs serve`, one served from the cache while its `key` (a
        concept page's inputs, or "" for a page made of its Markdown alone) is the same."""
        if files.get_file_from_path(uri) is not None:
            return  # a hand-written page in docs/ wins
        file = File.generated(config, uri, content=content, inclusion=inclusion)
        files.append(file)
        self.written.add(uri)
        self.own_titles.add(uri)
        if self.preview is not None and key is not None:
            self.preview.add(file, config, uri, key or pagecache.digest(content))

    def _start_preview(self, config: MkDocsConfig) -> None:
        """Tell the page cache what this build's site and linker are."""
        s = self.site
        extra = [self.nonce, s.language, s.default_persona, s.repo_url, s.edit_branch, s.concepts_dir]
        extra.append(pages.persona_chooser(self.glossary, s.language))
        summaries = {slug: self.linker.tooltips(slug) for slug in self.linker.terms}  # a reader's gist is one too
        self.preview.start_pages(Path(config.config_file_path), extra, dict(self.linker.owner), summaries)

    def _concept_page(self, concept, statuses: dict) -> tuple[pages.ConceptPage, str | None]:
        """A concept page, and its cache key under `mkdocs serve`."""
        settings, glossary = self.site, self.glossary

        def make() -> pages.ConceptPage:
            return pages.concept_page(
                glossary,
                concept,
                statuses,
                settings.language,
                self.nonce,
                default_persona=settings.default_persona,
                edit_url=self._repo_link("edit", f"{settings.concepts_dir}/{concept.slug}.yaml"),
            )

        if self.preview is None:
            return make(), None
        texts = []
        for persona in glossary.ordered_personas():
            status = statuses.get(persona.slug)
            explanation = status.explanation if status is not None and status.state != MISSING else None
            texts.append((persona.slug, None if explanation is None else (explanation.body, explanation.meta)))
        related = tuple(
            (s, glossary.concepts[s].title, glossary.concepts[s].summary)
            for s in concept.related
            if s in glossary.concepts
        )
        personas = tuple((p.slug, p.model_dump_json()) for p in glossary.ordered_personas())
        inputs = (concept.slug, concept.model_dump_json(), tuple(texts), related, personas)
        return self.preview.concept_page(concept.slug, inputs, make, self._page_key)

    def _page_key(self, page: pages.ConceptPage) -> str:
        """Every input of a concept page's HTML but the site's and the links'."""
        parts = [page.markdown]
        for f in page.fragments:
            line = pages.provenance(f.explanation, self.site.language) if f.kind == "explanation" else None
            parts.append([f.kind, f.persona, f.markdown, line])
        return pagecache.digest(parts)

    def on_nav(self, nav, config: MkDocsConfig, files: Files):
        if self.site.language != self.site.source_language:
            editions.localise_nav(nav, self.own_titles)
        if self.preview is not None:
            self.preview.nav(nav, config.plugins)
        return nav

    def on_env(self, env, config: MkDocsConfig, files: Files):
        if self.preview is not None:
            self.preview.env(env)
        return env

    @event_priority(100)
    def _before_search(self, context, page: Page, config: MkDocsConfig, nav):
        if self.preview is not None:
            self.preview.before_search(page)
        return context

    @event_priority(-100)  # after the search plugin indexed the page
    def _after_search(self, context, page: Page, config: MkDocsConfig, nav):
        if self.preview is not None:
            self.preview.after_search(page)
        return context

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        concept_page = self.concept_pages.get(page.file.src_uri)
        if concept_page is not None:
            page.edit_url = self._repo_link("edit", f"{self.site.concepts_dir}/{concept_page.concept.slug}.yaml")
        if PERSONAS_MARKER in markdown:
            depth = page.file.src_uri.count("/")
            chooser = pages.persona_chooser(self.glossary, self.site.language, prefix="../" * depth)
            markdown = markdown.replace(PERSONAS_MARKER, chooser)
            self.written.add(page.file.src_uri)
        if hand_written(page) and "[[" in markdown:
            markdown = refs.replace_refs(markdown, page.file.src_uri, self.glossary, self.linker.owner)
        return markdown

    def on_page_content(self, content: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        concept_page = self.concept_pages.get(page.file.src_uri)
        if getattr(page, "cached", None) is not None:
            return content  # served from the preview's cache as a whole
        if concept_page is None:
            # Values reach the Markdown we write as character references (inputs/plaintext.py); read back here.
            content = plaintext.tidy(content) if page.file.src_uri in self.written else content
            return self._tidy(self._link_hand_written(content, page, files) if hand_written(page) else content)
        content = plaintext.tidy(content)  # the page's own Markdown only: fragments go in after
        if page.present_anchor_ids is not None:  # tab anchors get their ids after MkDocs collected them
            page.present_anchor_ids |= set(self.glossary.personas)
        titled: set = set()  # tooltips this page already carries
        mentioned: set[str] = set()
        readers: list[search.ReaderText] = self.readers.setdefault(page.file.src_uri, [])
        entry = self.preview.pending(page.file.src_uri) if self.preview is not None else None
        for index, fragment in enumerate(concept_page.fragments):
            rendered = self._render(fragment, page, concept_page, files, titled, mentioned, readers, entry)
            content = content.replace(f"<p>{pages.placeholder(self.nonce, index)}</p>", rendered, 1)
        if entry is not None:
            entry.text = pagecache.linkable_text([self._html(f.markdown) for f in concept_page.fragments])
        self._mentioned(page, mentioned)
        content = self.reader_controls(content, page.file.src_uri)
        # Tab labels are words of their own in the page's text, not "ChildPhysicistLawyer".
        return self._tidy(content.replace("</label><label", "</label> <label"))

    def _tidy(self, content: str) -> str:
        """In Japanese and Chinese, no space where a line break (or YAML's folding) put one between two characters."""
        return (
            japanese.tidy_html(content) if self.site.language.split("-")[0] in japanese.NO_SPACE_LANGUAGES else content
        )

    def _html(self, markdown: str) -> str:
        """A text cleaned, rendered and sanitised, once per build (under `mkdocs serve`, once while it
        stays the same): persona pages reuse the concept pages' work."""
        make = lambda: render_markdown(clean_markdown(markdown))  # noqa: E731
        if self.preview is not None:
            return self.preview.remembered("html", markdown, make)
        html_ = self._rendered.get(markdown)
        return html_ if html_ is not None else self._rendered.setdefault(markdown, make())

    def _opening(self, markdown: str) -> str:
        """A text's first words for a reader's page."""
        make = lambda: pages.opening(self._html(markdown), self.site.language)  # noqa: E731
        return self.preview.remembered("opening", markdown, make) if self.preview is not None else make()

    def _href_maker(self, page: Page, files: Files, entry: pagecache.Entry | None = None):
        known: dict[str, str | None] = {}
        summaries = self.preview.summaries if entry is not None else {}

        def href_for(slug: str) -> str | None:
            if slug not in known:
                target = files.get_file_from_path(f"concepts/{slug}.md")
                known[slug] = None if target is None else get_relative_url(target.url, page.url)
                if entry is not None:  # the page shows this concept's summary: a change to it changes the page
                    entry.linked[slug] = summaries.get(slug, "")
            return known[slug]

        return href_for

    def _repo_link(self, kind: str, path: str) -> str | None:
        """A link into the repository: `edit` a file, or open a `new-issue` form."""
        repo = (self.site.repo_url or "").rstrip("/")
        if not repo:
            return None
        branch = self.site.edit_branch
        if "github" in repo:
            return f"{repo}/edit/{branch}/{quote(path)}" if kind == "edit" else f"{repo}/issues/new"
        if "gitlab" in repo:
            return f"{repo}/-/edit/{branch}/{quote(path)}" if kind == "edit" else f"{repo}/-/issues/new"
        return None

    def _report_link(self, concept_page: pages.ConceptPage, persona_slug: str | None, page: Page) -> str | None:
        """A pre-filled issue naming the concept and the reader, for one tab."""
        base = self._repo_link("new-issue", "")
        persona = self.glossary.personas.get(persona_slug or "")
        if base is None or persona is None:
            return None
        s = pages.strings(self.site.language)
        concept = concept_page.concept
        settings = self.site
        where = (page.canonical_url or page.url) + f"#{persona.slug}"
        values = {
            "concept": concept.title,
            "persona": persona.name,
            "concept_file": f"{settings.concepts_dir}/{concept.slug}.yaml",
            "persona_file": f"{settings.personas_dir}/{persona.slug}.yaml",
            "text_file": f"{settings.concepts_dir}/{concept.slug}/{Store(settings.concepts_path, settings.suffix).file_name(persona.slug)}",
            "page": where,
        }
        title = s["report_title"].format(concept=concept.title, persona=persona.name)
        body = s["report_body"].format(**values)
        if "gitlab" in base:
            return f"{base}?{urlencode({'issue[title]': title, 'issue[description]': body}, quote_via=quote)}"
        return f"{base}?{urlencode({'title': title, 'body': body}, quote_via=quote)}"

    # The preview's cache (site/preview.py) first and last: it keeps the index entries made here.
    on_page_context = CombinedEvent(
        _before_search,
        ReaderHooks.fill_mentions,
        ReaderHooks.show_search_view,
        ReaderHooks.index_by_reader,
        _after_search,
    )

    @event_priority(-100)  # the page as every plugin left it, for the preview's cache
    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        # Material fetches stars and forks of repo_url from api.github.com on every first visit; the
        # repository link stays, the request to another host goes.
        output = output.replace(' data-md-component="source"', "")
        concept_page = self.concept_pages.get(page.file.src_uri)
        head = machine.head(config, page.url, machine.FEED, concept_page.concept if concept_page is not None else None)
        if head and head not in output:  # a page the preview reuses already has it
            output = output.replace("</head>", head + "</head>", 1)
        output = editions.switch_links(output, page, self.site) if self.site.languages else output
        if self.preview is not None:
            self.preview.post_page(page, output)
        return output

    def on_post_template(self, output_content: str, template_name: str, config: MkDocsConfig) -> str:
        return output_content.replace(' data-md-component="source"', "")  # 404.html too

    @event_priority(-100)  # after the search plugin wrote its index
    def on_post_build(self, config: MkDocsConfig) -> None:
        if self.site is None:
            return
        if self.site.language.split("-")[0] == "ja":
            index = Path(config.site_dir) / "search" / "search_index.json"
            if search_ja.segment_index_file(index):
                log.debug("segmented the search index for Japanese with Janome")
        # Under `mkdocs serve` no plain Markdown per concept: MkDocs empties the site on every save, and
        # writing a thousand files again cost more than the rest of a fast rebuild (docs/performance.md).
        markdown = self.preview is None
        machine.write_all(config, self.glossary, self.by_pair, self.site.language, machine.FEED, self.changes, markdown)
        if self.preview is not None:  # after everything this build asked the preview to remember
            built = {f"concepts/{slug}.md" for slug in self.glossary.concepts} | {"concepts/index.md"}
            rebuilt, reused = self.preview.end(built | {f"for/{slug}.md" for slug in self.glossary.personas})
            log.info("fast preview: %d page(s) built, %d unchanged page(s) reused", rebuilt, reused)
        if self.site.languages and self.edition is None:
            editions.build_others(config, self.site)

    def on_shutdown(self) -> None:
        if self.preview is not None:
            self.preview.drop_kept()
        self.preview = None  # the session is over (in one process, the next may be another site's)

    def on_build_error(self, error: Exception) -> None:
        if self.preview is not None:
            self.preview.failed()

    def on_serve(self, server, config: MkDocsConfig, builder):
        settings = self.site
        for path in (settings.concepts_path, settings.personas_path):
            if path.exists():
                server.watch(str(path))
        return server
