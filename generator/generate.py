"""`glossary generate` and `glossary preview`: explanations from a model, cached, resumable, concurrent.

The pipeline: validate everything first (inputs, settings, names on the command line, the key),
plan (missing and stale pairs; --force adds fresh ones, never curated ones or drafts), then call
the model concurrently and write each finished pair atomically the moment it is done, so an
interrupted run loses nothing finished and the next run resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .cache import Memo, request_key
from .calls import SPENDING, BudgetReached, CallError, CallResult, ModelCaller
from .client import redact
from .concepts import Concept, Glossary, Persona, load_glossary
from .config import Settings, load_settings
from .costs import add_usage, estimate, format_cost, price_for, usage_cost
from .errors import ConfigError, GlossaryError, ModelError
from .fingerprint import CONTENT_INPUTS, combine
from .prompts import build_messages
from .sanitize import clean_markdown
from .status import BROKEN, CURATED, DRAFT, FRESH, ORPHAN, REVIEW, PairStatus, glossary_status
from .store import Explanation, Store, StoreError, atomic_write

FAILURES_FILE = "failures.json"
MIN_WORDS = 12

config_option = click.option("-f", "--config-file", default="mkdocs.yml", show_default=True, type=click.Path(dir_okay=False), help="The site's mkdocs.yml.")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


# --------------------------------------------------------------------------- cleaning answers


class Rejected(Exception):
    """An answer that must not be published (truncated, empty, refused, failing the check)."""


HTML_TAGS = (
    "a abbr address article aside audio b base bdi bdo blockquote body br button canvas caption center cite code col colgroup "
    "data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure font footer form frame frameset "
    "h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins kbd label legend li link main map mark marquee math menu "
    "meta meter nav noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp script "
    "section select small source span strike strong style sub summary sup svg table tbody td template textarea tfoot th "
    "thead time title tr track u ul var video wbr"
).split()
_TAG = r"(?:" + "|".join(sorted(HTML_TAGS, key=len, reverse=True)) + r")"
DANGEROUS_BLOCK_RE = re.compile(r"<(script|style|iframe|object|embed|noscript|template|svg|math|textarea|select|head|title)\b[^>]*>.*?</\1\s*>", re.I | re.S)
COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
LINK_RE = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["'](https?://[^"'\s]+)["'][^>]*>(.*?)</a\s*>""", re.I | re.S)
HEADING_RE = re.compile(r"<h([1-6])\b[^>]*>", re.I)
TAG_RE = re.compile(r"</?" + _TAG + r"""\b(?:[^<>"']|"[^"]*"|'[^']*')*/?>""", re.I)
WHOLE_FENCE_RE = re.compile(r"\A\s*(`{3,}|~{3,})[ \t]*(?:markdown|md|text|html|)[ \t]*\n(.*)\n\1[ \t]*\s*\Z", re.S | re.I)
PREAMBLE_RE = re.compile(
    r"\A(?:(?:sure|certainly|of course|absolutely|great question)[!.,]?[ \t]*(?:\n|(?=here|below)))?"
    r"(?:(?:here(?:'|’)?s|here is|below is)\b[^\n]{0,160}:[ \t]*\n)?",
    re.I,
)
REFUSAL_RE = re.compile(r"\A\W*(?:i(?:'|’)m sorry|i am sorry|sorry,|i can(?:'|’)?t|i cannot|i(?:'|’)m (?:not )?(?:able|unable)|i am unable|i won(?:'|’)t|as an ai\b)", re.I)
FENCE_LINE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)


def strip_html(text: str) -> str:
    """Raw HTML out of Markdown: scripts and styles with their content, other tags kept as text.

    Code (fenced blocks and inline spans) is left alone, and so is text such as `r < min(d, k)`
    that only looks like a tag, since only real HTML element names are removed.
    """
    out: list[str] = []
    chunk: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = FENCE_LINE_RE.match(line)
        if fence is None and match:
            out.append(_strip_html_prose("\n".join(chunk)))
            chunk = []
            fence = match.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            if line.strip().startswith(fence[0] * len(fence)) and line.strip().strip(fence[0]) == "":
                fence = None
        else:
            chunk.append(line)
    if chunk:
        out.append(_strip_html_prose("\n".join(chunk)))
    return "\n".join(part for part in out)


