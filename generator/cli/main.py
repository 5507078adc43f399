"""The `glossary` click group and its own commands (validate, new, status, accept, build); the rest are added from their modules."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click

from generator.cli.options import GlossaryGroup, config_option, console, language_option
from generator.errors import ConfigError, GlossaryError, InputError
from generator.gcpause import gc_paused
from generator.inputs import skeletons
from generator.inputs.jsonschema import modeline
from generator.inputs.load import load_glossary
from generator.inputs.schemas import SLUG_RE
from generator.settings import Settings, load_settings
from generator.texts.editions import all_status, editions
from generator.texts.status import (
    REVIEW,
    record_review,
)


@click.group(cls=GlossaryGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="glossary-generator")
def main() -> None:
    """Audience-tailored concept glossaries: one explanation per reader, reviewed, published."""


@main.command()
@config_option
@click.option(
    "--strict", is_flag=True, help="Count warnings (one-way related links, placeholder URLs...) as problems too."
)
def validate(config_file: str, strict: bool) -> None:
    """Check the glossary settings in mkdocs.yml, every concept and persona file, and the content
    policy; list every problem at once (exit 2)."""
    from generator.cli.validate import check_site

    checked = check_site(Path(config_file))
    findings, glossary, found = checked.findings, checked.glossary, checked.editions
    for warning in findings.warnings:
        click.echo(f"warning: {warning}", err=True)
    if findings.errors or (strict and findings.warnings):
        raise InputError(findings.errors + (findings.warnings if strict else []))
    drafts = sum(1 for c in glossary.concepts.values() if c.draft)
    warned = (
        f" ({len(findings.warnings)} warning{'s' if len(findings.warnings) != 1 else ''} above)"
        if findings.warnings
        else ""
    )
    click.echo(
        f"OK: {_count(len(glossary.concepts), 'concept')} ({_count(drafts, 'draft')}) and {_count(len(glossary.personas), 'persona')} are valid{warned}."
    )
    if len(found) > 1:
        click.echo(
            "Editions: "
            + "; ".join(f"{e.language}: {len(e.glossary.personas)} personas" for e in found)
            + f" (texts in {checked.settings.source_language} are the ground truth)."
        )
    for item in found:
        _show_derived_readings(item)


def _show_derived_readings(item) -> None:
    """Japanese concepts sorted by a reading Janome derived, for someone to check (and write down)."""
    if item.language.split("-")[0] != "ja":
        return
    from generator.inputs.languages import reading
    from generator.site.japanese import reading_of

    for slug, concept in sorted(item.glossary.concepts.items()):
        if item.glossary.source is not None and reading(item.glossary, slug):
            continue
        derived = reading_of(concept.title)
        if derived:
            hint = f"check it, then add translations.{item.language}.reading" if item.glossary.source else "check it"
            click.echo(f"A to Z reading derived for {slug} ({concept.title}): {derived} ({hint})")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@main.group()
def new() -> None:
    """Write a commented skeleton for a new concept or persona."""


@new.command("concept")
@click.argument("slug")
@config_option
def new_concept(slug: str, config_file: str) -> None:
    """Create concepts/SLUG.yaml."""
    settings = load_settings(config_file)
    path = _new_file(
        settings.concepts_path,
        slug,
        skeletons.concept(slug, modeline(settings.root, settings.concepts_path, "concept")),
    )
    click.echo(f"Wrote {path}. Fill it in, then run `glossary validate`.")


@new.command("persona")
@click.argument("slug")
@config_option
def new_persona(slug: str, config_file: str) -> None:
    """Create personas/SLUG.yaml."""
    settings = load_settings(config_file)
    path = _new_file(
        settings.personas_path,
        slug,
        skeletons.persona(slug, modeline(settings.root, settings.personas_path, "persona")),
    )
    click.echo(f"Wrote {path}. Fill it in, then run `glossary validate`.")


def _new_file(folder: Path, slug: str, text: str) -> Path:
    if not SLUG_RE.match(slug):
        raise ConfigError(f"bad slug {slug!r}: use lowercase letters, digits and hyphens, like 'low-rank-adaptation'")
    path = folder / f"{slug}.yaml"
    if path.exists():
        raise ConfigError(f"{path} already exists; edit it instead")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# What the last `status` read, kept until the process exits: the entry point freezes what is alive
# (entry.run) and the interpreter exits without freeing it. Freeing its hundreds of thousands of
# objects one by one as the command returned took a twentieth of a warm run. One run's worth at most.
_last_status: list = []


@main.command()
@config_option
@click.option("--markdown", "as_markdown", is_flag=True, help="A Markdown summary (for a pull request's job summary).")
@click.option("--since", metavar="REF", help="With --markdown: also list concepts added or changed since this git ref.")
@click.option("--all", "show_all", is_flag=True, help="List fresh and curated pairs too.")
@language_option
def status(config_file: str, as_markdown: bool, since: str | None, show_all: bool, languages: tuple[str, ...]) -> None:
    """List every pair of every language: fresh, stale (and why), missing, curated, needing review; and orphans."""
    # What is read lives until the command ends: collecting among it (hundreds of thousands of
    # objects at 10,000 concepts) between the steps below found nothing and cost a tenth of a warm run.
    with gc_paused(freeze=True):
        settings = load_settings(config_file)
        glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
        statuses = all_status(editions(glossary, settings, languages))
    _last_status[:] = [glossary, statuses]
    from generator.cli import reports

    if as_markdown:
        click.echo(
            reports.status_markdown(
                glossary, settings, statuses, changed_since=_changed_concepts(settings, since) if since else None
            )
        )
        return
    reports.print_status(console(), glossary, settings, statuses, show_all=show_all)


def _changed_concepts(settings: Settings, ref: str) -> dict[str, list[str]]:
    """Concept and persona files added or modified since a git ref."""
    try:
        out = subprocess.run(
            [
                "git",
                "diff",
                "--name-status",
                "--no-renames",
                f"{ref}...HEAD",
                "--",
                settings.concepts_dir,
                settings.personas_dir,
            ],
            cwd=settings.root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        err = getattr(exc, "stderr", "") or str(exc)
        raise ConfigError(f"cannot compare with {ref!r}: {err.strip()}") from None
    changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    kinds = {"A": "added", "M": "changed", "D": "removed"}
    for line in out.splitlines():
        code, _, name = line.partition("\t")
        if name.endswith((".yaml", ".yml")) and code[:1] in kinds:
            changes[kinds[code[:1]]].append(name)
    return changes


@main.command()
@click.argument("concept", required=False)
@click.argument("persona", required=False)
@click.option("--all", "accept_all", is_flag=True, help="Accept every curated pair that needs review.")
@language_option
@config_option
def accept(
    concept: str | None, persona: str | None, accept_all: bool, languages: tuple[str, ...], config_file: str
) -> None:
    """Mark a curated explanation as reviewed against the current inputs (in every language, or --language's)."""
    settings = load_settings(config_file)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    if accept_all == bool(concept and persona):
        raise click.UsageError("give CONCEPT and PERSONA, or --all")
    found_editions = editions(glossary, settings, languages)
    stores = {e.store.language: e.store for e in found_editions}
    targets = [
        s
        for s in all_status(found_editions)
        if s.state == REVIEW and (accept_all or (s.concept, s.persona) == (concept, persona))
    ]
    if not accept_all and not targets:
        if concept not in glossary.concepts:
            raise ConfigError(f"no concept {concept!r}")
        if persona not in glossary.personas:
            raise ConfigError(f"no persona {persona!r}")
        found = [e.store.read(concept, persona) for e in found_editions if persona in e.glossary.personas]
        found = [f for f in found if f is not None]
        if not found:
            raise ConfigError(f"no explanation for {concept}/{persona} yet")
        if not any(f.curated for f in found):
            raise ConfigError(
                f"{concept}/{persona} is generated, not curated: regenerate it, or edit it to make it curated"
            )
        click.echo(f"{concept}/{persona} is already accepted against the current inputs.")
        return
    for s in targets:
        record_review(stores[s.language], s)
        click.echo(f"accepted {s.label}")


@main.command()
@config_option
@click.option(
    "--strict", is_flag=True, help="Fail when any pair has no explanation (drafts excepted), as mkdocs --strict does."
)
@click.option(
    "--allow-pending",
    is_flag=True,
    help="With --strict: list pairs still waiting for their text instead of failing (texts under review).",
)
@click.option(
    "--generate", "generate_first", is_flag=True, help="Generate what is missing or stale first (calls the model)."
)
@click.option(
    "-d",
    "--site-dir",
    type=click.Path(file_okay=False),
    help="Where to write the site (default: mkdocs.yml's site_dir).",
)
@click.pass_context
def build(
    ctx: click.Context, config_file: str, strict: bool, allow_pending: bool, generate_first: bool, site_dir: str | None
) -> None:
    """Build the site from the committed text; never calls a model unless --generate is given."""
    settings = load_settings(config_file)
    load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    if generate_first:
        from generator.cli.generate import generate_command

        ctx.invoke(generate_command, config_file=config_file)
    _mkdocs_build(settings, strict=strict, site_dir=site_dir, allow_pending=allow_pending)


def _mkdocs_build(settings: Settings, *, strict: bool, site_dir: str | None, allow_pending: bool = False) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    options = {"strict": strict}
    if site_dir:
        options["site_dir"] = site_dir
    saved = os.environ.get("GLOSSARY_ALLOW_PENDING")
    if allow_pending:
        os.environ["GLOSSARY_ALLOW_PENDING"] = "true"  # read by the plugin, which mkdocs loads afresh
    try:
        config = load_config(str(settings.config_file), **options)
        mkdocs_build(config)
    except Abort as exc:
        raise GlossaryError(f"build failed: {exc}") from None
    except MkDocsException as exc:
        raise GlossaryError(f"build failed: {exc}") from None
    finally:
        if saved is None:
            os.environ.pop("GLOSSARY_ALLOW_PENDING", None)
        else:
            os.environ["GLOSSARY_ALLOW_PENDING"] = saved
    click.echo(f"Site written to {config.site_dir}")


# Commands whose modules own them, imported when one of them is run or listed: `glossary status`
# (run on every change) does not pay for importing the model client's side of the tool.
main.lazy_commands.update(
    {
        "generate": "generator.cli.generate:generate_command",
        "preview": "generator.cli.generate:preview_command",
        "collect": "generator.cli.batch:collect_command",
        "verify": "generator.cli.verify:verify_command",
        "import": "generator.cli.importer:import_command",
        "eval-judge": "generator.cli.evaljudge:eval_judge_command",
        "init": "generator.cli.init:init_command",
        "schema": "generator.cli.schema:schema_command",
    }
)
