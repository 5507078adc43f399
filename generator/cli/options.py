"""Options and output helpers shared by every command."""

from __future__ import annotations

import importlib
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
    """A click group whose commands (and subgroups) translate GlossaryError the same way.

    `lazy_commands` names commands by where they are ("module:attribute"), imported when first
    run, asked for help or listed."""

    command_class = GlossaryCommand

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            module, _, attribute = self.lazy_commands[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

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
