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
    ("concepts/bad-yaml.yaml:1: not valid YAML: unclosed '[' opened at line 1, column 8"),
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


SKELETON_BLANKS = {
    "concept": {
        "summary": "summary: TODO",
        "definition": "definition:",
        "facts.0": "- TODO a key fact",
        "sources.0.title": "title: TODO",
        "sources.0.url": "url: https://example.org/TODO",
    },
    "persona": {"description": "description: TODO", "background": "background:", "analogies.0": "- TODO a field"},
}
FILLED = {
    "TODO one sentence.": "A concept written for this test.",
    "TODO a precise definition in a few sentences.": "A precise definition.",
    "TODO a key fact.": "One checkable fact.",
    "TODO the source's title": "A paper",
    "https://example.org/TODO": "https://arxiv.org/abs/2106.09685",
    "TODO who this reader is.": "A reader.",
    "TODO their training, daily work and the ideas they use without thinking.": "Their training.",
    "TODO a field this reader knows well": "gardening",
}


@pytest.mark.parametrize("kind", ["concept", "persona"])
def test_an_untouched_skeleton_is_refused_naming_every_blank(tmp_path, kind):
    root = make_glossary(tmp_path)
    result = run(root, "new", kind, "fresh-one")
    assert result.exit_code == 0, result.output
    path = root / f"{kind}s" / "fresh-one.yaml"
    text = path.read_text()
    assert text.startswith(f"# yaml-language-server: $schema=../schemas/{kind}.schema.json\n")
    assert text.count("#") >= 5, "the skeleton explains its keys in comments"
    before = snapshot(root)
    refused = run(root, "validate")
    assert refused.exit_code == 2, refused.output
    for key, blank in SKELETON_BLANKS[kind].items():
        line = next(
            n
            for n, written in enumerate(text.splitlines(), 1)
            if blank in written and not written.lstrip().startswith("#")
        )
        assert f"{kind}s/fresh-one.yaml:{line}: {key}: still holds the skeleton's placeholder" in refused.output, (
            key,
            refused.output,
        )
    assert f"{len(SKELETON_BLANKS[kind])} problems" in refused.output
    assert run(root, "build", "--strict").exit_code == 2, "a placeholder is never published"
    assert snapshot(root) == before
    for blank, value in FILLED.items():
        text = text.replace(blank, value)
    path.write_text(text.replace("draft: true", "draft: false"))
    assert run(root, "validate").exit_code == 0, run(root, "validate").output
    again = run(root, "new", kind, "fresh-one")
    assert again.exit_code == 2 and "already exists" in again.output


def test_a_draft_stub_publishes_without_facts_but_not_with_a_placeholder(tmp_path):
    root = make_glossary(tmp_path)
    write_text(
        root / "concepts" / "stub.yaml",
        """\
        title: Stub
        summary: TODO
        definition: A concept whose facts are still being written.
        draft: true
        """,
    )
    refused = run(root, "validate")
    assert refused.exit_code == 2
    assert "concepts/stub.yaml:2: summary: still holds the skeleton's placeholder 'TODO'" in refused.output
    (root / "concepts" / "stub.yaml").write_text(
        (root / "concepts" / "stub.yaml").read_text().replace("summary: TODO", "summary: A stub for now.")
    )
    assert run(root, "validate").exit_code == 0


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
        ("site", "4 concepts (1 draft) and 3 personas"),
    ],
    indirect=["small_glossary"],
)
def test_every_kind_of_test_glossary_is_valid_input(small_glossary, counts):
    result = run(small_glossary.parent, "validate")
    assert result.exit_code == 0, result.output
    assert f"OK: {counts} are valid" in result.output.splitlines()[-1]
    assert "problem" not in result.output, "warnings at most (a one-way link, placeholder URLs)"


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


def with_plugin_options(root, text: str, **top: str) -> None:
    """Add lines under the glossary plugin (indented as its options), and top-level settings."""
    config = root / "mkdocs.yml"
    body = config.read_text().replace(
        "      verify: false\n", "      verify: false\n" + "".join(f"      {line}\n" for line in text.splitlines())
    )
    config.write_text("".join(f"{k}: {v}\n" for k, v in top.items()) + body)


def line_of(root, needle: str, name: str = "mkdocs.yml") -> int:
    return next(n for n, line in enumerate((root / name).read_text().splitlines(), 1) if needle in line)


