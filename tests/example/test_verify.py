"""`glossary verify` on the example glossary: every curated text passes the scripted judge (it states no
misconception and keeps to its concept's facts), and an edit that states one is caught. Marked `example`:
it tests the repository's content with the tool's judge rules (tests/judges.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from judges import is_judge_request

from generator.cli.main import main
from generator.texts.frontmatter import split_front_matter

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.example


@pytest.fixture
def server(scripted_server, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # wide tables: the tests read them
    return scripted_server


def cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def judge_requests(server: FakeOpenAI) -> list[dict]:
    return [r.json for r in server.completions if is_judge_request(r.json)]


def copy_example(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("concepts", "personas", "docs"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    return dest / "mkdocs.yml"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "concepts").rglob("*")) if p.is_file()
    }


def test_verify_passes_the_curated_examples_and_catches_an_edit(tmp_path, server, script):
    config = copy_example(tmp_path / "example")
    root = tmp_path / "example"
    pairs = len(list((root / "concepts").glob("*/*.md")))
    assert pairs >= 50
    before = snapshot(root)
    result = cli("verify", "-f", config)
    assert result.exit_code == 0, result.output
    assert f"{pairs} checked by gpt-4o-mini: {pairs} passed, 0 failed." in result.output
    assert len(script.judge_requests) == pairs and not script.generation_requests  # judged, never regenerated
    assert "Verdicts not recorded" in result.output and "test server" in result.output
    assert snapshot(root) == before  # a verdict from a test server is never committed
    gist = (
        "<explanation>\nGist: " + split_front_matter((root / "concepts" / "lora" / "child.md").read_text())[0]["gist"]
    )
    assert any(gist in r["messages"][-1]["content"] for r in judge_requests(server))  # the gist is checked too

    text = root / "concepts" / "lora" / "engineer.md"
    text.write_text(
        text.read_text(encoding="utf-8") + "\nIn short, LoRA compresses the training data before fine-tuning.\n",
        encoding="utf-8",
    )
    result = cli("verify", "--concept", "lora", "-f", config)
    assert result.exit_code == 1
    assert (
        'FAILED lora/engineer: asserts misconception 1 "LoRA compresses the training data.": says "compresses the training data"'
        in result.output
    )
    # LoRA's five English texts and its four Japanese ones
    assert "9 checked by gpt-4o-mini: 8 passed, 1 failed." in result.output
    assert len(script.judge_requests) == pairs + 1  # the four unchanged texts came from the cache

    result = cli("verify", "--concept", "lora", "--persona", "child", "-f", config)
    assert result.exit_code == 0 and "2 checked by gpt-4o-mini: 2 passed" in result.output  # in English and Japanese


CHILD = (
    "Imagine a finished drawing you may not change. You put a see-through sheet on top and draw only a few "
    "small changes there. The drawing underneath stays exactly as it was.\n"
)
