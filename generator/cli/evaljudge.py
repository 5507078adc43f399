"""`glossary eval-judge`: measure the configured judge on a labelled set."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from rich.markup import escape

from generator.cli.options import GlossaryCommand, config_option, console
from generator.writing.evaluation import NONE, Row


def _percent(row: Row, count: int) -> str:
    rate = row.rate(count)
    return "-" if rate is None else f"{rate:.0%}"


def _table(rows: list[Row], judge: str):
    from rich.table import Table

    table = Table(title=f"Judge {judge} on the labelled set")
    for name in ("kind", "items", "flagged by judge", "recall", "judge + checks", "recall"):
        table.add_column(name, justify="left" if name == "kind" else "right", no_wrap=name == "kind")
    for row in rows:
        name = "correct texts (false alarms)" if row.label == NONE else row.label
        table.add_row(
            name,
            str(row.items),
            str(row.by_judge),
            _percent(row, row.by_judge),
            str(row.by_both),
            _percent(row, row.by_both),
        )
    return table


@click.command("eval-judge", cls=GlossaryCommand)
@click.option(
    "--set",
    "set_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A labelled set (YAML, the shipped set's format). Default: the set shipped with the tool.",
)
@click.option(
    "--language", "languages", multiple=True, metavar="CODE", help="Only items in this language (repeatable)."
)
@click.option("--force", is_flag=True, help="Ask the judge again instead of using cached verdicts.")
@click.option("--jobs", type=int, help="Judge calls in flight at most, 1 to 256 (default: config `jobs`).")
@click.option("-v", "--verbose", is_flag=True, help="Also list every item the judge got wrong.")
@config_option
def eval_judge_command(
    set_file: Path | None, languages: tuple[str, ...], force: bool, jobs: int | None, verbose: bool, config_file: str
) -> None:
    """Run the configured judge on a labelled set and print its recall per error kind and its
    false-alarm rate on correct texts, so a judge model can be chosen with a number."""
    from generator.llm.calls import ModelCaller
    from generator.settings import load_settings
    from generator.writing.evaluation import judge_all, load_eval_set, score, unreadable

    settings = load_settings(config_file).override(jobs=jobs)
    evalset = load_eval_set(set_file)
    if languages:
        evalset.items = [item for item in evalset.items if item.language in languages]
    out = console()
    if not evalset.items:
        out.print("No labelled item matches; nothing to evaluate.")
        return
    caller = ModelCaller(settings, jobs=settings.jobs)

    async def run():
        try:
            return await judge_all(caller, settings, evalset, bypass_cache=force)
        finally:
            await caller.aclose()

    outcomes = asyncio.run(run())
    rows = score(outcomes)
    out.print(_table(rows, settings.judge))
    errors = [r for r in rows if r.label != NONE]
    caught = sum(r.by_judge for r in errors)
    total = sum(r.items for r in errors)
    correct = rows[-1]
    out.print(f"recall on wrong texts: {caught}/{total}" + (f" ({caught / total:.0%})" if total else ""))
    out.print(
        f"false alarms on correct texts: {correct.by_judge}/{correct.items}"
        + (f" ({correct.by_judge / correct.items:.0%})" if correct.items else "")
    )
    missing = unreadable(outcomes)
    if missing:
        out.print(f"{len(missing)} item(s) got no usable verdict and count as not flagged by the judge.")
    if verbose:
        for o in outcomes:
            wrong = bool(o.judge_flagged) != (o.item.label != NONE)
            if wrong:
                what = "missed" if o.item.label != NONE else "false alarm"
                out.print(f"{what}: {o.item.id} ({o.item.label})", markup=False)
                for finding in o.findings:
                    out.print(f"    {escape(finding)}")