def test_validate_checks_the_plugin_settings_with_every_other_problem(tmp_path):
    root = make_glossary(tmp_path)
    with_plugin_options(
        root,
        "temprature: 0.5\ndefault_persona: physisist\njobs: many\npolicy:\n  min_fact: 3\n  two_way_related: sometimes\nprices:\n  local: {input: 0, ouput: 0}",
    )
    write_text(root / "concepts" / "typo.yaml", "title: Typo\nsumary: x\ndefinition: y\nfacts: [z]\n")
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    expected = [
        f"mkdocs.yml:{line_of(root, 'temprature')}: plugins.glossary.temprature: unknown setting 'temprature'; did you mean 'temperature'?",
        f"mkdocs.yml:{line_of(root, 'default_persona')}: plugins.glossary.default_persona: no persona 'physisist' (personas/physisist.yaml); did you mean 'physicist'?",
        f"mkdocs.yml:{line_of(root, 'jobs')}: plugins.glossary.jobs: must be a whole number, not 'many'",
        f"mkdocs.yml:{line_of(root, 'min_fact')}: plugins.glossary.policy.min_fact: unknown policy rule 'min_fact'; did you mean 'min_facts'?",
        f"mkdocs.yml:{line_of(root, 'two_way_related')}: plugins.glossary.policy.two_way_related: must be off, warn or error (or true/false), not 'sometimes'",
        f"mkdocs.yml:{line_of(root, 'ouput')}: plugins.glossary.prices.local.ouput: unknown price 'ouput'; did you mean 'output'?",
        f"mkdocs.yml:{line_of(root, 'local:')}: plugins.glossary.prices.local: needs 'output'",
        "concepts/typo.yaml:2: sumary: unknown key 'sumary'; did you mean 'summary'?",
    ]
    for line in expected:
        assert line in result.output, f"missing {line!r} in:\n{result.output}"
    assert "9 problems" in result.output, "the typo's missing summary is the ninth"


def test_a_yaml_error_in_mkdocs_yml_is_located(tmp_path):
    root = make_glossary(tmp_path)
    with_plugin_options(root, "model: 'gpt-4o-mini")
    result = run(root, "validate")
    assert result.exit_code == 2
    assert f"mkdocs.yml:{line_of(root, 'model:')}: not valid YAML: column 14: unclosed quote" in result.output, (
        result.output
    )


def test_placeholder_site_and_repo_urls_are_warnings(tmp_path):
    root = make_glossary(tmp_path)
    with_plugin_options(
        root,
        "",
        site_url="https://example.github.io/tailored-glossary/",
        repo_url="https://github.com/example/tailored-glossary",
    )
    result = run(root, "validate")
    assert result.exit_code == 0, result.output
    assert (
        "warning: mkdocs.yml:1: site_url: 'https://example.github.io/tailored-glossary/' is a placeholder"
        in result.output
    )
    assert "repo_url:" in result.output and "2 warnings above" in result.output
    assert run(root, "validate", "--strict").exit_code == 2


POLICY = "policy:\n  min_facts: 2\n  max_facts: 3\n  require_sources: true\n  https_sources: true\n  require_misconceptions: warn\n  two_way_related: error"


def test_the_policy_is_enforced_with_file_line_and_rule(tmp_path):
    root = make_glossary(tmp_path)
    with_plugin_options(root, POLICY)
    write_text(
        root / "concepts" / "attention.yaml",
        """\
        title: Attention
        summary: A weighted average over a sequence.
        definition: Attention mixes values weighted by how well their keys match a query.
        facts: [One fact.]
        related: [lora]
        sources:
          - {title: A paper, url: "http://arxiv.org/abs/1706.03762"}
        """,
    )
    write_text(
        root / "concepts" / "stub.yaml", "title: Stub\nsummary: Not written yet.\ndefinition: A stub.\ndraft: true\n"
    )
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    for line in [
        "concepts/attention.yaml:4: facts: 1 key fact; at least 2 wanted (or set draft: true until they are in) (policy: min_facts)",
        "concepts/attention.yaml:5: related.0: 'lora' does not link back: add 'attention' to related in concepts/lora.yaml (policy: two_way_related)",
        "concepts/attention.yaml:7: sources.0.url: 'http://arxiv.org/abs/1706.03762' is not an https:// link (policy: https_sources)",
        f"concepts/matrix-rank.yaml:{line_of(root, 'facts:', 'concepts/matrix-rank.yaml')}: facts: 1 key fact; at least 2 wanted",
        "concepts/matrix-rank.yaml:1: sources: no sources: cite what the facts rest on (policy: require_sources)",
    ]:
        assert line in result.output, f"missing {line!r} in:\n{result.output}"
    assert "stub.yaml" not in result.output, "a draft is exempt from the concept rules"
    assert "warning: concepts/attention.yaml:1: misconceptions: no misconceptions" in result.output
    assert "5 problems" in result.output


