"""`glossary verify`: ask the judge again about committed explanations."""

from __future__ import annotations

import asyncio

import click
from rich.markup import escape

from generator.cli.options import (
    GlossaryCommand,
    concept_option,
    config_option,
    language_option,
    persona_option,
)
from generator.writing.judge import (
    VerifyResult,
    _targets,
    _verify_all,
    may_write_verdicts,
    run_checks,
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
        if r.passed and r.checks:
            verdict = "[yellow]pass, see findings[/]"
        findings = "\n".join(r.findings)
        if r.note:
            findings += f"\n({r.note})"
        table.add_row(r.label, verdict, escape(findings))
    out.print(table)
    for r in results:  # whole lines too, so logs can be searched whatever the table's width
        if not r.passed or r.checks:
            for finding in r.findings:
                out.print(
                    f"{'FAILED' if not r.passed else 'REPORTED'} {r.label}: {finding}",
                    markup=False,
                    soft_wrap=True,
                )


@click.command("verify", cls=GlossaryCommand)
@concept_option
@persona_option
@click.option(
    "--write-verdicts/--no-write-verdicts",
    "write_verdicts",
    default=None,
    help="Record passing verdicts in the texts' front matter. Default: only when the model server is not on this machine (OPENAI_BASE_URL unset or not a loopback address).",
)
@click.option("--force", is_flag=True, help="Ask the judge again instead of using cached verdicts.")
@click.option("--jobs", type=int, help="Judge calls in flight at most, 1 to 256 (default: config `jobs`).")
@click.option(
    "--checks-only",
    is_flag=True,
    help="Only the checks that need no model (numbers, names, a text cut off): no key, no network.",
)
@language_option
@config_option
def verify_command(
    concepts: tuple[str, ...],
    personas: tuple[str, ...],
    languages: tuple[str, ...],
    write_verdicts: bool | None,
    force: bool,
    jobs: int | None,
    checks_only: bool,
    config_file: str,
) -> None:
    """Re-check stored explanations, curated ones included, against their key facts; never regenerates.

    Every text also goes through the checks that need no model: each number must appear in the
    concept (definition, facts, quotes, related summaries) or follow from arithmetic the text shows,
    each cited author or product name must appear in the concept or the glossary, and the text must
    not stop mid-sentence. Their findings block generated texts and are reported for curated ones.

    Exits 1 if any text contradicts a key fact, asserts a misconception, makes a false claim,
    gets a verdict that cannot be read, or is a generated text with a check finding."""
    from generator.cli.options import console
    from generator.errors import ConfigError
    from generator.inputs.load import load_glossary
    from generator.llm.calls import ModelCaller
    from generator.settings import load_settings
    from generator.texts.editions import editions

    settings = load_settings(config_file).override(jobs=jobs)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir, settings.all_languages)
    found = editions(glossary, settings, languages)
    unknown = [p for p in personas if p not in glossary.personas]
    if unknown:
        raise ConfigError(f"no persona {unknown[0]!r} (no file {settings.personas_dir}/{unknown[0]}.yaml)")
    targets, results, by_language = [], [], {}
    for edition in found:
        chosen = tuple(p for p in personas if p in edition.glossary.personas) if personas else ()
        if personas and not chosen:
            continue  # the personas named have no tab in this language
        more, broken = _targets(edition.glossary, edition.settings, edition.store, concepts, chosen)
        targets += more
        results += broken
        by_language[edition.store.language] = edition
    out = console()
    if not targets and not results:
        out.print("No stored explanation matches; nothing to verify.")
        return

    def in_order(items: list[VerifyResult]) -> list[VerifyResult]:
        return sorted(items, key=lambda r: (r.language or "", r.concept, r.persona))

    if checks_only:
        for language, edition in by_language.items():
            results += run_checks(edition.glossary, [s for s in targets if s.language == language])
        results = in_order(results)
        for r in results:
            r.judged = False
        _report(out, results, "the checks that need no model")
        return
    allowed, why = may_write_verdicts(write_verdicts)
    if targets:
        caller = ModelCaller(settings, jobs=settings.jobs)

        async def run() -> list[VerifyResult]:
            try:
                checked = []
                for language, edition in by_language.items():
                    mine = [s for s in targets if s.language == language]
                    checked += await _verify_all(caller, settings, edition.glossary, mine, bypass_cache=force)
                return checked
            finally:
                await caller.aclose()

        checked = asyncio.run(run())
        by_pair = {(s.concept, s.persona, s.language): s for s in targets}
        for r in checked:
            if r.passed and allowed:
                store = by_language[r.language].store
                r.written, r.note = write_verdict(store, by_pair[(r.concept, r.persona, r.language)], r.verdict)
        results = in_order(results + checked)
    written = sum(r.written for r in results)
    if allowed:
        tail = f"Verdicts recorded in {written} file{'s' if written != 1 else ''} ({why})."
    else:
        tail = f"Verdicts not recorded: {why}."
    _report(out, results, settings.judge, tail)


def _report(out, results: list[VerifyResult], by: str, tail: str = "") -> None:
    _print_results(out, results)
    failed = [r for r in results if not r.passed]
    reported = sum(len(r.checks) for r in results if r.curated)
    out.print(f"{len(results)} checked by {by}: {len(results) - len(failed)} passed, {len(failed)} failed.")
    if reported:
        out.print(f"{reported} check finding{'s' if reported != 1 else ''} in curated texts (reported, not blocking).")
    if tail:
        out.print(tail)
    if failed:
        raise SystemExit(1)
