"""Model calls: through the cache, one retry loop of ours, and a concurrency limit that adapts to 429s.

The SDK's own retries are off (client.py). This loop owns every retry, so a rate limit slows the
whole run instead of being hidden inside one request:

- 429: the shared limit shrinks to what the server was accepting and every starter pauses for
  `Retry-After` (or a backoff); the limit grows back slowly on successes, never above `--jobs`.
- 5xx, timeouts and dropped connections: retried with exponential backoff and jitter.
- 401/403 (bad key) and 404 (unknown model or wrong base URL): ModelError at once, for the whole run.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.errors import ModelError
from generator.llm.cache import Memo, request_key
from generator.llm.client import host_label, make_client, redact
from generator.llm.costs import add_usage, list_cost, usage_cost
from generator.llm.server import Waits, not_chat_completion
from generator.llm.tiers import TierPolicy
from generator.settings import Settings

MAX_ATTEMPTS = 5  # for 5xx, timeouts and dropped connections
MAX_RATE_LIMITED = 30  # 429s for one request before it fails
BACKOFF_BASE = 0.5  # seconds; doubled each attempt, with jitter
BACKOFF_CAP = 20.0
FATAL_PARAMS = {"temperature", "top_p", "max_tokens", "max_completion_tokens", "response_format", "model"}


# Per-task spending: a task that sets a dict here gets every call's cost added to it (judge calls too).
SPENDING: contextvars.ContextVar[dict | None] = contextvars.ContextVar("glossary_spending", default=None)


class CallError(Exception):
    """One call failed for good (after retries); the pair fails, the run goes on."""


class BudgetReached(Exception):
    """--max-cost was reached: no new request is started."""


@dataclass
class CallResult:
    """One answer, from the server or from the cache."""

    content: str | None
    finish_reason: str | None
    usage: dict
    cached: bool
    key: str
    refusal: str | None = None
    model: str | None = None
    cost: float | None = None  # dollars this call cost now (0 for a cache hit; None when unpriced)


@dataclass
class Ticket:
    concurrency: int  # requests in flight when this one started, itself included
    started: float


class AdaptiveLimiter:
    """AIMD concurrency limit shared by every call of a run.

    Starts at `jobs`. A 429 shrinks the limit to the number of requests the server was still
    holding (at least one less than before) and pauses every starter until `Retry-After`.
    Successes grow it back by about one per round trip, but only slowly (one probe every
    PROBE_ROUNDS round trips) near the level that was refused, so a server with a hard limit is
    probed rarely instead of hammered. It never exceeds `jobs`.
    """

    PROBE_ROUNDS = 16

    def __init__(self, jobs: int, clock: Callable[[], float] = time.monotonic):
        self.jobs = max(1, int(jobs))
        self.limit = float(self.jobs)
        self.in_flight = 0
        self.peak = 0
        self.ceiling: int | None = None  # the concurrency last refused
        self.paused_until = 0.0
        self.rate_limited = 0
        self._credit = 0.0
        self._limited_at = float("-inf")
        self._waiters: list[asyncio.Future] = []
        self._clock = clock

    @property
    def allowed(self) -> int:
        return max(1, min(self.jobs, int(self.limit)))

    async def acquire(self) -> Ticket:
        loop = asyncio.get_running_loop()
        while True:
            wait = self.paused_until - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.in_flight < self.allowed:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                return Ticket(self.in_flight, self._clock())
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wake(self) -> None:
        free = self.allowed - self.in_flight
        while free > 0 and self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                free -= 1

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def succeeded(self, ticket: Ticket) -> None:
        if self.ceiling is not None and ticket.concurrency >= self.ceiling and ticket.started > self._limited_at:
            self.ceiling = None  # the server now accepts what it refused: it changed
        if self.ceiling is None or self.limit + 1 < self.ceiling:
            self.limit = min(self.jobs, self.limit + 1 / max(1.0, self.limit))
        else:
            self._credit += 1
            if self._credit >= self.PROBE_ROUNDS * self.limit:
                self._credit = 0
                self.limit = min(self.jobs, math.floor(self.limit) + 1.0)
        self._wake()

    def rate_limited_for(self, delay: float) -> None:
        """A 429: shrink to what the server is holding (the caller has released its slot), pause."""
        self.rate_limited += 1
        self.limit = max(1.0, min(self.limit - 1, float(self.in_flight)))
        self.ceiling = int(self.limit) + 1
        self._credit = 0
        self._limited_at = self._clock()
        self.paused_until = max(self.paused_until, self._clock() + max(0.0, delay))


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from `retry-after-ms`, `Retry-After` (seconds or an HTTP date), or None."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))  # no cap here: max_wait decides (llm/server.py)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: about 0.5, 1, 2, 4 s..., capped."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.75, 1.25)


def _server_message(exc: Exception) -> str:
    """The server's own error message (never the key, even if the server echoes it)."""
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, dict):
        inner = body["error"] if isinstance(body.get("error"), dict) else body
        message = inner.get("message")
    return redact(str(message or getattr(exc, "message", None) or exc))


