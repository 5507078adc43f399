"""`glossary generate --batch` and `glossary collect`: generation through the Batch API (writing/batch.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click
from rich.console import Console

from generator.cli.options import GlossaryCommand, config_option
from generator.cli.options import console as make_console
from generator.cli.runreport import report_markdown, summary_table, totals_line
from generator.errors import GlossaryError, ModelError
from generator.inputs.load import load_glossary
from generator.llm.calls import ModelCaller
from generator.settings import Settings, load_settings
from generator.texts.store import atomic_write
from generator.writing import batch as batching
from generator.writing import runlock
from generator.writing.failures import save_failures
from generator.writing.generate import Plan, Run, edition_prompts, make_plan, remove_stale_temp_files, stamp_edited
from generator.writing.results import PairResult


def run_batch(console: Console, settings: Settings, plan: Plan, prompts: dict, report: str | None, send: bool) -> None:
    """Collect finished batches, store what came back, send what is left (when `send`), report."""
    for store in {e.store.root: e.store for e in plan.editions.values()}.values():
        remove_stale_temp_files(store)
    for label in stamp_edited(plan.editions, plan.statuses):
        console.print(f"{label}: edited by hand, now curated (never regenerated)", markup=False)
    for note in plan.notes:
        console.print(f"note: {note}", markup=False)
    state = batching.state_for(settings)
    requests = [batching.first_request(settings, plan.editions[s.language], prompts[s.language], s) for s in plan.todo]
    caller = ModelCaller(settings, jobs=settings.jobs, max_cost=settings.max_cost)  # checks the key first
    outcome = batching.Outcome()
    source = plan.editions[None] if None in plan.editions else next(iter(plan.editions.values()))
    run = Run(
        settings,
        source.glossary,
        source.store,
        caller,
        force=False,
        progress=_Quiet(),
        editions=plan.editions,
        prompts=prompts,
        billed="batch",
    )
    started = time.monotonic()
    ready: list = []
    try:
        ready = asyncio.run(_batch(caller, state, settings, requests, run, outcome, send))
    except ModelError:
        save_failures(settings, list(run.results.values()))
        raise
    results = [run.results[(r.status.concept, r.status.persona, r.status.language)] for r in ready]
    results += [
        PairResult(
            r.status.concept,
            r.status.persona,
            "failed",
            why="batch",
            error="a batch never ran it, twice: run `glossary generate` without --batch",
            language=r.status.language,
        )
        for r in outcome.given_up_requests
    ]
    save_failures(settings, results)
    if results:
        console.print(summary_table(results))
        console.print(totals_line(results, caller, time.monotonic() - started), markup=False)
    lines = outcome_lines(outcome)
    for line in lines:
        console.print(line, markup=False)
    if report:
        text = report_markdown(settings, results, caller if results else None, time.monotonic() - started, plan.notes)
        atomic_write(Path(report), text + "\n".join(["", "### Batches", "", *[f"- {line}" for line in lines]]) + "\n")
    failed = [r for r in results if r.state == "failed"]
    if failed:
        raise GlossaryError(
            f"{len(failed)} of {len(results)} collected pair(s) failed (listed above); run again to retry them."
        )


async def _batch(caller, state, settings, requests, run, outcome, send: bool) -> list:
    try:
        await batching.collect(caller.client, caller, state, settings, outcome)
        ready, out, to_send, given_up = batching.triage(requests, state, lambda key: key in caller.memo)
        outcome.waiting = [r.custom_id.rsplit("/", 1)[0] for r in out]
        outcome.given_up_requests = given_up
        outcome.given_up = [r.custom_id.rsplit("/", 1)[0] for r in given_up]
        if ready:
            await run.all([r.status for r in ready])
        resend = [r for r in to_send if state.not_run.get(r.keys[0])]
        outcome.resent = [r.custom_id.rsplit("/", 1)[0] for r in resend]
        chosen = to_send if send else resend
        if chosen:
            await batching.submit(caller.client, chosen, state, outcome)
        return ready
    finally:
        await caller.aclose()


def outcome_lines(outcome: batching.Outcome) -> list[str]:
    """What the batches did, one line each: for the console and the pull request."""
    lines = [f"{outcome.arrived} answer(s) collected from finished batches."]
    for b in outcome.out:
        lines.append(f"Still out: batch {b['id']} ({b['status']}, {b['requests']} request(s)).")
    if outcome.waiting:
        lines.append(
            f"Waiting for those batches: {', '.join(outcome.waiting[:50])}"
            + (" ..." if len(outcome.waiting) > 50 else "")
        )
    for b in outcome.sent:
        lines.append(f"Sent: batch {b['id']} with {b['requests']} request(s); collect it with the next run.")
    if outcome.resent:
        lines.append(f"Sent again (a batch never ran them): {', '.join(outcome.resent)}")
    if outcome.given_up:
        lines.append(
            f"Not run by two batches, not sent again (run `glossary generate` for them): {', '.join(outcome.given_up)}"
        )
    lines += [f"Failed: {why}" for why in outcome.failed]
    return lines


class _Quiet:
    """Progress for a batch run's stored pairs: the summary table says it all."""

    def advance(self, result: PairResult) -> None:
        pass


@click.command("collect", cls=GlossaryCommand)
@click.option(
    "--report", type=click.Path(dir_okay=False), help="Write a Markdown report (for a pull request body) to this file."
)
@config_option
def collect_command(report: str | None = None, config_file: str = "mkdocs.yml") -> None:
    """Collect finished batches and store what passes the check; send nothing new (see `generate --batch`)."""
    console = make_console()
    settings = load_settings(config_file)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    with runlock.held(settings.cache_path):  # the same lock as `generate`: both store texts and send requests
        plan = make_plan(glossary, settings)
        prompts = {key: edition_prompts(plan, key, settings.examples) for key in plan.editions}
        run_batch(console, settings, plan, prompts, report, send=False)
