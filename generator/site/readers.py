"""The plugin's hooks for readers (issue 15): links on hand-written pages, "Mentioned in", search by
reader, the line under each reader's text. A mixin of GlossaryPlugin, which holds the state they use."""

from __future__ import annotations

import html
import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from generator.site import browse, machine, pagecache, pages, refs, search
from generator.texts.status import MISSING


def hand_written(page: Page) -> bool:
    """A page from docs/, not one this plugin (or another) generated."""
    return getattr(page.file, "generated_by", None) is None


WHATS_NEW = "whats-new.md"
TABS_RE = re.compile(
    r'<div class="tabbed-set tabbed-alternate"'
)  # the readers' tabs, the one tab set of a concept page
log = get_plugin_logger("generator.site.plugin")
# A concept named on 150 pages lists a dozen and counts the rest: the list stays readable and a
# page's size stays flat as the glossary grows.
MENTIONS_SHOWN = 12


def gists_of(statuses) -> dict[tuple[str, str], str]:
    """Every reader's gist of every concept with a text: (concept, persona) -> gist."""
    return {
        (status.concept, status.persona): status.explanation.gist
        for status in statuses
        if status.explanation is not None and status.state != MISSING and status.explanation.gist
    }


class ReaderHooks:
    """What GlossaryPlugin does for readers beyond the concept pages themselves."""

    def add_reader_pages(self, files: Files, config: MkDocsConfig) -> None:
        """What's new, and the check of every `[[...]]` reference (a strict build stops here)."""
        feed = f"{config.site_url.rstrip('/')}/{machine.FEED}" if config.site_url else None
        changes = self.changes = browse.changes(self.glossary, self.by_pair)[: machine.FEED_LENGTH]
        self._add(
            files,
            config,
            WHATS_NEW,
            browse.whats_new_page(changes, self.site.language, feed),
            InclusionLevel.NOT_IN_NAV,
        )
        for problem in refs.check(files, self.glossary, self.linker.owner, self.site.root, strict=config.strict):
            log.warning(problem)

    def reader_controls(self, content: str, uri: str) -> str:
        """A concept page's compare panel, and the class that makes its tabs the readers' chooser; keeps the
        page as the search plugin needs it: the title, then everything from the Definition on."""
        head, found, tail = content.partition(f"<p>{pages.placeholder(self.nonce, pages.COMPARE)}</p>")
        if not found:
            return content
        if "</h1>" in head:
            # The tabs are indexed as one entry per reader (index_by_reader), so the search plugin
            # need not parse them as part of the page: that was half its time on a concept page.
            self.search_views[uri] = head[: head.index("</h1>") + len("</h1>")] + tail
        compare = browse.compare_panel(self.glossary, self.site.language) if len(self.glossary.personas) > 1 else ""
        return TABS_RE.sub('<div class="tabbed-set tabbed-alternate glossary-tabs"', head + compare + tail, count=1)

    def start_readers(self, by_pair: dict) -> None:
        """A new build: its pairs, no mention or reader text seen yet, and every reader's gist for the linker."""
        # Under `mkdocs serve` the plugin object lives on: a page the preview reuses (site/preview.py)
        # is not rendered again, so what its last rendering found stands for it.
        # MkDocs keeps this object from one build to the next (even between sites) outside serve too.
        serving = self.preview is not None
        before = {**getattr(self, "readers_before", {}), **getattr(self, "readers", {})} if serving else {}
        self.readers_before, self.by_pair, self.readers = before, by_pair, {}
        self.page_mentions: dict[str, tuple[str, str, bool, frozenset]] = (
            getattr(self, "page_mentions", {}) if serving else {}
        )
        self.linking_pages: dict[str, list[str]] | None = None
        self.search_views: dict[str, str] = {}  # source path -> the concept page the search plugin indexes
        self.full_contents: dict[str, str] = {}  # source path -> the page, while the search plugin reads its view

    def _link_hand_written(self, content: str, page: Page, files: Files) -> str:
        """A page from docs/: each concept's first mention linked; `[[...]]` links get their tooltip."""
        mentioned: set[str] = set()
        content = refs.add_titles(content, self.linker, mentioned)
        content = self.linker.link(content, None, self._href_maker(page, files), titled=set(), mentioned=mentioned)
        self._mentioned(page, mentioned)
        return content

    def _mentioned(self, page: Page, slugs: set[str]) -> None:
        """What a page links to, kept by its source path: (url, title, hand-written, concepts)."""
        title = html.unescape(page.title or page.url)
        self.page_mentions[page.file.src_uri] = (page.url, title, hand_written(page), frozenset(slugs))
        self.linking_pages = None

    def _pages_linking(self, slug: str) -> list[str]:
        """The source paths of the pages that link to a concept (an index built once all pages are rendered)."""
        if self.linking_pages is None:
            self.linking_pages = {}
            for uri, mention in self.page_mentions.items():
                for target in mention[3]:
                    self.linking_pages.setdefault(target, []).append(uri)
        return self.linking_pages.get(slug, [])

    def _tab_line(self, explanation, persona: str, page: Page, concept_page: pages.ConceptPage | None) -> str:
        """Under a reader's text: who wrote it and when, the check, copy a link to it, report a problem."""
        s = pages.strings(self.site.language)
        line = pages.provenance(explanation, self.site.language)
        reviewed = browse.reviewed(explanation, self.site.language)
        if reviewed:
            line += f" · {reviewed}"
        target = html.escape(f"{page.canonical_url or ''}#{persona}", quote=True)  # glossary.js makes it absolute
        line += f' · <button type="button" class="glossary-copy-link" data-clipboard-text="{target}">{html.escape(s["copy_link"])}</button>'
        report = self._report_link(concept_page, persona, page) if concept_page is not None else None
        if report:
            line += f' · <a class="glossary-report" href="{html.escape(report, quote=True)}">{s["report"]}</a>'
        return line

    @event_priority(50)  # before the search plugin indexes the page
    def fill_mentions(self, context, page: Page, config: MkDocsConfig, nav):
        """Every page is rendered by now, so a concept page's "Mentioned in" is complete."""
        concept_page = self.concept_pages.get(page.file.src_uri)
        if concept_page is not None and page.content:
            concept = concept_page.concept
            related = {f"concepts/{slug}.md" for slug in concept.related}
            uris = [uri for uri in self._pages_linking(concept.slug) if uri != page.file.src_uri]
            # Hand-written pages first, then the concepts this one names as related, then by title.
            uris.sort(
                key=lambda uri: (
                    not self.page_mentions[uri][2],
                    uri not in related,
                    pages.sort_key(self.page_mentions[uri][1]),
                )
            )
            shown = [self.page_mentions[uri] for uri in uris[:MENTIONS_SHOWN]]
            section = browse.mentions_section(
                [(title, get_relative_url(url, page.url)) for url, title, _, _ in shown],
                self.site.language,
                more=len(uris) - len(shown),
            )
            mentions = f"<p>{pages.placeholder(self.nonce, pages.MENTIONS)}</p>"
            page.content = page.content.replace(mentions, section, 1)
            view = self.search_views.get(page.file.src_uri)
            if view is not None:
                self.search_views[page.file.src_uri] = view.replace(mentions, section, 1)
        return context

    @event_priority(40)  # after "Mentioned in" is filled, before the search plugin indexes the page
    def show_search_view(self, context, page: Page, config: MkDocsConfig, nav):
        """The search plugin reads the page without its readers' tabs; index_by_reader puts them back."""
        view = self.search_views.pop(page.file.src_uri, None)
        if view is not None and page.content and search.search_index_of(config.plugins) is not None:
            self.full_contents[page.file.src_uri] = page.content
            page.content = self._tidy(view)
        return context

    @event_priority(-50)  # after the search plugin indexed the page
    def index_by_reader(self, context, page: Page, config: MkDocsConfig, nav):
        concept_page = self.concept_pages.get(page.file.src_uri)
        index = search.search_index_of(config.plugins)
        uri = page.file.src_uri
        full = self.full_contents.pop(uri, None)
        if full is not None:
            page.content = search.without_search_attributes(full)
        if uri not in self.readers and getattr(page, "cached", None) is not None:
            self.readers[uri] = self.readers_before.get(uri, [])  # the preview reused the page: its texts are the same
        if concept_page is not None and index is not None:
            concept = concept_page.concept
            label = pages.strings(self.site.language)["search_for"]
            preface = " ".join([concept.summary, *concept.aliases])
            search.index_by_reader(
                index, page.url, concept.title, preface, self.readers.get(uri, []), label, self._search_text
            )
        return context

    def _search_text(self, reader: search.ReaderText) -> str:
        """A reader's search entry text; under `mkdocs serve`, parsed once while the text stays the same."""
        if self.preview is None:
            return search.entry_text(reader)
        return self.preview.remembered("search", (reader.gist, reader.html), lambda: search.entry_text(reader))

    def _render(
        self,
        fragment: pages.Fragment,
        page: Page,
        concept_page: pages.ConceptPage | None = None,
        files: Files | None = None,
        titled: set | None = None,
        mentioned: set[str] | None = None,
        readers: list | None = None,
        entry: pagecache.Entry | None = None,
    ) -> str:
        language = self.site.language
        body = self._html(fragment.markdown)
        in_tab = fragment.kind in ("explanation", "missing")
        unlinked = body  # what search indexes: links add no words, only tags and tooltips to parse
        if concept_page is not None and files is not None and self.linker is not None:
            body = self.linker.link(
                body,
                concept_page.concept.slug,
                self._href_maker(page, files, entry),
                scope_tag="li" if fragment.kind == "facts" else None,
                titled=titled,
                persona=fragment.persona if in_tab else None,
                mentioned=mentioned,
                limit=self.site.links_per_text,
            )
        persona = html.escape(fragment.persona or "", quote=True)
        if fragment.kind == "explanation":
            explanation = fragment.explanation
            if readers is not None:
                name = self.glossary.personas[fragment.persona].name
                readers.append(search.ReaderText(fragment.persona, name, explanation.gist, unlinked))
            gist = f'<p class="glossary-gist">{html.escape(explanation.gist)}</p>' if explanation.gist else ""
            line = self._tab_line(explanation, fragment.persona, page, concept_page)
            return f'<div class="glossary-explanation" data-persona="{persona}">{gist}{body}<p class="glossary-provenance">{line}</p></div>'
        if fragment.kind == "missing":
            title = pages.strings(language)["not_written"]
            return f'<div class="admonition note glossary-missing" data-persona="{persona}"><p class="admonition-title">{title}</p>{body}</div>'
        return f'<div class="glossary-{fragment.kind}">{body}</div>'