def _strip_html_prose(text: str) -> str:
    spans: list[str] = []

    def keep(match: re.Match) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    text = CODE_SPAN_RE.sub(keep, text)
    text = COMMENT_RE.sub("", text)
    text = DANGEROUS_BLOCK_RE.sub("", text)
    text = LINK_RE.sub(lambda m: f"[{TAG_RE.sub('', m.group(2)).strip()}]({m.group(1)})", text)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = re.sub(r"<li\b[^>]*>", "\n- ", text, flags=re.I)
    text = HEADING_RE.sub(lambda m: "\n\n" + "#" * int(m.group(1)) + " ", text)
    text = re.sub(r"</(?:p|div|h[1-6]|ul|ol|li|table|tr|blockquote|section|article|header|footer|pre)\s*>", "\n\n", text, flags=re.I)
    text = re.sub(r"</?(?:strong|b)\s*>", "**", text, flags=re.I)
    text = re.sub(r"</?(?:em|i)\s*>", "*", text, flags=re.I)
    text = re.sub(r"</?code\s*>", "`", text, flags=re.I)
    previous = None
    while previous != text:  # nested or split tags (`<scr<script>ipt>`) cannot survive one pass
        previous = text
        text = TAG_RE.sub("", text)
        text = DANGEROUS_BLOCK_RE.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


def clean_answer(content: str | None, refusal: str | None = None) -> str:
    """The publishable Markdown body of an answer, or Rejected saying why there is none."""
    if refusal:
        raise Rejected(f"the model refused: {refusal.strip()[:200]}")
    if content is None or not content.strip():
        raise Rejected("the model returned an empty answer")
    text = content.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    whole = WHOLE_FENCE_RE.match(text)
    if whole:
        text = whole.group(2)
    text = strip_html(text)
    text = PREAMBLE_RE.sub("", text.lstrip(), count=1)
    body = clean_markdown(text)
    words = len(re.findall(r"\w+", body))
    if REFUSAL_RE.match(body) and words < 80:
        raise Rejected(f"the model declined: {body.strip()[:200]}")
    if not body.strip():
        raise Rejected("the answer held nothing but markup")
    wide = len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", body))
    if words < MIN_WORDS and wide < 3 * MIN_WORDS:
        raise Rejected(f"the answer is too short to publish ({words} words): {body.strip()[:120]!r}")
    return body


def is_truncated(result: CallResult, max_tokens: int) -> bool:
    return result.finish_reason == "length" or (result.usage.get("completion_tokens") or 0) >= max_tokens


# --------------------------------------------------------------------------- results


@dataclass
class PairResult:
    concept: str
    persona: str
    state: str  # generated | failed | skipped
    why: str = ""  # why it was planned (missing, stale: concept changed, forced)
    error: str = ""
    usage: dict = field(default_factory=dict)  # tokens of every answer behind this text
    cost: float | None = 0.0  # dollars this run spent on it (0 when served from the cache)
    cached: bool = False  # every answer came from the cache
    check: str = ""  # passed | passed on the second try | not checked
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.concept}/{self.persona}"


@dataclass
class Body:
    text: str
    keys: list[str]
    usage: dict
    cost: float | None
    cached: bool