def test_one_way_related_links_are_warnings_by_default(tmp_path):
    root = make_glossary(tmp_path)
    data = (root / "concepts" / "matrix-rank.yaml").read_text().replace("related:\n- lora\n", "")
    (root / "concepts" / "matrix-rank.yaml").write_text(data)
    result = run(root, "validate")
    assert result.exit_code == 0, result.output
    assert "warning: concepts/lora.yaml:" in result.output and "'matrix-rank' does not link back" in result.output
    assert run(root, "validate", "--strict").exit_code == 2


def test_a_duplicate_alias_is_reported_with_the_files_own_problems(tmp_path):
    root = make_glossary(tmp_path)
    write_text(
        root / "concepts" / "rank-two.yaml", "title: Rank two\naliases: [LoRA]\nsumary: x\ndefinition: y\nfacts: [z]\n"
    )
    result = run(root, "validate")
    assert "concepts/rank-two.yaml:3: sumary: unknown key" in result.output
    assert "concepts/rank-two.yaml:2: aliases.0: 'LoRA' is also the alias of concepts/lora.yaml" in result.output, (
        result.output
    )


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("title: X\nfacts:\n\t- one\n", 3, "column 1: a tab; YAML indents with spaces only"),
        ("title: X\nsummary: y\n  definition: z\n", 3, "bad indentation"),
        ("facts:\n  - a\n - b\n", 3, "bad indentation of a list item"),
        ('title: X\nsummary: "y\ndefinition: z\n', 2, "column 10: unclosed quote"),
        (
            "title: X\nsummary: Note: a colon\n",
            2,
            "a colon and a space inside an unquoted value; put the whole value in quotes",
        ),
        ("title: X\nsummary y\nfacts: []\n", 2, "a line with no colon"),
        ("title: X\ntags: [a, b\nrelated: []\n", 2, "unclosed '[' opened at line 2, column 7"),
        ("title: X\nsummary: `code` here\n", 2, "a value cannot start with '`'; put the whole value in quotes"),
        ('title: "X" extra\n', 1, "text after a quoted value"),
    ],
)
def test_yaml_syntax_errors_say_what_is_probably_wrong(tmp_path, text, line, expected):
    root = make_glossary(tmp_path)
    (root / "concepts" / "broken.yaml").write_text(text)
    result = run(root, "validate")
    assert result.exit_code == 2
    assert f"concepts/broken.yaml:{line}: not valid YAML: " in result.output and expected in result.output, (
        result.output
    )
    assert "while scanning" not in result.output and "<block end>" not in result.output


def test_require_anchors_names_every_plain_fact(tmp_path):
    root = make_glossary(tmp_path)
    with_plugin_options(root, "policy:\n  require_anchors: true")
    write_text(
        root / "concepts" / "anchored.yaml",
        """\
        title: Anchored
        summary: Every fact of it is anchored.
        definition: Something.
        facts:
          - {claim: It is anchored., source: paper, quote: It is anchored}
        related: [lora]
        sources:
          - {id: paper, title: A paper, url: "https://arxiv.org/abs/1706.03762"}
        """,
    )
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    assert (
        f"concepts/lora.yaml:{line_of(root, 'The pretrained', 'concepts/lora.yaml')}: facts.0: a plain fact; anchor it"
        in result.output
    )
    assert "anchored.yaml" not in result.output.split("Error:")[1]
    assert "(policy: require_anchors)" in result.output


def test_require_curated_names_every_text_no_person_reviewed(tmp_path):
    root = make_glossary(tmp_path, explanations=True)
    with_plugin_options(root, "policy:\n  require_curated: true")
    write_text(
        root / "concepts" / "lora" / "child.md",
        "---\nsource: generated\nmodel: m\nfingerprint: x\n---\nA generated text.\n",
    )
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    assert "concepts/lora/child.md: source: generated text not reviewed by a person" in result.output
    assert "(policy: require_curated)" in result.output and "1 problem" in result.output


def test_a_whole_number_is_a_valid_number_of_seconds(tmp_path):
    from kit import write_glossary

    from generator.settings import load_settings

    config = write_glossary(tmp_path / "site", plugin={"timeout": 2, "max_cost": 1, "temperature": 0})
    settings = load_settings(config)
    assert settings.timeout == 2.0 and isinstance(settings.timeout, float)
    assert settings.max_cost == 1.0 and settings.temperature == 0.0
