"""The repository's own glossary passes its content checks, whatever concepts it holds: its settings,
every file and the policy in mkdocs.yml (`glossary validate`), and a strict build in which texts
still to be written are listed, as the deploy job builds it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.example


def test_the_glossary_passes_validate_and_its_policy():
    result = CliRunner().invoke(main, ["validate", "-f", str(ROOT / "mkdocs.yml")])
    assert result.exit_code == 0, result.output


def test_the_site_builds_strictly_with_no_key(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        main, ["build", "--strict", "--allow-pending", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "concepts" / "index.html").is_file()
