"""Bad input: every problem in every file at once, each with file, line and key; exit 2; nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from kit import make_glossary, snapshot, write_text

from generator.cli.main import main


def run(root, *args):
    return CliRunner().invoke(main, [*args, "-f", str(root / "mkdocs.yml")])


@pytest.fixture
def broken(tmp_path):
    """A glossary with one of every kind of mistake."""
    root = make_glossary(tmp_path / "g", explanations=True)
    write_text(
        root / "concepts" / "typo.yaml",
        """\
        title: Typo
        sumary: A misspelt key.
        definition: Something.
        facts: [One fact.]
        """,
    )
    write_text(
        root / "concepts" / "types.yaml",
        """\
        title: Types
        summary: Wrong types.
        definition: Something.
        facts: [One fact.]
        aliases: 5
        draft: maybe
        """,
    )
    write_text(
        root / "concepts" / "empty-summary.yaml",
        """\
        title: Empty summary
        summary: "   "
        facts: [One fact.]
        """,
    )
    write_text(
        root / "concepts" / "dangling.yaml",
        """\
        title: Dangling
        summary: Points nowhere.
        definition: Something.
        facts: [One fact.]
        related:
          - lora
          - matrix-rnak
          - Not A Slug
        sources:
          - title: A paper
            url: ftp://example.org/paper
        """,
    )
    write_text(
        root / "concepts" / "dup-alias.yaml",
        """\
        title: Another rank
        aliases: [Rank of a Matrix]
        summary: Uses an alias that belongs to matrix-rank.
        definition: Something.
        facts: [One fact.]
        """,
    )
    write_text(
        root / "concepts" / "no-facts.yaml",
        """\
        title: No facts
        summary: Not a draft, yet without facts.
        definition: Something.
        """,
    )
    write_text(root / "concepts" / "Bad_Name.yaml", "title: x\nsummry: y\n")  # its contents are checked too
    write_text(root / "concepts" / "empty.yaml", "")
    write_text(root / "concepts" / "a-list.yaml", "- title: x\n- summary: y\n")
    write_text(root / "concepts" / "bad-yaml.yaml", "title: [unclosed\nsummary: x\n")
    (root / "concepts" / "latin1.yaml").write_bytes("title: Caf\xe9\nsummary: x\n".encode("latin-1"))
    write_text(
        root / "personas" / "physicist-two.yaml",
        """\
        name: physicist
        description: Same tab label as another persona.
        background: Physics.
        """,
    )
    return root


EXPECTED = [
    ("concepts/typo.yaml:2: sumary: unknown key 'sumary'; did you mean 'summary'?"),
    ("concepts/typo.yaml:1: summary: required key is missing"),
    ("concepts/types.yaml:5: aliases: Input should be a valid list (got 5)"),
    ("concepts/types.yaml:6: draft: Input should be a valid boolean"),
    ("concepts/empty-summary.yaml:2: summary: must not be empty"),
    ("concepts/empty-summary.yaml:1: definition: required key is missing"),
    (
        "concepts/dangling.yaml:7: related.1: no concept 'matrix-rnak' (no file concepts/matrix-rnak.yaml); did you mean 'matrix-rank'?"
    ),
    ("concepts/dangling.yaml:8: related.2: bad slug 'Not A Slug'"),
    ("concepts/dangling.yaml:11: sources.0.url: bad URL 'ftp://example.org/paper'"),
    ("concepts/dup-alias.yaml:2: aliases.0: 'Rank of a Matrix' is also the alias of concepts/matrix-rank.yaml"),
    ("concepts/matrix-rank.yaml:3: aliases.0: 'rank of a matrix' is also the alias of concepts/dup-alias.yaml"),
    ("concepts/no-facts.yaml:1: facts: needs at least one key fact (or set draft: true until it has them)"),
    ("concepts/Bad_Name.yaml: bad slug 'Bad_Name'"),
    ("concepts/Bad_Name.yaml:2: summry: unknown key 'summry'; did you mean 'summary'?"),
    ("concepts/Bad_Name.yaml:1: summary: required key is missing"),
    ("concepts/Bad_Name.yaml:1: definition: required key is missing"),
    ("concepts/empty.yaml:1: file is empty"),
    ("concepts/a-list.yaml:1: file must be a mapping of keys to values, not a list"),
    ("concepts/bad-yaml.yaml:2: not valid YAML"),
    ("concepts/latin1.yaml:1: file is not UTF-8"),
    ("personas/physicist-two.yaml:1: name: tab label 'physicist' is already used by personas/physicist.yaml"),
]


def test_validate_reports_every_problem_in_every_file_at_once(broken):
    before = snapshot(broken)
    result = run(broken, "validate")
    assert result.exit_code == 2, result.output
    for expected in EXPECTED:
        assert expected in result.output, f"missing {expected!r} in:\n{result.output}"
    reported = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(reported) == len(EXPECTED), "each problem is reported once, and nothing else"
    assert f"{len(EXPECTED)} problems in the glossary input" in result.output
    assert snapshot(broken) == before


def test_related_slug_that_does_not_exist_is_not_reported_twice(broken):
    result = run(broken, "validate")
    assert result.output.count("no concept 'matrix-rnak'") == 1


@pytest.mark.parametrize("command", [["build"], ["build", "--strict"], ["status"], ["accept", "--all"]])
def test_no_command_writes_anything_when_input_is_bad(broken, command):
    before = snapshot(broken)
    result = run(broken, *command)
    assert result.exit_code == 2, result.output
    assert "sumary" in result.output
    assert snapshot(broken) == before
    assert not (broken / "site").exists()


def test_exit_code_is_2_from_a_real_process(broken):
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "-f", str(broken / "mkdocs.yml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "did you mean 'summary'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_valid_glossary_passes(tmp_path):
    root = make_glossary(tmp_path)
    result = run(root, "validate")
    assert result.exit_code == 0, result.output
    assert "2 concepts (0 drafts) and 2 personas are valid" in result.output


def test_summary_must_be_one_sentence(tmp_path):
    root = make_glossary(tmp_path)
    write_text(
        root / "concepts" / "long.yaml",
        """\
        title: Long
        summary: The first sentence. The second sentence is one too many.
        definition: Something.
        facts: [One fact.]
        """,
    )
    result = run(root, "validate")
    assert result.exit_code == 2
    assert "concepts/long.yaml:2: summary:" in result.output and "one sentence" in result.output


def test_abbreviations_do_not_end_the_summary(tmp_path):
    root = make_glossary(tmp_path)
    write_text(
        root / "concepts" / "abbr.yaml",
        """\
        title: Abbr
        summary: A method from Hu et al. 2021, e.g. for fine-tuning.
        definition: Something.
        facts: [One fact.]
        """,
    )
    assert run(root, "validate").exit_code == 0


def test_draft_needs_no_facts(tmp_path):
    root = make_glossary(tmp_path)
    write_text(
        root / "concepts" / "draft-one.yaml",
        "title: Draft one\nsummary: Not ready.\ndefinition: Something.\ndraft: true\n",
    )
    assert run(root, "validate").exit_code == 0


def test_missing_config_names_the_file(tmp_path):
    result = CliRunner().invoke(main, ["validate", "-f", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert "nope.yml: config file not found" in result.output


@pytest.mark.parametrize("kind", ["concept", "persona"])
def test_new_skeleton_validates_once_filled(tmp_path, kind):
    root = make_glossary(tmp_path)
    result = run(root, "new", kind, "fresh-one")
    assert result.exit_code == 0, result.output
    path = root / f"{kind}s" / "fresh-one.yaml"
    text = path.read_text()
    assert text.count("#") >= 5, "the skeleton explains its keys in comments"
    if kind == "concept":
        # As written, the skeleton is a draft: valid, but it says what to fill in.
        assert run(root, "validate").exit_code == 0
        filled = text.replace("draft: true", "draft: false")
        path.write_text(filled)
        assert run(root, "validate").exit_code == 0
    else:
        assert run(root, "validate").exit_code == 0
    again = run(root, "new", kind, "fresh-one")
    assert again.exit_code == 2 and "already exists" in again.output


def test_new_rejects_a_bad_slug(tmp_path):
    root = make_glossary(tmp_path)
    result = run(root, "new", "concept", "Bad Slug")
    assert result.exit_code == 2
    assert "bad slug 'Bad Slug'" in result.output
    assert not list((root / "concepts").glob("Bad*"))


@pytest.mark.parametrize(
    ("small_glossary", "counts"),
    [
        ("basic", "2 concepts (0 drafts) and 2 personas"),
        ("generation", "2 concepts (0 drafts) and 2 personas"),
        ("site", "4 concepts (1 drafts) and 3 personas"),
    ],
    indirect=["small_glossary"],
)
def test_every_kind_of_test_glossary_is_valid_input(small_glossary, counts):
    result = run(small_glossary.parent, "validate")
    assert (result.exit_code, result.output) == (0, f"OK: {counts} are valid.\n")


@pytest.mark.parametrize("folder", ["concepts", "personas"])
def test_a_missing_input_folder_is_one_problem_naming_it(small_glossary, folder):
    root = small_glossary.parent
    shutil.rmtree(root / folder)
    before = snapshot(root)
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    assert result.output == (
        "Error: 1 problem in the glossary input:\n"
        f"  {folder}: folder not found (create it, or set {folder}_dir under the glossary plugin in mkdocs.yml)\n"
    )
    assert snapshot(root) == before
