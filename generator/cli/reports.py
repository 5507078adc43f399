"""Status as a table for people and as Markdown for a pull request's job summary."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from generator.inputs.schemas import Glossary
from generator.llm.costs import estimate_line
from generator.settings import Settings
from generator.texts.status import (
    BROKEN,
    CURATED,
    DRAFT,
    FRESH,
    MISSING,
    ORPHAN,
    REVIEW,
    STALE,
    PairStatus,
)
from generator.writing.failures import load_failures

STYLES = {
    FRESH: "green",
    STALE: "yellow",
    MISSING: "red",
    CURATED: "cyan",
    REVIEW: "magenta",
    ORPHAN: "red",
    DRAFT: "dim",
    BROKEN: "bold red",
}
QUIET_STATES = (FRESH, CURATED)


def counts_line(statuses: list[PairStatus]) -> str:
    counts = Counter(s.state for s in statuses)
    return (
        ", ".join(
            f"{counts[state]} {state}"
            for state in (FRESH, CURATED, STALE, MISSING, REVIEW, BROKEN, DRAFT, ORPHAN)
            if counts[state]
        )
        or "no pairs"
    )


def print_status(
    out: Console, glossary: Glossary, settings: Settings, statuses: list[PairStatus], *, show_all: bool = False
) -> None:
    """One row per pair that needs attention (every pair with show_all), then the totals."""
    rows = [s for s in statuses if show_all or s.state not in QUIET_STATES]
    drafts = sorted({s.concept for s in rows if s.state == DRAFT})
    rows = [s for s in rows if s.state != DRAFT]
    if rows:
        table = Table(title="Pairs", show_lines=False)
        table.add_column("concept")
        table.add_column("persona")
        if settings.languages:
            table.add_column("language")
        table.add_column("state")
        for s in rows:
            language = [s.language or settings.source_language] if settings.languages else []
            table.add_row(s.concept, s.persona, *language, Text(s.describe(), style=STYLES.get(s.state, "")))
        out.print(table)
    if drafts:
        out.print(f"Drafts needing key facts ({len(drafts)}): {', '.join(drafts)}")
    failed = failed_pairs(glossary, settings)
    if failed:
        table = Table(title="Failed in the last generation run (previous text, if any, kept)")
        table.add_column("concept")
        table.add_column("persona")
        table.add_column("why")
        for f in failed:
            table.add_row(f["concept"], f["persona"], Text(f["reason"], style="red"))
        out.print(table)
    estimate = _estimate(glossary, settings, statuses)
    out.print(totals_line(glossary, settings, statuses))
    if estimate:
        out.print(estimate)


def failed_pairs(glossary: Glossary, settings: Settings) -> list[dict]:
    """Pairs whose last generation failed, and why (writing.failures keeps the record).

    Pairs whose concept or persona no longer exists are left out; a missing or unreadable
    file means no failures are known."""
    found = [
        {
            "concept": concept,
            "persona": persona + (f" ({language})" if language else ""),
            "reason": str(item.get("reason") or "unknown"),
            "when": str(item.get("when") or ""),
        }
        for (concept, persona, language), item in load_failures(settings).items()
        if concept in glossary.concepts and persona in glossary.personas
    ]
    return sorted(found, key=lambda f: (f["concept"], f["persona"]))


def _estimate(glossary: Glossary, settings: Settings, statuses: list[PairStatus]) -> str:
    return estimate_line(glossary, settings, [s for s in statuses if s.needs_generation])


def totals_line(glossary: Glossary, settings: Settings, statuses: list[PairStatus]) -> str:
    """`14 concepts x 5 personas: 70 curated.`, once per language when the glossary has several."""
    if not settings.languages:
        return f"{len(glossary.concepts)} concepts x {len(glossary.personas)} personas: {counts_line(statuses)}."
    parts = []
    for language in settings.all_languages:
        key = None if language == settings.source_language else language
        mine = [s for s in statuses if s.language == key]
        if not mine:
            continue  # not asked for (--language)
        readers = {s.persona for s in mine if s.state != ORPHAN}
        parts.append(f"{language}: {len(glossary.concepts)} concepts x {len(readers)} personas: {counts_line(mine)}")
    return "; ".join(parts) + "."


def _in(status: PairStatus) -> str:
    return f" ({status.language})" if status.language else ""


def status_markdown(
    glossary: Glossary,
    settings: Settings,
    statuses: list[PairStatus],
    *,
    changed_since: dict[str, list[str]] | None = None,
) -> str:
    """What a change means, for a reviewer: what will be generated, what went stale, what to review."""
    out = [
        "## Glossary status",
        "",
        totals_line(glossary, settings, statuses),
        "",
    ]
    if changed_since is not None:
        for kind in ("added", "changed", "removed"):
            names = changed_since.get(kind) or []
            out.append(f"- **{kind.capitalize()}**: " + (", ".join(f"`{n}`" for n in names) if names else "none"))
        out.append("")

    def section(title: str, items: list[PairStatus]) -> None:
        out.extend([f"### {title} ({len(items)})", ""])
        out.extend(f"- `{s.concept}` / `{s.persona}`{_in(s)}: {s.describe()}" for s in items[:200])
        if len(items) > 200:
            out.append(f"- ... and {len(items) - 200} more")
        out.append("")

    failed = failed_pairs(glossary, settings)
    if failed:
        out.extend([f"### Failed in the last generation run ({len(failed)})", ""])
        out.extend(f"- `{f['concept']}` / `{f['persona']}`: {f['reason']}" for f in failed[:200])
        out.append("")
    broken = [s for s in statuses if s.state == BROKEN]
    if broken:
        section("Unreadable explanation files (fix or delete them)", broken)
    section("Will be generated (missing)", [s for s in statuses if s.state == MISSING])
    section("Stale, will be regenerated", [s for s in statuses if s.state == STALE])
    section("Curated, need review", [s for s in statuses if s.state == REVIEW])
    orphans = [s for s in statuses if s.state == ORPHAN]
    if orphans:
        section("Orphans (text for a concept or persona that no longer exists)", orphans)
    estimate = _estimate(glossary, settings, statuses)
    if estimate:
        out += [f"**Estimated cost**: {estimate}", ""]
    return "\n".join(out)
