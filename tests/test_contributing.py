"""A contributor's pull request goes green: CONTRIBUTING.md followed literally in a copy of this
repository, then the scheduled job's generated texts for it, each checked by the suite's content check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from fakeserver import FakeOpenAI
from judges import Script
from kit import copy_checkout

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = str(Path(sys.executable).parent / "glossary")
# A name no real concept of the repository will take, so the test passes whatever concepts it holds.
SLUG = "subword-tokenization-under-test"
TITLE = "Subword tokenization (a contribution under test)"
NEW_CONCEPT = {
    "title": TITLE,
    "summary": "Splitting text into the units, called tokens, that a language model reads and writes.",
    "definition": "Tokenization maps a string to a sequence of integer ids from a fixed vocabulary, usually of subword units learned by byte-pair encoding.",
    "facts": [
        "A tokenizer's vocabulary is fixed before the model is trained.",
        "Byte-pair encoding builds its vocabulary by repeatedly merging the most frequent adjacent pair of symbols.",
        "A model's context window is counted in tokens, not in characters or words.",
    ],
    "misconceptions": ["One token is always one word."],
    "tags": ["language-models"],
    "sources": [
        {
            "title": "Sennrich, R. et al. Neural Machine Translation of Rare Words with Subword Units, arXiv:1508.07909",
            "url": "https://arxiv.org/abs/1508.07909",
        }
    ],
}


# What the model answers for every reader (the judge, tests/judges.py, finds nothing wrong in it).
GENERATED = """\
Before a language model reads a sentence, a tokenizer cuts it into pieces called tokens and
turns each piece into a number from a fixed list, the vocabulary. That list is settled before the
model is trained, and the model only ever sees those numbers.

The pieces are often parts of words rather than whole words. Byte-pair encoding builds the list
by starting from single characters and repeatedly merging the pair of neighbouring symbols that
occurs most often, so common words end up as one token and rare words as several.

This is why the length limit of a model, its context window, is counted in tokens: a page of
text may hold many more tokens than words when it uses unusual names or another language.
"""


def cli(clone: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [GLOSSARY, *args], cwd=clone, capture_output=True, text=True, env=env or without_keys(), timeout=240
    )


def without_keys() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GLOSSARY_"))} | {
        "NO_MKDOCS_2_WARNING": "1"
    }


def content_check(clone: Path) -> subprocess.CompletedProcess:
    """The part of `make test` that looks at the repository's content, run in the clone."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/example"],
        cwd=clone,
        capture_output=True,
        text=True,
        env=without_keys(),
        timeout=240,
    )


def add_concept_as_contributing_says(clone: Path) -> str:
    """`glossary new concept`, every TODO filled in, a related concept linked both ways."""
    made = cli(clone, "new", "concept", SLUG)
    assert made.returncode == 0, made.stderr
    other = sorted(p.stem for p in (clone / "concepts").glob("*.yaml"))[0]
    path = clone / "concepts" / f"{SLUG}.yaml"
    skeleton = path.read_text(encoding="utf-8")
    untouched = cli(clone, "validate")
    assert untouched.returncode == 2 and "still holds the skeleton's placeholder" in untouched.stderr
    header = "".join(line + "\n" for line in skeleton.splitlines() if line.startswith("# yaml-language-server"))
    path.write_text(
        header + yaml.safe_dump({**NEW_CONCEPT, "related": [other]}, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    back = clone / "concepts" / f"{other}.yaml"  # "link back from them too", by hand as a contributor would
    text = back.read_text(encoding="utf-8")
    text = (
        text.replace("\nrelated: [", f"\nrelated: [{SLUG}, ", 1)
        if "\nrelated: [" in text
        else text.replace("\nrelated:\n", f"\nrelated:\n  - {SLUG}\n", 1)
    )
    back.write_text(text, encoding="utf-8")
    assert SLUG in yaml.safe_load(text)["related"]
    return other


def test_a_new_concept_added_as_contributing_md_says_passes_the_checks(tmp_path):
    clone = copy_checkout(tmp_path / "clone")
    add_concept_as_contributing_says(clone)
    validated = cli(clone, "validate")
    assert validated.returncode == 0, validated.stderr
    status = cli(clone, "status")
    assert "needs review" not in status.stdout, "the link back sends none of the old concept's reviewed texts to review"
    assert SLUG not in validated.stderr, "no warning about the new concept"
    checked = content_check(clone)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert " passed" in checked.stdout and "skipped" not in checked.stdout and "deselected" not in checked.stdout


def test_the_scheduled_jobs_texts_for_it_pass_the_checks_too(tmp_path):
    clone = copy_checkout(tmp_path / "clone")
    add_concept_as_contributing_says(clone)
    english = sorted(
        p.stem
        for p in (clone / "personas").glob("*.yaml")
        if "en" in (yaml.safe_load(p.read_text(encoding="utf-8")).get("languages") or ["en"])
    )
    with FakeOpenAI(responder=Script(texts={TITLE: GENERATED})) as server:
        env = without_keys() | {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.base_url}
        # As regenerate.yml runs it when started for this concept: the other languages' pending texts are not this change's.
        args = ["generate", "--max-cost", "5", "--report", "pr-body.md", "--concept", SLUG]
        generated = cli(clone, *args, env=env)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    written = {p.name for p in (clone / "concepts" / SLUG).glob("*.md")}
    assert {f"{persona}.md" for persona in english} <= written, written
    assert "source: generated" in (clone / "concepts" / SLUG / f"{english[0]}.md").read_text(encoding="utf-8")
    checked = content_check(clone)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    strict = cli(
        clone, "build", "--strict", "--allow-pending", "-d", str(tmp_path / "site")
    )  # as the deploy job builds
    assert strict.returncode == 0, strict.stderr
    page = (tmp_path / "site" / "concepts" / SLUG / "index.html").read_text(encoding="utf-8")
    assert page.count('class="glossary-explanation"') == len(english)
