"""Tokens and dollars: the price table, a token estimate without a tokenizer, the cost of a run."""

from __future__ import annotations

import re
from collections.abc import Iterable

from generator.inputs.schemas import Glossary
from generator.settings import DEFAULT_PRICES, Settings

# Characters that tokenizers count about one token each: CJK ideographs, kana, Hangul, full-width forms.
WIDE_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
TOKENS_PER_WORD = 1.35  # English prose with gpt-4o-class tokenizers
WIDE_LANGUAGES = {"ja", "zh", "ko"}
JUDGE_OUTPUT_TOKENS = 300  # a verdict: a short JSON list of findings


def estimate_tokens(text: str) -> int:
    """About how many tokens a text costs: ~4 characters each, CJK about one character each."""
    if not text:
        return 0
    wide = len(WIDE_RE.findall(text))
    return wide + (len(text) - wide + 3) // 4


def price_for(settings: Settings, model: str) -> dict[str, float] | None:
    """USD per million tokens for a model; a dated name (gpt-4o-mini-2024-07-18) uses its base entry."""
    price = settings.price(model)
    if price is None:
        candidates = [name for name in {**DEFAULT_PRICES, **settings.prices} if model.startswith(name + "-")]
        if candidates:
            price = settings.price(max(candidates, key=len))
    if price is None:
        return None
    try:
        values = {k: float(v) for k, v in price.items()}
    except (TypeError, ValueError, AttributeError):
        return None
    if "input" not in values or "output" not in values:
        return None
    values.setdefault("cached_input", values["input"])
    return values


def usage_cost(settings: Settings, model: str, usage: dict | None) -> float | None:
    """The dollars one call's usage cost, or None when the model has no price."""
    price = price_for(settings, model)
    if price is None or not usage:
        return None if price is None else 0.0
    prompt = int(usage.get("prompt_tokens") or 0)
    cached = min(prompt, int(usage.get("cached_tokens") or 0))
    completion = int(usage.get("completion_tokens") or 0)
    return (
        (prompt - cached) * price["input"] + cached * price["cached_input"] + completion * price["output"]
    ) / 1_000_000


def add_usage(total: dict, usage: dict | None) -> dict:
    """Sum token counts into `total` (in place) and return it."""
    for key, value in (usage or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
    return total


def pair_estimate(glossary: Glossary, settings: Settings, concept_slug: str, persona_slug: str) -> tuple[int, int]:
    """Estimated (input, output) tokens to generate one pair, including the check when it is on."""
    from generator.texts.prompts import build_messages

    concept = glossary.concepts[concept_slug]
    persona = glossary.personas[persona_slug]
    messages = build_messages(glossary, concept, persona, settings.language)
    prompt = sum(estimate_tokens(m["content"]) for m in messages) + 4 * len(messages)
    per_word = 2.0 if settings.language in WIDE_LANGUAGES else TOKENS_PER_WORD
    output = min(settings.max_tokens, int(persona.length * per_word) + 20)
    return prompt, output


def estimate(glossary: Glossary, settings: Settings, pairs: Iterable[tuple[str, str]]) -> dict:
    """Tokens and cost to generate these pairs (None cost when a price is unknown)."""
    pairs = list(pairs)
    prompt = output = 0
    judge_prompt = judge_output = 0
    for concept, persona in pairs:
        p, o = pair_estimate(glossary, settings, concept, persona)
        prompt += p
        output += o
        if settings.verify:
            judge_prompt += p + o
            judge_output += JUDGE_OUTPUT_TOKENS
    gen = usage_cost(settings, settings.model, {"prompt_tokens": prompt, "completion_tokens": output})
    cost = gen
    if settings.verify:
        check = usage_cost(settings, settings.judge, {"prompt_tokens": judge_prompt, "completion_tokens": judge_output})
        cost = None if gen is None or check is None else gen + check
    return {
        "pairs": len(pairs),
        "input_tokens": prompt + judge_prompt,
        "output_tokens": output + judge_output,
        "cost": cost,
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
