"""The one place that builds the `openai` client: key and host from the environment, our own retries."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from generator.errors import ConfigError
from generator.redaction import redact  # noqa: F401 - where its callers have always found it
from generator.settings import Settings

MISSING_KEY = (
    "OPENAI_API_KEY is not set, so no model can be called.\n"
    "  - OpenAI: export OPENAI_API_KEY=sk-...   (your key from https://platform.openai.com/api-keys)\n"
    "  - Another OpenAI-compatible server: also set OPENAI_BASE_URL, e.g. "
    "export OPENAI_BASE_URL=https://YOUR-RESOURCE.openai.azure.com/openai/v1\n"
    "  - A local server such as Ollama, vLLM, llama.cpp or LM Studio accepts any dummy key: "
    "export OPENAI_API_KEY=ollama OPENAI_BASE_URL=http://localhost:11434/v1\n"
    "Only `glossary generate`, `glossary preview`, `glossary verify` and `glossary build --generate` need a key."
)


def api_key() -> str:
    """The key from OPENAI_API_KEY, or a ConfigError that says exactly what to set."""
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    if not key:
        raise ConfigError(MISSING_KEY)
    return key


def base_url() -> str | None:
    """OPENAI_BASE_URL, checked; None means the SDK's default (api.openai.com)."""
    url = os.environ.get("OPENAI_BASE_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"OPENAI_BASE_URL={url!r} is not an http(s) URL; it should look like https://api.openai.com/v1 or http://localhost:11434/v1"
        )
    return url


def host_label() -> str:
    """Where requests go, for messages (scheme, host and path: never the key)."""
    url = os.environ.get("OPENAI_BASE_URL", "").strip() or "https://api.openai.com/v1"
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


def make_client(settings: Settings):
    """An AsyncOpenAI client for Chat Completions with the SDK's own retries off (calls.py retries)."""
    key = api_key()
    url = base_url()
    from generator.gcpause import long_lived_imports

    with long_lived_imports():
        import openai
    return openai.AsyncOpenAI(api_key=key, base_url=url, timeout=settings.timeout, max_retries=0)
