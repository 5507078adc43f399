"""Tokens and dollars: the price table, a token estimate without a tokenizer, the cost of a run.

`model_rates` is the one place that reads the price table: USD per million input, cached input
and output tokens for a model on a tier. The Batch API and flex processing bill at Batch API
rates, half the default tier's unless the table gives them (`batch: {input, cached_input,
output}` in a model's entry).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from generator.inputs.schemas import Glossary
from generator.llm.prices import configured_price, published_price
from generator.settings import Settings

# Characters that tokenizers count about one token each: CJK ideographs, kana, Hangul, full-width forms.
WIDE_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
TOKENS_PER_WORD = 1.35  # English prose with gpt-4o-class tokenizers
WIDE_LANGUAGES = {"ja", "zh", "ko"}
JUDGE_OUTPUT_TOKENS = 300  # a verdict: a short JSON list of findings
BATCH_DISCOUNT = 0.5  # Batch API (and flex) rates, when the price table gives none
CACHE_MIN_TOKENS, CACHE_STEP_TOKENS = 1024, 128  # OpenAI caches an exact prefix this long, in these steps


@dataclass(frozen=True)
class Rates:
    """USD per million tokens."""

    input: float
    cached_input: float
    output: float

    def cost(self, prompt: int, cached: int, completion: int) -> float:
        cached = min(prompt, cached)
        return ((prompt - cached) * self.input + cached * self.cached_input + completion * self.output) / 1_000_000


def estimate_tokens(text: str) -> int:
    """About how many tokens a text costs: ~4 characters each, CJK about one character each."""
    if not text:
        return 0
    wide = len(WIDE_RE.findall(text))
    return wide + (len(text) - wide + 3) // 4


def price_for(settings: Settings, model: str) -> dict[str, float] | None:
    """USD per million tokens for a model: the plugin's `prices:` (a dated name such as
    gpt-4o-mini-2024-07-18 uses its base entry), else the provider's list price from genai-prices."""
    price = configured_price(settings.prices, model)
    if price is None:
        return published_price(model)
    try:
        values = {k: float(v) for k, v in price.items() if k != "batch"}  # batch: rates of their own (model_rates)
    except (TypeError, ValueError, AttributeError):
        return None
    if "input" not in values or "output" not in values:
        return None
    values.setdefault("cached_input", values["input"])
    return values


def model_rates(settings: Settings, model: str, tier: str = "default") -> Rates | None:
    """A model's rates on a tier ("default", "flex", "batch"; others priced as default), or None."""
    price = price_for(settings, model)
    if price is None:
        return None
    rates = Rates(price["input"], price["cached_input"], price["output"])
    if tier not in ("flex", "batch"):
        return rates
    raw = configured_price(settings.prices, model) or {}
    batch = raw.get("batch") if isinstance(raw, dict) else None
    if isinstance(batch, dict):
        try:
            given = {k: float(v) for k, v in batch.items()}
            return Rates(given["input"], given.get("cached_input", given["input"]), given["output"])
        except (KeyError, TypeError, ValueError):
            pass
    return Rates(rates.input * BATCH_DISCOUNT, rates.cached_input * BATCH_DISCOUNT, rates.output * BATCH_DISCOUNT)


def _tokens(usage: dict) -> tuple[int, int, int]:
    prompt = int(usage.get("prompt_tokens") or 0)
    return prompt, min(prompt, int(usage.get("cached_tokens") or 0)), int(usage.get("completion_tokens") or 0)


def usage_cost(settings: Settings, model: str, usage: dict | None, tier: str = "default") -> float | None:
    """The dollars one call's usage cost on a tier, or None when the model has no price."""
    rates = model_rates(settings, model, tier)
    if rates is None or not usage:
        return None if rates is None else 0.0
    return rates.cost(*_tokens(usage))


def list_cost(settings: Settings, model: str, usage: dict | None) -> float | None:
    """What a call's usage costs undiscounted: every input token at the full rate, default tier."""
    rates = model_rates(settings, model)
    if rates is None or not usage:
        return None if rates is None else 0.0
    prompt, _, completion = _tokens(usage)
    return rates.cost(prompt, 0, completion)


