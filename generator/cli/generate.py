"""`glossary generate` and `glossary preview`: planning output, progress, tables and reports."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import click
from rich.console import Console

from generator.cli.options import (
    GlossaryCommand,
    concept_option,
    config_option,
    language_option,
    persona_option,
)
from generator.cli.options import console as make_console
from generator.cli.runreport import dry_run as _dry_run
from generator.cli.runreport import report_markdown, summary_table, tokens, totals_line
from generator.errors import ConfigError, GlossaryError, ModelError
from generator.inputs.load import load_glossary
from generator.llm.calls import CallError, ModelCaller
from generator.llm.client import redact
from generator.llm.costs import format_cost, price_for
from generator.settings import load_settings
from generator.texts.prompts import plan_prompts
from generator.texts.status import ORPHAN, PairStatus, glossary_status
from generator.texts.store import Store, atomic_write
from generator.writing import runlock
from generator.writing.answers import Rejected
from generator.writing.failures import save_failures
from generator.writing.generate import (
    Pipeline,
    Run,
    _check_names,
    _why,
    edition_prompts,
    make_plan,
    remove_stale_temp_files,
    stamp_edited,
)
from generator.writing.results import Body, PairResult

# --------------------------------------------------------------------------- the run


class Progress:
    """A rich progress bar on a terminal; one plain line per finished pair otherwise."""

    def __init__(self, console: Console, total: int):
        self.console = console
        self.total = total
        self.done = 0
        self._bar = None
        if console.is_terminal and total:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("generating"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=console,
            )
            self._task = self._bar.add_task("", total=total)
            self._bar.start()

    def advance(self, result: PairResult) -> None:
        self.done += 1
        line = f"[{self.done}/{self.total}] {result.label}: {_outcome(result)}"
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=result.label)
            if result.state == "failed":
                self._bar.console.print(line, markup=False)
        else:
            click.echo(line)

    def note(self, message: str) -> None:
        """A line about the whole run (a long pause, and what it waits for), above the bar."""
        if self._bar is not None:
            self._bar.console.print(message, markup=False)
        else:
            click.echo(message, err=True)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _outcome(r: PairResult) -> str:
    if r.state == "generated":
        source = "from cache" if r.cached else f"{tokens(r.usage)} tokens, {format_cost(r.cost)}"
        return f"generated ({source}{', ' + r.check if r.check else ''})"
    if r.state == "skipped":
        return f"not started ({r.error})"
    return f"FAILED: {r.error}"


# --------------------------------------------------------------------------- commands


@click.command("generate", cls=GlossaryCommand)
@concept_option
@persona_option
@click.option("--force", is_flag=True, help="Regenerate fresh pairs too, bypassing the cache (never curated ones).")
@click.option("--jobs", type=int, help="Requests in flight at most, 1 to 256 (default: `jobs` in mkdocs.yml, 8).")
@click.option(
    "--dry-run", is_flag=True, help="List what would be generated and why, with the estimated cost; call nothing."
)
@click.option(
    "--max-cost",
    type=float,
    metavar="USD",
    help="Start no new request once this many dollars are spent.",
)
@click.option(
    "--report", type=click.Path(dir_okay=False), help="Write a Markdown report (for a pull request body) to this file."
)
@click.option(
    "--batch",
    is_flag=True,
    help="Through the Batch API: collect finished batches, store their texts, send the rest as a new batch.",
)
@language_option
@config_option
def generate_command(
    concepts: tuple[str, ...] = (),
    personas: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    force: bool = False,
    jobs: int | None = None,
    dry_run: bool = False,
    max_cost: float | None = None,
    report: str | None = None,
    batch: bool = False,
    config_file: str = "mkdocs.yml",
) -> None:
    """Generate every missing or stale explanation (calls the model)."""
    if batch and force:
        raise ConfigError(
            "--force cannot be used with --batch: batch answers come back through the response cache, which --force bypasses"
        )
    console = make_console()
    settings = load_settings(config_file).override(jobs=jobs, max_cost=max_cost)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    # One run per repository, from the plan on: a second one would plan the same pairs and send every request twice.
    with contextlib.nullcontext() if dry_run else runlock.held(settings.cache_path):
        _generate(console, settings, glossary, concepts, personas, languages, force, dry_run, report, batch)


def _generate(console, settings, glossary, concepts, personas, languages, force, dry_run, report, batch) -> None:
    """generate_command's work, under the repository's lock."""
    plan = make_plan(glossary, settings, tuple(concepts), tuple(personas), force, tuple(languages))
    store = plan.editions[None].store if None in plan.editions else Store(settings.concepts_path)
    for s in plan.broken:
        console.print(f"skipped {s.label}: {s.describe()} (fix or delete the file)", markup=False)
    prompts = {key: edition_prompts(plan, key, settings.examples) for key in plan.editions}
    if dry_run:
        for note in plan.notes:
            console.print(f"note: {note}", markup=False)
        _dry_run(console, glossary, settings, plan, force, prompts, "batch" if batch else None)
        return
    if batch:
        from generator.cli.batch import run_batch

        return run_batch(console, settings, plan, prompts, report, send=True)
    remove_stale_temp_files(store)
    stamped = stamp_edited(plan.editions, plan.statuses)
    for label in stamped:
        console.print(f"{label}: edited by hand, now curated (never regenerated)", markup=False)
    for note in plan.notes:
        console.print(f"note: {note}", markup=False)
    if not plan.todo:
        from generator.cli.reports import counts_line

        console.print(
            f"Nothing to generate ({counts_line([s for s in plan.statuses if s.state != ORPHAN])}).", markup=False
        )
        if report:
            atomic_write(Path(report), report_markdown(settings, [], None, 0.0, plan.notes))
        return
    if settings.max_cost is not None:
        unpriced = sorted(
            {
                m
                for m in (settings.model, settings.judge if settings.verify else settings.model)
                if price_for(settings, m) is None
            }
        )
        if unpriced:
            raise ConfigError(
                f"--max-cost needs a price for {', '.join(unpriced)}: add it under the glossary plugin in mkdocs.yml, e.g.\n"
                f"  prices:\n    {unpriced[0]}: {{input: 0.15, cached_input: 0.075, output: 0.6}}   # USD per million tokens (0 for a local model)"
            )
    caller = ModelCaller(
        settings, jobs=settings.jobs, max_cost=settings.max_cost
    )  # the key is checked here, before any request
    progress = Progress(console, len(plan.todo))
    caller.waits.notify = progress.note
    run = Run(
        settings, glossary, store, caller, force=force, progress=progress, editions=plan.editions, prompts=prompts
    )
    started = time.monotonic()
    fatal: ModelError | None = None
    try:
        asyncio.run(_run_and_close(run, caller, plan.todo))
    except ModelError as exc:
        fatal = exc
    except KeyboardInterrupt:
        progress.stop()
        save_failures(settings, list(run.results.values()))
        raise click.Abort() from None
    finally:
        progress.stop()
    seconds = time.monotonic() - started
    results = [
        run.results.get((s.concept, s.persona, s.language))
        or PairResult(
            s.concept,
            s.persona,
            "failed",
            why=_why(s),
            error=f"stopped: {fatal.message.splitlines()[0] if fatal else 'not run'}",
            language=s.language,
        )
        for s in plan.todo
    ]
    save_failures(settings, results)
    if fatal is None or any(r.state == "generated" for r in results):
        console.print(summary_table(results))
        console.print(totals_line(results, caller, seconds), markup=False)
    if report:
        atomic_write(
            Path(report),
            report_markdown(
                settings, results, caller, seconds, plan.notes + ([f"Stopped: {fatal.message}"] if fatal else [])
            ),
        )
    if fatal is not None:
        raise fatal
    failed = [r for r in results if r.state == "failed"]
    skipped = [r for r in results if r.state == "skipped"]
    if skipped:
        console.print(
            f"Spending cap reached: {len(skipped)} pair{'s' if len(skipped) != 1 else ''} not started; run again (or raise --max-cost) to continue.",
            markup=False,
        )
    if failed:
        raise GlossaryError(
            f"{len(failed)} of {len(results)} pair{'s' if len(results) != 1 else ''} failed (listed above, and by `glossary status`); "
            "their previous text, if any, is unchanged. Run `glossary generate` again to retry them."
        )


async def _run_and_close(run: Run, caller: ModelCaller, todo: list[PairStatus]) -> None:
    try:
        await run.all(todo)
    finally:
        await caller.aclose()


@click.command("preview", cls=GlossaryCommand)
@click.argument("concept")
@click.argument("persona")
@click.option("--language", metavar="CODE", help="In this language (default: the language of the concept files).")
@config_option
def preview_command(concept: str, persona: str, language: str | None = None, config_file: str = "mkdocs.yml") -> None:
    """Print one explanation (through the cache) without touching the committed text."""
    from generator.texts.editions import editions

    settings = load_settings(config_file)
    loaded = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    _check_names((concept,), loaded.concepts, "concept", settings.concepts_dir)
    _check_names((persona,), loaded.personas, "persona", settings.personas_dir)
    edition = editions(loaded, settings, (language or settings.source_language,))[0]
    settings, glossary = edition.settings, edition.glossary
    if persona not in glossary.personas:
        raise ConfigError(f"persona {persona!r} has no tab in {edition.language!r} (see its `languages:`)")
    if glossary.concepts[concept].draft:
        click.echo(f"note: {concept} is a draft; `generate` skips it until it has key facts", err=True)
    statuses = glossary_status(glossary, settings, edition.store)
    prompts = plan_prompts(glossary, statuses, [(concept, persona)], settings.examples)
    caller = ModelCaller(settings, jobs=1)
    pipeline = Pipeline(settings, glossary, caller, prompts=prompts)

    async def go() -> Body:
        try:
            return await pipeline.body(glossary.concepts[concept], glossary.personas[persona])
        finally:
            await caller.aclose()

    try:
        body = asyncio.run(go())
    except (Rejected, CallError) as exc:
        raise GlossaryError(f"{concept}/{persona}: {redact(str(exc))}") from None
    click.echo(body.text, nl=False)
    where = "from the cache" if body.cached else f"{tokens(body.usage)} tokens, {format_cost(body.cost)}"
    click.echo(f"\n[{concept}/{persona} by {settings.model}, {where}; not checked and not saved]", err=True)
