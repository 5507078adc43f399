"""Ways to browse around one reader's texts: compare two readers, "Mentioned in", What's new."""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass

from generator.inputs.schemas import Concept, Glossary, Persona
from generator.site.pages import escape_markdown, sort_key, strings
from generator.texts.status import MISSING, PairStatus
from generator.texts.store import Explanation


def compare_panel(glossary: Glossary, language: str) -> str:
    """The "compare two readers" panel under the tabs, hidden until glossary.js fills it from the tabs."""
    s = strings(language)
    personas = glossary.ordered_personas()

    def select(name: str, chosen: int) -> str:
        options = "".join(
            f'<option value="{html.escape(p.slug, quote=True)}"{" selected" if i == chosen else ""}>'
            f"{html.escape(p.name)}</option>"
            for i, p in enumerate(personas)
        )
        return f'<select class="glossary-compare-{name}">{options}</select>'

    return (
        f'<details class="glossary-compare" hidden><summary>{html.escape(s["compare"])}</summary>'
        # No spaces between the words and the menus: glossary.css spaces them (Japanese has no spaces).
        f'<p class="glossary-compare-choice"><label>{html.escape(s["compare_with"])}{select("a", 0)}</label><wbr>'
        f"<label>{html.escape(s['compare_and'])}{select('b', min(1, len(personas) - 1))}</label></p>"
        '<div class="glossary-compare-panes"><div class="glossary-compare-pane" data-pane="a"></div>'
        '<div class="glossary-compare-pane" data-pane="b"></div></div></details>'
    )


def mentions_section(mentions: list[tuple[str, str]], language: str, more: int = 0) -> str:
    """A concept page's "Mentioned in": (title, relative link) of the pages shown, and how many more link to it."""
    if not mentions:
        return ""
    s = strings(language)
    items = "".join(
        f'<li><a href="{html.escape(href, quote=True)}">{html.escape(title)}</a></li>' for title, href in mentions
    )
    if more:
        items += f'<li class="glossary-mentioned-more">{html.escape(s["mentioned_more"].format(count=more))}</li>'
    # data-search-exclude: Material's search plugin leaves the section out of the index, then drops the attribute.
    return (
        f'<h2 id="mentioned-in" data-search-exclude>{html.escape(s["mentioned_in"])}'
        '<a class="headerlink" href="#mentioned-in" title="Permanent link">&para;</a></h2>'
        f'<ul class="glossary-mentioned-in">{items}</ul>'
    )


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def reviewed(explanation: Explanation, language: str) -> str:
    """When a curated text was last reviewed, as HTML (a generated text's provenance has its date)."""
    if not explanation.curated or not explanation.reviewed:
        return ""
    value = html.escape(explanation.reviewed, quote=True)
    date = f'<time datetime="{value}">{value}</time>' if ISO_DATE.fullmatch(explanation.reviewed) else value
    return strings(language)["reviewed_on"].format(date=date)


@dataclass
class Change:
    """A concept's latest change: its date, and the readers whose text has that date."""

    concept: Concept
    date: str
    personas: list[Persona]


def changes(glossary: Glossary, by_pair: dict[str, dict[str, PairStatus]]) -> list[Change]:
    """Every concept with a text, by the date of its latest one (reviewed, else written or generated), newest first."""
    found = []
    for concept in glossary.concepts.values():
        if concept.draft:
            continue
        dated = []
        for persona in glossary.ordered_personas():
            status = by_pair.get(concept.slug, {}).get(persona.slug)
            explanation = status.explanation if status is not None and status.state != MISSING else None
            if explanation is None:
                continue
            date = explanation.reviewed if explanation.curated else explanation.date
            if date and ISO_DATE.fullmatch(date):
                dated.append((date, persona))
        if dated:
            latest = max(date for date, _ in dated)
            found.append(Change(concept, latest, [p for date, p in dated if date == latest]))
    found.sort(key=lambda c: sort_key(c.concept.title))
    found.sort(key=lambda c: c.date, reverse=True)
    return found


def whats_new_page(found: list[Change], language: str, feed_url: str | None) -> str:
    """The What's new page: concepts by the date of their latest text, newest first."""
    s = strings(language)
    out = ["---", f"title: {s['whats_new_title']}", "search:", "  exclude: true", "---", ""]
    out += [f"# {escape_markdown(s['whats_new_title'])}", "", escape_markdown(s["whats_new_intro"]), ""]
    if feed_url:
        out += [
            f'[{escape_markdown(s["whats_new_feed"])}]({feed_url}){{ .glossary-feed type="application/atom+xml" }}',
            "",
        ]
    for date, group in itertools.groupby(found, key=lambda c: c.date):
        out += [f"## {escape_markdown(date)}", ""]
        for change in group:
            readers = s["list_sep"].join(escape_markdown(p.name) for p in change.personas)
            title = escape_markdown(change.concept.title)
            out.append(
                f"- [{title}](concepts/{change.concept.slug}.md){s['colon']}{escape_markdown(change.concept.summary)} "
                f"*({s['whats_new_readers']} {readers})*"
            )
        out.append("")
    return "\n".join(out)