def cached_share(prefix_tokens: int, requests: int) -> int:
    """Tokens served from the prompt cache over `requests` requests sharing a prefix, the first one
    filling it (OpenAI: an exact prefix of 1,024 tokens or more, in steps of 128)."""
    if prefix_tokens < CACHE_MIN_TOKENS or requests < 2:
        return 0
    return (requests - 1) * (prefix_tokens // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS)


def add_usage(total: dict, usage: dict | None) -> dict:
    """Sum token counts into `total` (in place) and return it."""
    for key, value in (usage or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
    return total


def estimate(
    glossary: Glossary, settings: Settings, pairs: Iterable[tuple[str, str]], prompts=None, tier: str | None = None
) -> dict:
    """Tokens and cost to generate these pairs, the check included when it is on: `list_cost`
    undiscounted, `cached_cost` with the prompt cache as the run would share it, and `cost` with
    the cache and the tier as well ("flex" or "batch"; default: the `service_tier` setting). Costs
    are None when a price is unknown. Judge calls are counted without the prompt cache."""
    from generator.texts.prompts import PromptPlan

    pairs = list(pairs)
    prompts = prompts or PromptPlan()
    tier = tier or settings.service_tier
    per_word = 2.0 if settings.language in WIDE_LANGUAGES else TOKENS_PER_WORD
    prompt = output = judge_prompt = judge_output = 0
    groups: dict[str, list[int]] = {}
    for concept_slug, persona_slug in pairs:
        concept, persona = glossary.concepts[concept_slug], glossary.personas[persona_slug]
        built = prompts.prompt(glossary, concept, persona, settings.language)
        p = sum(estimate_tokens(m["content"]) for m in built.messages) + 4 * len(built.messages)
        o = min(settings.max_tokens, int(persona.length * per_word) + 20)
        prompt, output = prompt + p, output + o
        group = groups.setdefault(built.cache_key, [estimate_tokens(built.prefix), 0])
        group[1] += 1
        if settings.verify:
            judge_prompt, judge_output = judge_prompt + p + o, judge_output + JUDGE_OUTPUT_TOKENS
    cached = sum(cached_share(prefix, n) for prefix, n in groups.values())
    gen = {"prompt_tokens": prompt, "cached_tokens": cached, "completion_tokens": output}
    check = {"prompt_tokens": judge_prompt, "completion_tokens": judge_output}

    def total(cost, *, with_cache: bool, on: str) -> float | None:
        first = cost(settings, settings.model, gen if with_cache else {**gen, "cached_tokens": 0}, on)
        if not settings.verify:
            return first
        second = cost(settings, settings.judge, check, on)
        return None if first is None or second is None else first + second

    return {
        "pairs": len(pairs),
        "input_tokens": prompt + judge_prompt,
        "cached_tokens": cached,
        "output_tokens": output + judge_output,
        "list_cost": total(usage_cost, with_cache=False, on="default"),
        "cached_cost": total(usage_cost, with_cache=True, on="default"),
        "cost": total(usage_cost, with_cache=True, on=tier),
        "tier": tier,
    }


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "unknown"
    if cost == 0:
        return "$0"
    if cost < 0.01:
        return f"${cost:.4f}"
    return f"${cost:.2f}"


def estimate_line(glossary: Glossary, settings: Settings, statuses_needing_generation: list) -> str:
    """One line for `status` and `generate --dry-run`: what generating the pending pairs would cost."""
    pairs = [
        (s.concept, s.persona)
        for s in statuses_needing_generation
        if s.concept in glossary.concepts and s.persona in glossary.personas
    ]
    if not pairs:
        return ""
    found = estimate(glossary, settings, pairs)
    check = f" and checked with {settings.judge}" if settings.verify else ""
    tokens = f"~{found['input_tokens']:,} input + ~{found['output_tokens']:,} output tokens"
    if found["cost"] is None:
        missing = [
            m
            for m in {settings.model, settings.judge if settings.verify else settings.model}
            if price_for(settings, m) is None
        ]
        money = f"cost unknown: no price for {', '.join(sorted(missing))} (add it under the plugin's `prices:` in mkdocs.yml, USD per million tokens: {{input: ..., output: ...}})"
    else:
        money = f"about {format_cost(found['cost'])}"
    return (
        f"Generating {len(pairs)} pair{'s' if len(pairs) != 1 else ''} with {settings.model}{check}: {tokens}, {money}."
    )
