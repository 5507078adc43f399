"""`glossary schema`: the JSON Schema of concept and persona files, for editors and pre-commit hooks."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli.options import GlossaryCommand, config_option
from generator.errors import GlossaryError
from generator.inputs.jsonschema import KINDS, schema_path, schema_text, stale_files


class StaleSchema(GlossaryError):
    """A committed schema file that no longer matches the models."""


@click.command("schema", cls=GlossaryCommand)
@click.argument("kind", required=False, type=click.Choice(sorted(KINDS)))
@click.option(
    "--write",
    "write",
    is_flag=True,
    help="Write schemas/concept.schema.json and schemas/persona.schema.json next to mkdocs.yml.",
)
@click.option(
    "--check", "check", is_flag=True, help="Exit 1 if a schema file under schemas/ is missing or out of date."
)
@config_option
def schema_command(kind: str | None, write: bool, check: bool, config_file: str) -> None:
    """Print the JSON Schema of a concept or persona file, or write or check the committed ones."""
    root = Path(config_file).resolve().parent
    if write:
        for name in KINDS:
            path = schema_path(root, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(schema_text(name), encoding="utf-8")
            click.echo(f"wrote {path.relative_to(root)}")
    elif check:
        stale = stale_files(root)
        if stale:
            names = ", ".join(str(p.relative_to(root)) for p in stale)
            raise StaleSchema(f"{names}: missing or out of date; run `glossary schema --write` and commit the result")
        click.echo("schemas/ is up to date.")
    else:
        click.echo(schema_text(kind or "concept"), nl=False)
