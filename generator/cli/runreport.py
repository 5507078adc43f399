"""What `glossary generate` shows and writes: the dry run, the summary table, the totals, the report.

Costs are shown honestly: what was (or would be) paid, with the prompt cache and the tier (flex or
the Batch API bill at Batch API rates), next to the list price, every input token at the full rate
on the default tier.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator.inputs.schemas import Glossary
from generator.llm.cache import Memo, request_key
from generator.llm.calls import ModelCaller
from generator.llm.client import redact
from generator.llm.costs import estimate, format_cost
from generator.settings import Settings
from generator.texts.prompts import PromptPlan
from generator.writing.generate import Plan, _why
from generator.writing.results import PairResult

TIER_NAMES = {"flex": "flex processing", "batch": "the Batch API", "priority": "priority processing"}


def tokens(usage: dict) -> str:
    """Input plus output tokens, and how many of the input came from the server's prompt cache."""
    total = f"{(usage.get('prompt_tokens') or 0) + (usage.get('completion_tokens') or 0):,}"
    cached = usage.get("cached_tokens") or 0
    return f"{total} ({cached:,} cached)" if cached else total


def persona_label(item) -> str:
    """A persona as tables show it: `jp-cpa (ja)` for a text in another language than the source."""
    return item.persona + (f" ({item.language})" if item.language else "")


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
        cost = "cache" if r.cached and r.state == "generated" else format_cost(r.cost)
        table.add_row(r.concept, persona_label(r), state, tokens(r.usage), cost)
    return table


def money_line(spent: float, list_price: float, tiers: set[str], unpriced: bool) -> str:
    """`cost $X (list price $Y: $Z saved by the prompt cache and flex processing)`."""
    if unpriced and not spent:
        return "cost unknown (no price for the model)"
    line = f"cost {format_cost(spent)}"
    saved = list_price - spent
    if list_price > 0 and saved > 0.000_05:
        discounted = [TIER_NAMES[t] for t in sorted(tiers) if t in ("flex", "batch")]
        how = " and ".join(["the prompt cache", *discounted])
        line += f" (list price {format_cost(list_price)}: {format_cost(saved)} saved by {how})"
    return line


def totals_line(results: list[PairResult], caller: ModelCaller, seconds: float) -> str:
    generated = [r for r in results if r.state == "generated"]
    cached = sum(1 for r in generated if r.cached)
    failed = sum(1 for r in results if r.state == "failed")
    skipped = sum(1 for r in results if r.state == "skipped")
    stats, u = caller.stats, caller.stats.usage
    parts = [f"{len(generated)} generated ({cached} from cache)", f"{failed} failed"]
    if skipped:
        parts.append(f"{skipped} not started")
    prompt, hit = u.get("prompt_tokens", 0), u.get("cached_tokens", 0)
    share = f", {hit / prompt:.0%}" if prompt else ""
    money = money_line(stats.spent, stats.list_price, stats.tiers, bool(stats.unpriced))
    line = ", ".join(parts) + f" in {seconds:.1f} s."
    line += (
        f" {stats.requests} request{'s' if stats.requests != 1 else ''}"
        f" ({stats.rate_limited} rate limited, {stats.retries} retried),"
        f" {prompt:,} input tokens ({hit:,} cached by the server{share}),"
        f" {u.get('completion_tokens', 0):,} output tokens, {money}."
    )
    note = caller.tier.note()
    return line + (f" Note: {note}." if note else "")


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
            cost = "cache" if r.cached else format_cost(r.cost)
            out.append(
                f"| `{r.concept}` | `{persona_label(r)}` | {r.why} | {r.check or 'not checked'} | {tokens(r.usage)} | {cost} |"
            )
        if len(rows) > 500:
            out.append(f"| ... | {len(rows) - 500} more | | | | |")
        out.append("")
    failed = [r for r in results if r.state == "failed"]
    if failed:
        out += [f"### Failed ({len(failed)})", ""]
        out += [f"- `{r.concept}` / `{persona_label(r)}`: {r.error}" for r in failed]
        out.append("")
    skipped = [r for r in results if r.state == "skipped"]
    if skipped:
        out += [f"### Not started ({len(skipped)}): the spending cap was reached", ""]
        out += [f"- `{r.concept}` / `{persona_label(r)}`" for r in skipped[:200]]
        out.append("")
    for note in notes:
        out.append(f"> {note}")
    return redact("\n".join(out).rstrip() + "\n")


