"""Search by reader: each explanation is an entry of its own in Material's search index.

Material's search plugin makes one entry per section of a page, so a concept page's first entry
held the tab labels, the chooser's words and every reader's text at once: searching a reader's
name found every concept, and a result could not say whose text matched. After the search plugin
has indexed a concept page, its first entry keeps only the title, summary and aliases, and each
reader's text becomes an entry of its own whose location opens that reader's tab
(`concepts/lora/#physicist`) and whose preview starts with that reader's gist.

The entry's title is the concept's title; the reader's name rides in an attribute that
glossary.css shows next to it (Material renders titles as HTML), because a reader's name in
the indexed title would make a search for "accountant" list every concept again.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass
class ReaderText:
    """One reader's text on a concept page, as the search index gets it."""

    persona: str
    name: str
    gist: str | None
    html: str  # the rendered explanation, sanitised


def search_index_of(plugins) -> object | None:
    """Material's search index, when the site uses Material's search plugin."""
    for plugin in plugins.values():
        index = getattr(plugin, "search_index", None)
        if (
            index is not None
            and isinstance(getattr(index, "entries", None), list)
            and hasattr(index, "create_entry_for_section")
        ):
            return index
    return None


def index_by_reader(
    index, page_url: str, title: str, preface: str, readers: list[ReaderText], label: str, text_of=None
) -> None:
    """Replace the page's first entry text with `preface` (plain text) and add one entry per reader after it
    (its text made by `text_of`, by default as Material's search plugin makes it)."""
    text_of = text_of or entry_text
    entries = index.entries
    # The search plugin has just appended the page's entries: look from the end.
    first = next((i for i in range(len(entries) - 1, -1, -1) if entries[i].get("location") == page_url), None)
    if first is None:
        return
    page_entry = entries[first]
    page_entry["text"] = f"<p>{html.escape(preface, quote=False)}</p>"
    added = []
    for reader in readers:
        entry = {
            "location": f"{page_url}#{reader.persona}",
            "title": f'{html.escape(title, quote=False)}<span class="glossary-search-reader" data-glossary-reader="{html.escape(label.format(name=reader.name), quote=True)}"></span>',
            "text": text_of(reader),
        }
        if "tags" in page_entry:
            entry["tags"] = list(page_entry["tags"])
        added.append(entry)
    entries[first + 1 : first + 1] = added


SEARCH_ATTRIBUTE = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")  # as Material's search plugin strips them


def without_search_attributes(content: str) -> str:
    """A page as the search plugin leaves it after indexing (it strips its own attributes)."""
    return SEARCH_ATTRIBUTE.sub("", content) if "data-search-" in content else content


def entry_text(reader: ReaderText) -> str:
    """The entry's text as Material's search plugin writes it: the gist first, then the explanation."""
    from material.plugins.search.plugin import Parser

    parser = Parser()
    parser.feed(reader.html)
    parser.close()
    text = "".join("".join(section.title) + "".join(section.text) for section in parser.data).strip()
    gist = f"<p>{html.escape(reader.gist, quote=False)}</p> " if reader.gist else ""
    return gist + text