class Pipeline:
    """Generates the bodies of pairs; shared by `generate` and `preview`."""

    def __init__(self, settings: Settings, glossary: Glossary, caller: ModelCaller, *, force: bool = False):
        self.settings = settings
        self.glossary = glossary
        self.caller = caller
        self.force = force

    async def body(self, concept: Concept, persona: Persona, feedback: list[str] | None = None) -> Body:
        """One cleaned body: truncation retried once with twice the room, a bad answer once more."""
        s = self.settings
        messages = build_messages(self.glossary, concept, persona, s.language, feedback=feedback)
        max_tokens = s.max_tokens
        bypass = self.force
        grown = retried = False
        usage: dict = {}
        cost: float | None = 0.0
        cached = True
        while True:
            result = await self.caller.complete(s.model, messages, s.temperature, max_tokens, bypass_cache=bypass)
            add_usage(usage, _token_usage(result.usage))
            cost = None if cost is None or result.cost is None else cost + result.cost
            cached = cached and result.cached
            if result.finish_reason == "content_filter":
                self.caller.forget(result.key)
                if retried:
                    raise Rejected("the server's content filter stopped the answer twice")
                retried = bypass = True
                continue
            if is_truncated(result, max_tokens):
                self.caller.forget(result.key)
                if grown:
                    raise Rejected(f"the answer was cut off twice (at max_tokens {s.max_tokens}, then {max_tokens}); raise max_tokens in mkdocs.yml or lower the persona's length")
                grown = True
                max_tokens *= 2
                continue
            try:
                text = clean_answer(result.content, result.refusal)
            except Rejected:
                self.caller.forget(result.key)
                if retried:
                    raise
                retried = bypass = True
                continue
            return Body(text, [result.key], usage, cost, cached)


def _token_usage(usage: dict) -> dict:
    return {k: v for k, v in usage.items() if k in ("prompt_tokens", "completion_tokens", "cached_tokens")}


# --------------------------------------------------------------------------- planning


@dataclass
class Plan:
    todo: list[PairStatus]
    statuses: list[PairStatus]
    notes: list[str]
    broken: list[PairStatus]


def _check_names(names: tuple[str, ...], known: dict, kind: str, folder: str) -> None:
    for name in names:
        if name not in known:
            hint = difflib.get_close_matches(name, list(known), n=1)
            raise ConfigError(f"no {kind} {name!r} (no file {folder}/{name}.yaml)" + (f"; did you mean {hint[0]!r}?" if hint else ""))


def make_plan(glossary: Glossary, settings: Settings, store: Store, concepts: tuple[str, ...] = (), personas: tuple[str, ...] = (), force: bool = False) -> Plan:
    """Which pairs to generate, in a stable order (concept, then persona tab order)."""
    _check_names(concepts, glossary.concepts, "concept", settings.concepts_dir)
    _check_names(personas, glossary.personas, "persona", settings.personas_dir)
    statuses = glossary_status(glossary, settings, store)
    chosen = [
        s for s in statuses
        if s.state != ORPHAN and (not concepts or s.concept in concepts) and (not personas or s.persona in personas)
    ]
    todo = [s for s in chosen if s.needs_generation or (force and s.state == FRESH)]
    notes = []
    drafts = sorted({s.concept for s in chosen if s.state == DRAFT and s.concept in concepts})
    if drafts:
        notes.append(f"skipped drafts (add key facts and remove `draft: true` to generate them): {', '.join(drafts)}")
    kept = [s for s in chosen if s.state in (CURATED, REVIEW)]
    if force and kept:
        notes.append(f"kept {len(kept)} curated pair{'s' if len(kept) != 1 else ''}: curated texts are never regenerated, not even with --force")
    broken = [s for s in chosen if s.state == BROKEN]
    return Plan(todo, statuses, notes, broken)


def _why(status: PairStatus) -> str:
    return "fresh, forced" if status.state == FRESH else status.describe()


STALE_TEMP_SECONDS = 10.0