def dry_run(
    console: Console,
    glossary: Glossary,
    settings: Settings,
    plan: Plan,
    force: bool,
    prompts: dict[str | None, PromptPlan],
    tier: str | None = None,
) -> None:
    """The pairs a run would generate, why, and what they would cost: list price, with the prompt
    cache, and with the cache and the tier (flex, or the Batch API with --batch)."""
    if not plan.todo:
        console.print("Nothing to generate: every selected pair is fresh, curated or a draft.")
        return
    tier = tier or settings.service_tier
    memo = Memo(settings.cache_path) if (settings.cache_path / "calls").is_dir() and not force else None
    table = Table(title="Would generate")
    for name in ("concept", "persona", "why", "est. tokens", "est. cost"):  # the cost at list price
        table.add_column(name, justify="right" if name.startswith("est.") else "left")
    uncached: dict[str | None, list[tuple[str, str]]] = {}
    for s in plan.todo:
        edition, layout = plan.editions[s.language], prompts[s.language]
        concept, persona = edition.glossary.concepts[s.concept], edition.glossary.personas[s.persona]
        keys = [  # an answer cached from a run laid out otherwise is as good
            request_key(
                settings.model,
                built(edition.glossary, concept, persona, edition.language).messages,
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
            )
            for built in (layout.prompt, layout.other_layout)
        ]
        if memo is not None and any(key in memo for key in keys):
            table.add_row(s.concept, persona_label(s), _why(s), "0", "cached")
            continue
        uncached.setdefault(s.language, []).append((s.concept, s.persona))
        found = estimate(edition.glossary, edition.settings, [(s.concept, s.persona)], layout, tier)
        total = f"{found['input_tokens'] + found['output_tokens']:,}"
        table.add_row(s.concept, persona_label(s), _why(s), total, format_cost(found["list_cost"]))
    if memo is not None:
        memo.close()
    console.print(table)
    found = _sum(
        [
            estimate(plan.editions[k].glossary, plan.editions[k].settings, pairs, prompts[k], tier)
            for k, pairs in uncached.items()
        ],
        tier,
    )
    memo_hits = len(plan.todo) - sum(len(pairs) for pairs in uncached.values())
    pairs = f"{len(plan.todo)} pair{'s' if len(plan.todo) != 1 else ''}"
    layouts = " and ".join(sorted({f"{prompts[k].layout}-first" for k in uncached})) or "as usual"
    console.print(
        f"Would generate {pairs} with {settings.model} ({memo_hits} from the response cache), prompts laid out "
        f"{layouts}: ~{found['input_tokens']:,} input tokens (~{found['cached_tokens']:,} expected from "
        f"the server's prompt cache) + ~{found['output_tokens']:,} output tokens"
        + (", the faithfulness check included." if settings.verify else "."),
        markup=False,
    )
    console.print(cost_lines(settings, found), markup=False)


def _sum(estimates: list[dict], tier: str) -> dict:
    """Estimates of several languages as one (a cost None when any is unknown)."""
    total: dict = {"input_tokens": 0, "cached_tokens": 0, "output_tokens": 0, "tier": tier}
    for key in ("list_cost", "cached_cost", "cost"):
        values = [e[key] for e in estimates]
        total[key] = None if any(v is None for v in values) else sum(values)
    for e in estimates:
        for key in ("input_tokens", "cached_tokens", "output_tokens"):
            total[key] += e[key]
    return total


def cost_lines(settings: Settings, found: dict) -> str:
    """List price, with the prompt cache, and with the tier, for an estimate."""
    if found["list_cost"] is None:
        return f"Estimated cost: unknown (no price for {settings.model}; add it under the plugin's `prices:` in mkdocs.yml)."
    lines = [
        f"Estimated cost: list price {format_cost(found['list_cost'])};"
        f" with the prompt cache {format_cost(found['cached_cost'])}"
    ]
    if found["tier"] in TIER_NAMES and found["tier"] != "priority":
        lines.append(f"; with the prompt cache and {TIER_NAMES[found['tier']]} {format_cost(found['cost'])}")
    return "".join(lines) + "."