def _usage(response) -> dict:
    usage = getattr(response, "usage", None)
    if usage is None:
        return {}
    out = {
        "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
        "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
    }
    out["total_tokens"] = int(getattr(usage, "total_tokens", 0) or 0) or out["prompt_tokens"] + out["completion_tokens"]
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    if cached is not None:
        out["cached_tokens"] = int(cached)
    return out


@dataclass
class CallStats:
    requests: int = 0  # HTTP requests sent (retries included)
    cache_hits: int = 0
    rate_limited: int = 0
    retries: int = 0
    spent: float = 0.0  # dollars for answers received in this run
    list_price: float = 0.0  # what they would cost undiscounted: no prompt cache, default tier
    unpriced: int = 0  # answers from a model without a price
    usage: dict = field(default_factory=dict)
    tiers: set = field(default_factory=set)  # the tiers answers were billed at


class ModelCaller:
    """Chat Completions through the cache, with our retries and the adaptive limit."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: Any = None,
        memo: Memo | None = None,
        jobs: int | None = None,
        max_cost: float | None = None,
    ):
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self.memo = memo if memo is not None else Memo(settings.cache_path)
        self.limiter = AdaptiveLimiter(jobs or settings.jobs)
        self.max_cost = max_cost
        self.stats = CallStats()
        self.fatal: ModelError | None = None
        self._token_param = "max_tokens"  # switched to max_completion_tokens if the server asks for it
        self.tier = TierPolicy(settings)
        self.waits = Waits(settings.max_wait)  # its `notify` shows long pauses (the CLI routes it above the bar)
        self._cache_key_param = True  # dropped if the server does not know prompt_cache_key

    # -- public

    async def complete(
        self,
        model: str,
        messages: list[dict],
        temperature: float,
        max_tokens: int,
        response_format: dict | None = None,
        bypass_cache: bool = False,
        cache_key: str | None = None,
        also: tuple[list[dict], ...] = (),
    ) -> CallResult:
        """One answer: from the cache unless bypassed, else from the server (then cached).

        `cache_key` is sent as `prompt_cache_key`; like the service tier it changes no answer, so
        neither is part of the cache key on disk. `also`: the same request laid out otherwise, whose
        answer (if the cache on disk has one) is as good."""
        key = request_key(
            model, messages, temperature=temperature, max_tokens=max_tokens, response_format=response_format
        )
        if not bypass_cache:
            hit = self.memo.get(key)
            for other in also:
                if hit is None:
                    hit = self.memo.get(request_key(model, other, temperature=temperature, max_tokens=max_tokens))
            if hit is not None:
                self.stats.cache_hits += 1
                return CallResult(
                    hit.get("content"),
                    hit.get("finish_reason"),
                    dict(hit.get("usage") or {}),
                    True,
                    key,
                    hit.get("refusal"),
                    hit.get("model"),
                    0.0,
                )
        self._check_budget()
        params: dict[str, Any] = {"temperature": temperature}
        if response_format is not None:
            params["response_format"] = response_format
        if cache_key:
            params["prompt_cache_key"] = cache_key
        response = await self._request(model, messages, params, max_tokens)
        problem = not_chat_completion(response)
        if problem is not None:  # the server at that address is not a Chat Completions server: stop once
            raise self._stop(problem)
        return self.record(model, key, response, self.tier.billed_as(getattr(response, "service_tier", None)))

    def record(self, model: str, key: str, response: Any, tier: str) -> CallResult:
        """Count, price and cache one answer from the server (a Chat Completions response)."""
        if not getattr(response, "choices", None):
            raise CallError("the server answered without any choice")
        choice = response.choices[0]
        message = choice.message
        usage = _usage(response)
        self.stats.tiers.add(tier)
        cost = usage_cost(self.settings, model, usage, tier)
        if cost is None:
            self.stats.unpriced += 1
        else:
            self.stats.spent += cost
            self.stats.list_price += list_cost(self.settings, model, usage) or 0.0
        spending = SPENDING.get()
        if spending is not None:
            spending["calls"] = spending.get("calls", 0) + 1
            spending["cost"] = (
                None if cost is None or spending.get("cost", 0.0) is None else spending.get("cost", 0.0) + cost
            )
        add_usage(self.stats.usage, usage)
        result = CallResult(
            message.content,
            choice.finish_reason,
            usage,
            False,
            key,
            getattr(message, "refusal", None),
            getattr(response, "model", None),
            cost,
        )
        self.memo.set(
            key,
            {
                "content": result.content,
                "finish_reason": result.finish_reason,
                "usage": usage,
                "refusal": result.refusal,
                "model": result.model,
            },
        )
        return result

    def forget(self, key: str) -> None:
        """Drop a rejected answer from the cache, so it is never replayed."""
        self.memo.forget(key)

    def _stop(self, message: str) -> ModelError:
        """A fatal error: no further request starts in this run, whichever task asks."""
        self.fatal = ModelError(message)
        return self.fatal

    def _check_budget(self) -> None:
        if self.budget_reached():
            raise BudgetReached(f"--max-cost ${self.max_cost:g} reached (${self.stats.spent:.4f} spent)")

    def budget_reached(self) -> bool:
        return self.max_cost is not None and self.stats.spent >= self.max_cost

    async def aclose(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            try:
                await close()
            except Exception:
                pass
        self.memo.close()

    # -- the retry loop

    async def _request(self, model: str, messages: list[dict], params: dict, max_tokens: int):
        import openai

        failures = 0
        limited = 0
        last_error = ""
        while True:
            ticket = await self.limiter.acquire()
            released = False
            try:
                if self.fatal is not None:
                    raise ModelError(self.fatal.message)
                if failures == limited == 0:
                    self._check_budget()  # again: the budget may have run out while this call waited
                self.stats.requests += 1
                if not self._cache_key_param:
                    params.pop("prompt_cache_key", None)
                response = await self.client.chat.completions.create(
                    model=model, messages=messages, **params, **self.tier.params(), **{self._token_param: max_tokens}
                )
            except openai.RateLimitError as exc:
                self.limiter.release()
                released = True
                if exc.code == "insufficient_quota" or (
                    isinstance(exc.body, dict) and exc.body.get("type") == "insufficient_quota"
                ):
                    raise self._stop(
                        f"the server at {host_label()} says the account is out of quota (HTTP 429 insufficient_quota: {_server_message(exc)}); add credit or use another key"
                    ) from None
                flex = self.tier.current == "flex"
                if self.tier.refused():
                    limited = 0  # the default tier starts its own count
                limited += 0 if flex else 1  # flex's 429s are bounded by the wait before the fall-back
                self.stats.rate_limited += 1
                delay = parse_retry_after(exc.response.headers)
                too_long = None if flex else self.waits.too_long(delay, "HTTP 429, rate limited")
                if too_long:
                    raise self._stop(too_long) from None
                wait = delay if delay is not None else backoff(max(1, limited))
                self.limiter.rate_limited_for(wait)
                self.waits.announce(wait, f"the server at {host_label()} is rate limiting requests (HTTP 429)")
                last_error = f"rate limited (HTTP 429): {_server_message(exc)}"
                if limited >= MAX_RATE_LIMITED:
                    raise CallError(f"still rate limited after {limited} tries: {last_error}") from None
                continue
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                raise self._stop(
                    f"the server at {host_label()} rejected the API key (HTTP {exc.status_code}: {_server_message(exc)}).\n"
                    "Check OPENAI_API_KEY (and OPENAI_BASE_URL, if you use a server other than OpenAI's); "
                    "the run was stopped without retrying."
                ) from None
            except openai.NotFoundError as exc:
                if exc.code == "model_not_found" or "model" in _server_message(exc).lower():
                    raise self._stop(
                        f"the model {model!r} is unknown at {host_label()} or this key cannot use it (HTTP 404: {_server_message(exc)}).\n"
                        "Set `model:` under the glossary plugin in mkdocs.yml, or GLOSSARY_MODEL, to a model that server offers."
                    ) from None
                raise self._stop(
                    f"no Chat Completions endpoint at {host_label()}/chat/completions (HTTP 404: {_server_message(exc)}).\n"
                    "Check OPENAI_BASE_URL: it usually ends in /v1, e.g. http://localhost:11434/v1."
                ) from None
            except openai.BadRequestError as exc:
                message = _server_message(exc)
                if self._token_param == "max_tokens" and (
                    exc.param == "max_tokens" or "max_completion_tokens" in message
                ):
                    self._token_param = "max_completion_tokens"  # newer OpenAI models; not counted as a retry
                    continue
                if exc.param == "prompt_cache_key" and self._cache_key_param:
                    self._cache_key_param = False  # a server without prompt caching; not counted as a retry
                    continue
                if exc.param == "service_tier":
                    raise self._stop(
                        f"the server at {host_label()} does not offer service_tier {self.tier.current!r} for model {model!r} (HTTP 400: {message}); set `service_tier: default` under the glossary plugin in mkdocs.yml, or use a model that supports it"
                    ) from None
                if exc.param in FATAL_PARAMS:
                    raise self._stop(
                        f"the server at {host_label()} rejected the request parameter {exc.param!r} for model {model!r} (HTTP 400: {message}); change it under the glossary plugin in mkdocs.yml"
                    ) from None
                raise CallError(f"the server rejected the request (HTTP 400: {message})") from None
            except openai.APIStatusError as exc:
                if exc.status_code < 500 and exc.status_code not in (408, 409):
                    raise CallError(
                        f"the server refused the request (HTTP {exc.status_code}: {_server_message(exc)})"
                    ) from None
                failures += 1
                last_error = f"server error (HTTP {exc.status_code}: {_server_message(exc)})"
                delay = parse_retry_after(exc.response.headers)
                too_long = self.waits.too_long(delay, f"HTTP {exc.status_code}")
                if too_long:
                    raise self._stop(too_long) from None
            except openai.APITimeoutError:
                failures += 1
                last_error = (
                    f"no answer within the {self.tier.params().get('timeout', self.settings.timeout):g} s timeout"
                )
                delay = None
            except openai.APIConnectionError as exc:
                failures += 1
                cause = exc.__cause__ or exc.__context__
                last_error = f"connection failed ({redact(str(cause or exc)) or type(cause).__name__})"
                delay = None
            except openai.APIResponseValidationError as exc:
                raise self._stop(
                    f"the server at {host_label()} answered with something that is not a Chat Completions response ({_server_message(exc)}); check OPENAI_BASE_URL"
                ) from None
            except ValueError as exc:  # a body that says it is JSON and is not: the SDK's json.loads failed
                raise self._stop(not_chat_completion(getattr(exc, "doc", None) or str(exc))) from None
            else:
                self.limiter.release()
                released = True
                self.limiter.succeeded(ticket)
                self.tier.answered()
                return response
            finally:
                if not released:
                    self.limiter.release()
            if failures >= MAX_ATTEMPTS:
                raise CallError(f"gave up after {failures} attempts: {last_error}")
            self.stats.retries += 1
            wait = delay if delay is not None else backoff(failures)
            self.waits.announce(wait, f"retrying after {last_error}")
            await asyncio.sleep(wait)
