"""Model prices in USD per million tokens: the glossary's `prices:` first, then genai-prices' bundled table (offline)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

PRICE_FIELDS = {"input": "input_mtok", "cached_input": "cache_read_mtok", "output": "output_mtok"}


def configured_price(prices: dict, model: str) -> dict | None:
    """A `prices:` entry for the model, or for the undated name of a dated one (gpt-4o-mini-2024-07-18)."""
    if model in prices:
        return prices[model]
    bases = [name for name in prices if model.startswith(name + "-")]
    return prices[max(bases, key=len)] if bases else None


def published_price(model: str, base_url: str | None = None) -> dict[str, float] | None:
    """The provider's list price from genai-prices' data shipped with the package (no network), or None."""
    return _published(model, base_url if base_url is not None else os.environ.get("OPENAI_BASE_URL") or None)


@lru_cache(maxsize=64)
def _published(model: str, base_url: str | None) -> dict[str, float] | None:
    from genai_prices.data_snapshot import get_snapshot

    snapshot = get_snapshot()
    attempts = [{"provider_api_url": base_url}] if base_url else [{"provider_id": "openai"}]
    attempts.append({})  # any provider that lists the model
    for where in attempts:
        try:
            _, info = snapshot.find_provider_model(model, None, where.get("provider_id"), where.get("provider_api_url"))
        except LookupError:
            continue
        prices = info.get_prices(datetime.now(UTC))
        found = {name: _per_million(getattr(prices, field, None)) for name, field in PRICE_FIELDS.items()}
        if found["input"] is None or found["output"] is None:
            continue
        if found["cached_input"] is None:
            found["cached_input"] = found["input"]
        return found
    return None


def _per_million(value) -> float | None:
    """A flat price, or the base rate of a tiered one (our prompts stay far below the first tier)."""
    if value is None:
        return None
    if not isinstance(value, (Decimal, int, float)):
        value = getattr(value, "base", None)
    return None if value is None else float(value)
