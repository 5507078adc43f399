"""`glossary verify`: ask the judge again about committed explanations."""

from __future__ import annotations

import asyncio

import click
from rich.markup import escape

from generator.cli.options import (
    GlossaryCommand,
    config_option,
)
from generator.writing.judge import (
    VerifyResult,
    _targets,
    _verify_all,
    may_write_verdicts,
    write_verdict,
)


def _print_results(out, results: list[VerifyResult]) -> None:
    from rich.table import Table

    table = Table(title="Faithfulness check", show_lines=True)
    table.add_column("pair", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("findings")
    for r in results:
        verdict = "[green]pass[/]" if r.passed else ("[red]error[/]" if r.error else "[red]FAIL[/]")
        findings = "\n".join(r.findings)
        if r.note:
            findings += f"\n({r.note})"
        table.add_row(f"{r.concept}/{r.persona}", verdict, escape(findings))
    out.print(table)
    for r in results:  # whole lines too, so logs can be searched whatever the table's width
        if not r.passed:
            for finding in r.findings:
                out.print(f"FAILED {r.concept}/{r.persona}: {finding}", markup=False, soft_wrap=True)


@click.command("verify", cls=GlossaryCommand)
@click.option("--concept", "concepts", multiple=True, metavar="SLUG", help="Only this concept (repeatable).")
@click.option("--persona", "personas", multiple=True, metavar="SLUG", help="Only this persona (repeatable).")
@click.option(
    "--write-verdicts/--no-write-verdicts",
    "write_verdicts",
    default=None,
    help="Record passing verdicts in the texts' front matter. Default: only when the model server is not on this machine (OPENAI_BASE_URL unset or not a loopback address).",
)
@click.option("--force", is_flag=True, help="Ask the judge again instead of using cached verdicts.")
@click.option("--jobs", type=click.IntRange(min=1), help="Judge calls in flight at most (default: config `jobs`).")
@config_option
def verify_command(
    concepts: tuple[str, ...],
    personas: tuple[str, ...],
    write_verdicts: bool | None,
    force: bool,
    jobs: int | None,
    config_file: str,
) -> None:
    """Re-check stored explanations, curated ones included, against their key facts; never regenerates.

    Exits 1 if any text contradicts a key fact, asserts a misconception, makes a false claim,
    or gets a verdict that cannot be read."""
    from generator.cli.options import console
    from generator.inputs.load import load_glossary
    from generator.llm.calls import ModelCaller
    from generator.settings import load_settings
    from generator.texts.store import Store

    settings = load_settings(config_file)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
    store = Store(settings.concepts_path)
    targets, results = _targets(glossary, settings, store, concepts, personas)
    out = console()
    if not targets and not results:
        out.print("No stored explanation matches; nothing to verify.")
        return
    allowed, why = may_write_verdicts(write_verdicts)
    if targets:
        caller = ModelCaller(settings, jobs=jobs)

        async def run() -> list[VerifyResult]:
            try:
                return await _verify_all(caller, settings, glossary, targets, bypass_cache=force)
            finally:
                await caller.aclose()

        checked = asyncio.run(run())
        by_pair = {(s.concept, s.persona): s for s in targets}
        for r in checked:
            if r.passed and allowed:
                r.written, r.note = write_verdict(store, by_pair[(r.concept, r.persona)], r.verdict)
        results = sorted(results + checked, key=lambda r: (r.concept, r.persona))
    _print_results(out, results)
    failed = [r for r in results if not r.passed]
    written = sum(r.written for r in results)
    out.print(f"{len(results)} checked by {settings.judge}: {len(results) - len(failed)} passed, {len(failed)} failed.")
    if allowed:
        out.print(f"Verdicts recorded in {written} file{'s' if written != 1 else ''} ({why}).")
    else:
        out.print(f"Verdicts not recorded: {why}.")
    if failed:
        raise SystemExit(1)
