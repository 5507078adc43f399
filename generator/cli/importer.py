"""`glossary import`: a Markdown glossary in, draft concepts out."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli.options import GlossaryCommand
from generator.importer.read import GlossaryImportError
from generator.importer.writer import import_glossary
from generator.settings import load_settings

# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #


_MAX_LISTED = 25  # file names shown per skip reason in the summary table


class _BadInput(click.ClickException):
    exit_code = 2


def _default_concepts_dir(config_file: Path) -> Path:
    """The site's concepts folder from mkdocs.yml, else ``concepts`` next to it."""
    if config_file.is_file():
        return Path(load_settings(config_file).concepts_path)
    return config_file.parent / "concepts"


@click.command("import", cls=GlossaryCommand)
@click.argument("source", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path))
@click.option(
    "--concepts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where concept YAML files are written [default: the site's concepts dir, i.e. concepts/].",
)
@click.option("--origin", help='Origin glossary: "Name", "Name <url>" or a URL (default: from SOURCE.md/README).')
@click.option(
    "--licence", "--license", "licence", help='Licence: e.g. "CC BY 4.0" or a licence URL (default: from LICENSE.md).'
)
@click.option(
    "-f",
    "--config-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default="mkdocs.yml",
    show_default=True,
    help="The site's mkdocs.yml (gives the default concepts dir).",
)
def import_command(
    source: Path, concepts_dir: Path | None, origin: str | None, licence: str | None, config_file: Path
) -> None:
    """Import a Markdown glossary (one term per file, YAML front matter) as draft concepts.

    SOURCE is a folder of Markdown files with front matter (Jekyll or Hugo style).
    Every real term becomes concepts/<slug>.yaml with draft: true; stubs, redirects
    and files whose slug already exists are skipped and listed.
    """
    from rich.console import Console
    from rich.table import Table

    if concepts_dir is None:
        concepts_dir = _default_concepts_dir(config_file)
    try:
        report = import_glossary(source, concepts_dir, origin=origin, licence=licence)
    except GlossaryImportError as exc:
        raise _BadInput(str(exc)) from exc

    console = Console()
    summary = Table(title=f"glossary import: {source}", show_header=False)
    summary.add_column("what", style="bold")
    summary.add_column("value")
    summary.add_row("Imported", f"{len(report.imported)} concept(s) into {concepts_dir}/ (draft)")
    by_reason = report.skipped_by_reason()
    summary.add_row(
        "Skipped",
        f"{len(report.skipped)}"
        + (" (" + ", ".join(f"{r}: {n}" for r, n in sorted(by_reason.items())) + ")" if by_reason else ""),
    )
    summary.add_row("Dropped related", str(len(report.dropped_related)))
    summary.add_row("Dropped aliases", str(len(report.dropped_aliases)))
    attribution = report.source_attribution
    summary.add_row(
        "Attribution", f"{attribution['title']} <{attribution['url']}>" if attribution else "[red]none[/red]"
    )
    console.print(summary)

    if report.skipped:
        grouped: dict[str, list[str]] = {}
        for file, reason in report.skipped:
            grouped.setdefault(reason, []).append(file)
        table = Table(title="Skipped files")
        table.add_column("reason")
        table.add_column("count", justify="right")
        table.add_column("files")
        for reason, names in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(names[:_MAX_LISTED])
            if len(names) > _MAX_LISTED:
                shown += f", … (+{len(names) - _MAX_LISTED} more)"
            table.add_row(reason, str(len(names)), shown)
        console.print(table)
    if report.dropped_related:
        grouped = {}
        for slug, missing in report.dropped_related:
            grouped.setdefault(slug, []).append(missing)
        table = Table(title="Dropped related (target not imported)")
        table.add_column("concept")
        table.add_column("missing related")
        for slug, missing in grouped.items():
            table.add_row(slug, ", ".join(missing))
        console.print(table)
    if report.dropped_aliases:
        table = Table(title="Dropped aliases")
        table.add_column("concept")
        table.add_column("alias")
        table.add_column("reason")
        for row in report.dropped_aliases:
            table.add_row(*row)
        console.print(table)
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
