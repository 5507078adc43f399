"""`glossary generate` and `glossary preview`: planning output, progress, tables and reports."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator.cli.options import (
    GlossaryCommand,
    config_option,
)
from generator.cli.options import console as make_console
from generator.errors import ConfigError, GlossaryError, ModelError
from generator.inputs.load import load_glossary
from generator.inputs.schemas import Glossary
from generator.llm.cache import Memo, request_key
from generator.llm.calls import CallError, ModelCaller
from generator.llm.client import redact
from generator.llm.costs import estimate, format_cost, price_for
from generator.settings import Settings, load_settings
from generator.texts.prompts import build_messages
from generator.texts.status import ORPHAN, PairStatus
from generator.texts.store import Store, atomic_write
from generator.writing.answers import Rejected
from generator.writing.failures import save_failures
from generator.writing.generate import (
    Pipeline,
    Plan,
    Run,
    _check_names,
    _why,
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

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _outcome(r: PairResult) -> str:
    if r.state == "generated":
        source = "from cache" if r.cached else f"{_tokens(r.usage)} tokens, {format_cost(r.cost)}"
        return f"generated ({source}{', ' + r.check if r.check else ''})"
    if r.state == "skipped":
        return f"not started ({r.error})"
    return f"FAILED: {r.error}"


def _tokens(usage: dict) -> str:
    return f"{(usage.get('prompt_tokens') or 0) + (usage.get('completion_tokens') or 0):,}"


# --------------------------------------------------------------------------- output


def summary_table(results: list[PairResult], limit: int = 60) -> Table:
    table = Table(title="Generation summary")
    for name in ("concept", "persona", "result", "tokens", "cost"):
        table.add_column(name, justify="right" if name in ("tokens", "cost") else "left")
    shown = results if len(results) <= limit else [r for r in results if r.state != "generated"][:limit]
    for r in shown:
        if r.state == "generated":
            state = "[green]generated[/]" + (" (cache)" if r.cached else "") + (f", {r.check}" if r.check else "")
        elif r.state == "skipped":
            state = f"[yellow]not started[/]: {escape(r.error)}"
        else:
            state = f"[red]failed[/]: {escape(r.error)}"
        table.add_row(
            r.concept,
            _persona_label(r),
            state,
            _tokens(r.usage),
            "cache" if r.cached and r.state == "generated" else format_cost(r.cost),
        )
    return table


def totals_line(results: list[PairResult], caller: ModelCaller, seconds: float) -> str:
    generated = [r for r in results if r.state == "generated"]
    cached = sum(1 for r in generated if r.cached)
    failed = sum(1 for r in results if r.state == "failed")
    skipped = sum(1 for r in results if r.state == "skipped")
    u = caller.stats.usage
    spent = (
        "unknown (no price for the model)"
        if caller.stats.unpriced and not caller.stats.spent
        else format_cost(caller.stats.spent)
    )
    parts = [
        f"{len(generated)} generated ({cached} from cache)",
        f"{failed} failed",
    ]
    if skipped:
        parts.append(f"{skipped} not started")
    line = ", ".join(parts) + f" in {seconds:.1f} s."
    line += (
        f" {caller.stats.requests} request{'s' if caller.stats.requests != 1 else ''}"
        f" ({caller.stats.rate_limited} rate limited, {caller.stats.retries} retried),"
        f" {u.get('prompt_tokens', 0):,} input tokens ({u.get('cached_tokens', 0):,} cached by the server),"
        f" {u.get('completion_tokens', 0):,} output tokens, cost {spent}."
    )
    return line


def report_markdown(
    settings: Settings, results: list[PairResult], caller: ModelCaller | None, seconds: float, notes: list[str]
) -> str:
    """A Markdown report for a pull request body."""
    out = ["## Generated explanations", ""]
    check = (
        f"checked for faithfulness by `{settings.judge}`"
        if settings.verify
        else "**not** checked for faithfulness (verify is off)"
    )
    out += [
        f"Model `{settings.model}` (temperature {settings.temperature:g}, max {settings.max_tokens} tokens), {check}.",
        "",
    ]
    if caller is not None:
        out += [totals_line(results, caller, seconds), ""]
    if not results:
        out += ["Nothing to generate: every explanation is up to date.", ""]
    rows = [r for r in results if r.state == "generated"]
    if rows:
        out += ["| Concept | Persona | Why | Check | Tokens | Cost |", "|---|---|---|---|---:|---:|"]
        for r in rows[:500]:
            out.append(
                f"| `{r.concept}` | `{_persona_label(r)}` | {r.why} | {r.check or 'not checked'} | {_tokens(r.usage)} | {'cache' if r.cached else format_cost(r.cost)} |"
            )
        if len(rows) > 500:
            out.append(f"| ... | {len(rows) - 500} more | | | | |")
        out.append("")
    failed = [r for r in results if r.state == "failed"]
    if failed:
        out += [f"### Failed ({len(failed)})", ""]
        out += [f"- `{r.concept}` / `{_persona_label(r)}`: {r.error}" for r in failed]
        out.append("")
    skipped = [r for r in results if r.state == "skipped"]
    if skipped:
        out += [f"### Not started ({len(skipped)}): the spending cap was reached", ""]
        out += [f"- `{r.concept}` / `{_persona_label(r)}`" for r in skipped[:200]]
        out.append("")
    for note in notes:
        out.append(f"> {note}")
    return redact("\n".join(out).rstrip() + "\n")


def _persona_label(item) -> str:
    """A persona as tables show it: `jp-cpa (ja)` for a text in another language than the source."""
    return item.persona + (f" ({item.language})" if item.language else "")


def _dry_run(console: Console, glossary: Glossary, settings: Settings, plan: Plan, force: bool) -> None:
    if not plan.todo:
        console.print("Nothing to generate: every selected pair is fresh, curated or a draft.")
        return
    memo = Memo(settings.cache_path) if (settings.cache_path / "calls").is_dir() and not force else None
    table = Table(title="Would generate")
    for name in ("concept", "persona", "why", "est. tokens", "est. cost"):
        table.add_column(name, justify="right" if name.startswith("est.") else "left")
    uncached = []
    for s in plan.todo:
        edition = plan.editions[s.language]
        concept, persona = edition.glossary.concepts[s.concept], edition.glossary.personas[s.persona]
        key = request_key(
            settings.model,
            build_messages(edition.glossary, concept, persona, edition.language),
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            response_format=None,
        )
        if memo is not None and key in memo:
            table.add_row(s.concept, _persona_label(s), _why(s), "0", "cached")
            continue
        uncached.append((s.concept, s.persona))
        found = estimate(glossary, settings, [(s.concept, s.persona)])
        table.add_row(
            s.concept,
            _persona_label(s),
            _why(s),
            f"{found['input_tokens'] + found['output_tokens']:,}",
            format_cost(found["cost"]),
        )
    if memo is not None:
        memo.close()
    console.print(table)
    found = estimate(glossary, settings, uncached)
    cached = len(plan.todo) - len(uncached)
    cost = (
        format_cost(found["cost"])
        if found["cost"] is not None
        else f"unknown (no price for {settings.model}; add it under the plugin's `prices:` in mkdocs.yml)"
    )
    console.print(
        f"Would generate {len(plan.todo)} pair{'s' if len(plan.todo) != 1 else ''} with {settings.model}"
        f" ({cached} from cache): ~{found['input_tokens']:,} input + ~{found['output_tokens']:,} output tokens, estimated cost {cost}."
        + (" Includes the faithfulness check." if settings.verify else ""),
        markup=False,
    )


# --------------------------------------------------------------------------- commands


@click.command("generate", cls=GlossaryCommand)
@click.option("--concept", "concepts", multiple=True, metavar="SLUG", help="Only this concept (repeatable).")
@click.option("--persona", "personas", multiple=True, metavar="SLUG", help="Only this persona (repeatable).")
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
    "--language",
    "languages",
    multiple=True,
    metavar="CODE",
    help="Only this language's texts (repeatable; default: every language in `languages:`).",
)
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
    config_file: str = "mkdocs.yml",
) -> None:
    """Generate every missing or stale explanation (calls the model)."""
    console = make_console()
    settings = load_settings(config_file).override(jobs=jobs, max_cost=max_cost)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    plan = make_plan(glossary, settings, tuple(concepts), tuple(personas), force, tuple(languages))
    store = plan.editions[None].store if None in plan.editions else Store(settings.concepts_path)
    for s in plan.broken:
        console.print(f"skipped {s.label}: {s.describe()} (fix or delete the file)", markup=False)
    if dry_run:
        for note in plan.notes:
            console.print(f"note: {note}", markup=False)
        _dry_run(console, glossary, settings, plan, force)
        return
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
    run = Run(settings, glossary, store, caller, force=force, progress=progress, editions=plan.editions)
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
@config_option
def preview_command(concept: str, persona: str, config_file: str = "mkdocs.yml") -> None:
    """Print one explanation (through the cache) without touching the committed text."""
    settings = load_settings(config_file)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    _check_names((concept,), glossary.concepts, "concept", settings.concepts_dir)
    _check_names((persona,), glossary.personas, "persona", settings.personas_dir)
    if glossary.concepts[concept].draft:
        click.echo(f"note: {concept} is a draft; `generate` skips it until it has key facts", err=True)
    caller = ModelCaller(settings, jobs=1)
    pipeline = Pipeline(settings, glossary, caller)

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
    where = "from the cache" if body.cached else f"{_tokens(body.usage)} tokens, {format_cost(body.cost)}"
    click.echo(f"\n[{concept}/{persona} by {settings.model}, {where}; not checked and not saved]", err=True)