def remove_stale_temp_files(store: Store) -> int:
    """Temporary files left by a writer that was killed mid-write (`.<persona>.md.*.tmp`)."""
    removed = 0
    if not store.root.is_dir():
        return removed
    cutoff = time.time() - STALE_TEMP_SECONDS
    for path in store.root.glob("*/.*.md.*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def stamp_edited(store: Store, statuses: list[PairStatus]) -> list[str]:
    """Generated texts that a person edited become curated, so no run ever overwrites them."""
    stamped = []
    for s in statuses:
        e = s.explanation
        if e is not None and e.edited:
            e.meta["source"] = "curated"
            recorded = e.meta.get("inputs")
            if isinstance(recorded, dict):
                e.meta["fingerprint"] = combine(recorded, CONTENT_INPUTS)
            store.write(e)
            stamped.append(f"{s.concept}/{s.persona}")
    return stamped


# --------------------------------------------------------------------------- failures record


def failures_path(settings: Settings) -> Path:
    return settings.cache_path / FAILURES_FILE


def load_failures(settings: Settings) -> dict[tuple[str, str], dict]:
    """The pairs whose last generation failed, and why (from `<cache_dir>/failures.json`)."""
    try:
        data = json.loads(failures_path(settings).read_text(encoding="utf-8"))
        return {(f["concept"], f["persona"]): f for f in data.get("failures", []) if isinstance(f, dict) and "concept" in f and "persona" in f}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def save_failures(settings: Settings, results: list[PairResult]) -> None:
    """Replace the record of every pair attempted in this run; keep the others' last failure."""
    known = load_failures(settings)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    for r in results:
        if r.state == "failed":
            known[(r.concept, r.persona)] = {"concept": r.concept, "persona": r.persona, "reason": r.error, "model": settings.model, "when": now}
        elif r.state == "generated":
            known.pop((r.concept, r.persona), None)
    if not known and not failures_path(settings).exists():
        return
    payload = {"version": 1, "failures": [known[k] for k in sorted(known)]}
    try:
        atomic_write(failures_path(settings), json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        click.echo(f"warning: cannot record failures in {failures_path(settings)}: {exc}", err=True)


# --------------------------------------------------------------------------- the run


class Progress:
    """A rich progress bar on a terminal; one plain line per finished pair otherwise."""

    def __init__(self, console: Console, total: int):
        self.console = console
        self.total = total
        self.done = 0
        self._bar = None
        if console.is_terminal and total:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

            self._bar = Bar(TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"), console=console)
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


class Run:
    """One `glossary generate` run over planned pairs."""

    def __init__(self, settings: Settings, glossary: Glossary, store: Store, caller: ModelCaller, *, force: bool, progress: Progress):
        self.settings = settings
        self.glossary = glossary
        self.store = store
        self.caller = caller
        self.pipeline = Pipeline(settings, glossary, caller, force=force)
        self.progress = progress
        self.results: dict[tuple[str, str], PairResult] = {}
        self.judge = None
        if settings.verify:
            self.judge = _load_judge()

    async def all(self, todo: list[PairStatus]) -> None:
        # Twice as many workers as requests may be in flight, each taking the next pair when done:
        # a pair's prompt is built while others wait for answers. One task per pair built every
        # prompt of the run before the first request left (seconds, for tens of thousands).
        pending = iter(todo)

        async def worker() -> None:
            for status in pending:
                await self.one(status)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(len(todo), 2 * self.caller.limiter.jobs)):
                    group.create_task(worker())
        except* ModelError as errors:
            raise errors.exceptions[0] from None

    async def one(self, status: PairStatus) -> None:
        started = time.monotonic()
        result = PairResult(status.concept, status.persona, "failed", why=_why(status))
        spending = {"cost": 0.0}
        SPENDING.set(spending)  # this task's own context: every call it makes adds its cost here
        try:
            await self._generate(status, result)
            result.state = "generated"
        except BudgetReached as exc:
            result.state, result.error = "skipped", str(exc)
        except (Rejected, CallError) as exc:
            result.error = redact(str(exc))
        except ModelError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in one pair must not stop the others
            result.error = redact(f"{type(exc).__name__}: {exc}")
        result.cost = spending["cost"]
        result.cached = not spending.get("calls")  # no request at all: everything came from the cache
        result.seconds = time.monotonic() - started
        self.results[(status.concept, status.persona)] = result
        self.progress.advance(result)

    async def _generate(self, status: PairStatus, result: PairResult) -> None:
        concept = self.glossary.concepts[status.concept]
        persona = self.glossary.personas[status.persona]
        feedback = None
        verdict = None
        rounds = 2 if self.judge is not None else 1
        for round_ in range(1, rounds + 1):
            body = await self.pipeline.body(concept, persona, feedback)
            add_usage(result.usage, body.usage)
            if self.judge is None:
                result.check = ""
                break
            try:
                verdict = await self.judge.check(self.caller, self.settings, self.glossary, concept, persona, body.text)
            except self.judge.VerdictError as exc:
                raise Rejected(f"the fact check's verdict could not be read: {exc}") from None
            if verdict.passed:
                result.check = "checked" if round_ == 1 else "checked, passed on the second try"
                break
            for key in body.keys:
                self.caller.forget(key)
            feedback = list(verdict.failures)
        else:
            findings = "; ".join(verdict.failures) if verdict is not None else "no findings"
            raise Rejected(f"failed the fact check twice: {findings}")
        await asyncio.to_thread(self._write, status, body.text, result, verdict)

    def _write(self, status: PairStatus, text: str, result: PairResult, verdict) -> None:
        if status.explanation is not None or self.store.exists(status.concept, status.persona):
            try:  # a person may have edited (or written) the text while the model was answering
                current = self.store.read(status.concept, status.persona)
            except StoreError as exc:
                raise Rejected(f"not written: {exc}") from None
            if current is not None and current.curated:
                raise Rejected("not written: the text was edited during the run, and edits are kept")
        usage = dict(result.usage)
        cost = usage_cost(self.settings, self.settings.model, usage)
        if cost is not None:
            usage["cost_usd"] = round(cost, 6)
        meta: dict[str, Any] = {
            "source": "generated",
            "model": self.settings.model,
            "date": dt.date.today().isoformat(),
            "fingerprint": combine(status.inputs),
            "inputs": dict(status.inputs),
            "usage": usage,
        }
        if verdict is not None:
            meta["verdict"] = verdict.front_matter()
        else:
            meta["verify"] = False
        self.store.write(Explanation(status.concept, status.persona, text, meta))


def _load_judge():
    try:
        from . import judge
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.judge":
            raise
        raise ConfigError("the faithfulness check is on (verify: true) but not available in this installation; set `verify: false` under the glossary plugin in mkdocs.yml, or GLOSSARY_VERIFY=false") from None
    return judge


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
            state = f"[yellow]not started[/]: {_escape(r.error)}"
        else:
            state = f"[red]failed[/]: {_escape(r.error)}"
        table.add_row(r.concept, r.persona, state, _tokens(r.usage), "cache" if r.cached and r.state == "generated" else format_cost(r.cost))
    return table


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def totals_line(results: list[PairResult], caller: ModelCaller, seconds: float) -> str:
    generated = [r for r in results if r.state == "generated"]
    cached = sum(1 for r in generated if r.cached)
    failed = sum(1 for r in results if r.state == "failed")
    skipped = sum(1 for r in results if r.state == "skipped")
    u = caller.stats.usage
    spent = "unknown (no price for the model)" if caller.stats.unpriced and not caller.stats.spent else format_cost(caller.stats.spent)
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


def report_markdown(settings: Settings, results: list[PairResult], caller: ModelCaller | None, seconds: float, notes: list[str]) -> str:
    """A Markdown report for a pull request body."""
    out = ["## Generated explanations", ""]
    check = f"checked for faithfulness by `{settings.judge}`" if settings.verify else "**not** checked for faithfulness (verify is off)"
    out += [f"Model `{settings.model}` (temperature {settings.temperature:g}, max {settings.max_tokens} tokens), {check}.", ""]
    if caller is not None:
        out += [totals_line(results, caller, seconds), ""]
    if not results:
        out += ["Nothing to generate: every explanation is up to date.", ""]
    rows = [r for r in results if r.state == "generated"]
    if rows:
        out += ["| Concept | Persona | Why | Check | Tokens | Cost |", "|---|---|---|---|---:|---:|"]
        for r in rows[:500]:
            out.append(f"| `{r.concept}` | `{r.persona}` | {r.why} | {r.check or 'not checked'} | {_tokens(r.usage)} | {'cache' if r.cached else format_cost(r.cost)} |")
        if len(rows) > 500:
            out.append(f"| ... | {len(rows) - 500} more | | | | |")
        out.append("")
    failed = [r for r in results if r.state == "failed"]
    if failed:
        out += [f"### Failed ({len(failed)})", ""]
        out += [f"- `{r.concept}` / `{r.persona}`: {r.error}" for r in failed]
        out.append("")
    skipped = [r for r in results if r.state == "skipped"]
    if skipped:
        out += [f"### Not started ({len(skipped)}): the spending cap was reached", ""]
        out += [f"- `{r.concept}` / `{r.persona}`" for r in skipped[:200]]
        out.append("")
    for note in notes:
        out.append(f"> {note}")
    return redact("\n".join(out).rstrip() + "\n")


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
        concept, persona = glossary.concepts[s.concept], glossary.personas[s.persona]
        key = request_key(settings.model, build_messages(glossary, concept, persona, settings.language), temperature=settings.temperature, max_tokens=settings.max_tokens, response_format=None)
        if memo is not None and key in memo:
            table.add_row(s.concept, s.persona, _why(s), "0", "cached")
            continue
        uncached.append((s.concept, s.persona))
        found = estimate(glossary, settings, [(s.concept, s.persona)])
        table.add_row(s.concept, s.persona, _why(s), f"{found['input_tokens'] + found['output_tokens']:,}", format_cost(found["cost"]))
    if memo is not None:
        memo.close()
    console.print(table)
    found = estimate(glossary, settings, uncached)
    cached = len(plan.todo) - len(uncached)
    cost = format_cost(found["cost"]) if found["cost"] is not None else f"unknown (no price for {settings.model}; add it under the plugin's `prices:` in mkdocs.yml)"
    console.print(
        f"Would generate {len(plan.todo)} pair{'s' if len(plan.todo) != 1 else ''} with {settings.model}"
        f" ({cached} from cache): ~{found['input_tokens']:,} input + ~{found['output_tokens']:,} output tokens, estimated cost {cost}."
        + (" Includes the faithfulness check." if settings.verify else ""),
        markup=False,
    )


def _settings(config_file: str, jobs: int | None, max_cost: float | None) -> Settings:
    settings = load_settings(config_file).override(jobs=jobs, max_cost=max_cost)
    problems = []
    if settings.jobs < 1:
        problems.append(f"jobs must be at least 1, not {settings.jobs}")
    if settings.max_tokens < 16:
        problems.append(f"max_tokens must be at least 16, not {settings.max_tokens}")
    if not 0 <= settings.temperature <= 2:
        problems.append(f"temperature must be between 0 and 2, not {settings.temperature}")
    if settings.timeout <= 0:
        problems.append(f"timeout must be a positive number of seconds, not {settings.timeout}")
    if not settings.model.strip():
        problems.append("model must not be empty")
    if settings.max_cost is not None and settings.max_cost < 0:
        problems.append(f"max_cost must not be negative, not {settings.max_cost}")
    if problems:
        raise ConfigError("; ".join(problems))
    return settings


# --------------------------------------------------------------------------- commands


@click.command("generate")
@click.option("--concept", "concepts", multiple=True, metavar="SLUG", help="Only this concept (repeatable).")
@click.option("--persona", "personas", multiple=True, metavar="SLUG", help="Only this persona (repeatable).")
@click.option("--force", is_flag=True, help="Regenerate fresh pairs too, bypassing the cache (never curated ones).")
@click.option("--jobs", type=click.IntRange(min=1, max=256), help="Requests in flight at most (default: `jobs` in mkdocs.yml, 8).")
@click.option("--dry-run", is_flag=True, help="List what would be generated and why, with the estimated cost; call nothing.")
@click.option("--max-cost", type=click.FloatRange(min=0), metavar="USD", help="Start no new request once this many dollars are spent.")
@click.option("--report", type=click.Path(dir_okay=False), help="Write a Markdown report (for a pull request body) to this file.")
@config_option
def generate_command(concepts: tuple[str, ...] = (), personas: tuple[str, ...] = (), force: bool = False, jobs: int | None = None, dry_run: bool = False, max_cost: float | None = None, report: str | None = None, config_file: str = "mkdocs.yml") -> None:
    """Generate every missing or stale explanation (calls the model)."""
    console = _console()
    settings = _settings(config_file, jobs, max_cost)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
    store = Store(settings.concepts_path)
    plan = make_plan(glossary, settings, store, tuple(concepts), tuple(personas), force)
    for s in plan.broken:
        console.print(f"skipped {s.concept}/{s.persona}: {s.describe()} (fix or delete the file)", markup=False)
    if dry_run:
        for note in plan.notes:
            console.print(f"note: {note}", markup=False)
        _dry_run(console, glossary, settings, plan, force)
        return
    remove_stale_temp_files(store)
    stamped = stamp_edited(store, plan.statuses)
    for label in stamped:
        console.print(f"{label}: edited by hand, now curated (never regenerated)", markup=False)
    for note in plan.notes:
        console.print(f"note: {note}", markup=False)
    if not plan.todo:
        from .reports import counts_line

        console.print(f"Nothing to generate ({counts_line([s for s in plan.statuses if s.state != ORPHAN])}).", markup=False)
        if report:
            atomic_write(Path(report), report_markdown(settings, [], None, 0.0, plan.notes))
        return
    if settings.max_cost is not None:
        unpriced = sorted({m for m in (settings.model, settings.judge if settings.verify else settings.model) if price_for(settings, m) is None})
        if unpriced:
            raise ConfigError(
                f"--max-cost needs a price for {', '.join(unpriced)}: add it under the glossary plugin in mkdocs.yml, e.g.\n"
                f"  prices:\n    {unpriced[0]}: {{input: 0.15, cached_input: 0.075, output: 0.6}}   # USD per million tokens (0 for a local model)"
            )
    if settings.verify:
        _load_judge()
    caller = ModelCaller(settings, jobs=settings.jobs, max_cost=settings.max_cost)  # the key is checked here, before any request
    progress = Progress(console, len(plan.todo))
    run = Run(settings, glossary, store, caller, force=force, progress=progress)
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
    results = [run.results.get((s.concept, s.persona)) or PairResult(s.concept, s.persona, "failed", why=_why(s), error=f"stopped: {fatal.message.splitlines()[0] if fatal else 'not run'}") for s in plan.todo]
    save_failures(settings, results)
    if fatal is None or any(r.state == "generated" for r in results):
        console.print(summary_table(results))
        console.print(totals_line(results, caller, seconds), markup=False)
    if report:
        atomic_write(Path(report), report_markdown(settings, results, caller, seconds, plan.notes + ([f"Stopped: {fatal.message}"] if fatal else [])))
    if fatal is not None:
        raise fatal
    failed = [r for r in results if r.state == "failed"]
    skipped = [r for r in results if r.state == "skipped"]
    if skipped:
        console.print(f"Spending cap reached: {len(skipped)} pair{'s' if len(skipped) != 1 else ''} not started; run again (or raise --max-cost) to continue.", markup=False)
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


@click.command("preview")
@click.argument("concept")
@click.argument("persona")
@config_option
def preview_command(concept: str, persona: str, config_file: str = "mkdocs.yml") -> None:
    """Print one explanation (through the cache) without touching the committed text."""
    settings = _settings(config_file, None, None)
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
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
