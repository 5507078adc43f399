"""Fixtures every test can use: a clean environment, a small glossary in tmp_path, the loopback model server.

- `clean_environment` (autouse): no OPENAI_* or GLOSSARY_* variable from the outer shell reaches a test,
  and each test starts with no stat cache registered (a test's caches live in its own tmp_path).
- `small_glossary`: a small glossary written into tmp_path; returns its mkdocs.yml. Choose the kind and
  its options with `@pytest.mark.parametrize("small_glossary", ["site"], indirect=True)` or a dict
  `{"kind": "generation", "plugin": {"verify": True}}` (kinds: basic, generation, site; see kit.py).
- `openai_server`: the loopback OpenAI-compatible server (tests/fakeserver.py) with OPENAI_API_KEY and
  OPENAI_BASE_URL pointing the real `openai` client at it. Indirect params are FakeOpenAI's keyword
  arguments, e.g. `{"latency": 0.5}`.
- `script` and `scripted_server`: the scripted judge (tests/judges.py) and the loopback server answering with it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/ helpers: `from kit import ...`

import kit  # noqa: E402
from fakeserver import FakeOpenAI  # noqa: E402
from judges import Script  # noqa: E402

from generator import statcache  # noqa: E402

TEST_KEY = "sk-test-0000-loopback"
GLOSSARY_KINDS = {
    "basic": lambda root, **options: kit.make_glossary(root, **options) / "mkdocs.yml",
    "generation": kit.write_glossary,
    "site": kit.write_site_glossary,
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path_factory):
    """No model server, key or glossary setting from the outer shell; no stat cache shared between tests
    (each test's stat caches live in a user cache folder of its own)."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "GLOSSARY_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
    monkeypatch.setattr(statcache, "_locations", {})


@pytest.fixture
def small_glossary(tmp_path, request) -> Path:
    """A small glossary under tmp_path/site (kind and options from an indirect param); returns its mkdocs.yml."""
    param = getattr(request, "param", "basic")
    options = {"kind": param} if isinstance(param, str) else dict(param)
    kind = options.pop("kind", "basic")
    return GLOSSARY_KINDS[kind](tmp_path / "site", **options)


@pytest.fixture
def openai_server(monkeypatch, request):
    """The loopback OpenAI-compatible server, and the environment that points the real client at it."""
    options = {"latency": 0.0, **getattr(request, "param", {})}
    with FakeOpenAI(**options) as server:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server


@pytest.fixture
def script() -> Script:
    """The scripted judge: answers generation requests from its texts and judge requests by its rules."""
    return Script()


@pytest.fixture
def scripted_server(script, monkeypatch):
    """The loopback server answering with the scripted judge, the environment pointing at it."""
    with FakeOpenAI(responder=script) as server:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server
