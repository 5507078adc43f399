"""Options and output helpers shared by every command."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from generator.errors import GlossaryError

config_option = click.option(
    "-f",
    "--config-file",
    default="mkdocs.yml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The site's mkdocs.yml.",
)

concept_option = click.option(
    "--concept", "concepts", multiple=True, metavar="SLUG", help="Only this concept (repeatable)."
)
persona_option = click.option(
    "--persona", "personas", multiple=True, metavar="SLUG", help="Only this persona (repeatable)."
)
language_option = click.option(
    "--language",
    "languages",
    multiple=True,
    metavar="CODE",
    help="Only this language's edition and texts (repeatable; default: every language in `languages:`).",
)


def console() -> Console:
    """Rich output on a terminal, plain lines otherwise."""
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


class GlossaryCommand(click.Command):
    """A click command that shows a GlossaryError as a click error, with the error's exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GlossaryError as exc:
            raise as_click_error(exc) from None


class GlossaryGroup(click.Group):
    """A click group whose commands (and subgroups) translate GlossaryError the same way."""

    command_class = GlossaryCommand

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GlossaryError as exc:
            raise as_click_error(exc) from None


GlossaryGroup.group_class = GlossaryGroup


def as_click_error(exc: GlossaryError) -> click.ClickException:
    """The click exception that prints `Error: <message>` and exits with the error's code."""
    error = click.ClickException(exc.message)
    error.exit_code = exc.exit_code
    return error
