"""JSON Schema for input files: generated from the models, committed fresh, usable by check-jsonschema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner
from kit import make_glossary, write_text

from generator.cli.main import main
from generator.inputs.jsonschema import HELP, KINDS, schema, schema_text
from generator.inputs.schemas import Concept, Persona

ROOT = Path(__file__).resolve().parents[1]
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def check_jsonschema(schema_file: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHECK_JSONSCHEMA, "--schemafile", str(schema_file), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_committed_schemas_are_the_ones_the_models_give():
    for kind in KINDS:
        committed = (ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert committed == schema_text(kind), f"schemas/{kind}.schema.json is stale: run `glossary schema --write`"
    result = CliRunner().invoke(main, ["schema", "--check", "-f", str(ROOT / "mkdocs.yml")])
    assert result.exit_code == 0, result.output


def test_every_field_of_the_models_is_in_the_schema_and_nothing_else():
    for kind, model in (("concept", Concept), ("persona", Persona)):
        found = schema(kind)
        assert set(found["properties"]) == set(model.model_fields) - {"slug"}
        assert found["additionalProperties"] is False
        described = {name for name, p in found["properties"].items() if p.get("description")}
        assert set(HELP[kind]) & set(found["properties"]) <= described, "editors show a description on hover"
        assert {"title", "summary", "facts", "name", "background"} & set(found["properties"]) <= described
    assert set(schema("concept")["required"]) == {"title", "summary", "definition"}


def test_check_jsonschema_accepts_the_repositorys_files_and_flags_an_unknown_key(tmp_path):
    concepts = sorted((ROOT / "concepts").glob("*.yaml"))
    assert check_jsonschema(ROOT / "schemas" / "concept.schema.json", *concepts).returncode == 0
    assert (
        check_jsonschema(
            ROOT / "schemas" / "persona.schema.json", *sorted((ROOT / "personas").glob("*.yaml"))
        ).returncode
        == 0
    )
    typo = write_text(tmp_path / "typo.yaml", "title: Typo\nsummary: A typo.\ndefinition: x\ntemprature: 1\n")
    refused = check_jsonschema(ROOT / "schemas" / "concept.schema.json", typo)
    assert refused.returncode == 1
    assert "'temprature' was unexpected" in refused.stdout + refused.stderr


def test_schema_write_and_check_in_a_glossary(tmp_path):
    root = make_glossary(tmp_path / "g")
    config = ["-f", str(root / "mkdocs.yml")]
    missing = CliRunner().invoke(main, ["schema", "--check", *config])
    assert missing.exit_code == 1
    assert (
        "schemas/concept.schema.json, schemas/persona.schema.json: missing or out of date; run `glossary schema --write`"
        in missing.output
    )
    assert CliRunner().invoke(main, ["schema", "--write", *config]).exit_code == 0
    assert json.loads((root / "schemas" / "persona.schema.json").read_text())["title"] == "Glossary persona file"
    assert CliRunner().invoke(main, ["schema", "--check", *config]).exit_code == 0
    (root / "schemas" / "concept.schema.json").write_text("{}\n")
    stale = CliRunner().invoke(main, ["schema", "--check", *config])
    assert stale.exit_code == 1 and "schemas/concept.schema.json: missing or out of date" in stale.output
    printed = CliRunner().invoke(main, ["schema", "persona", *config])
    assert json.loads(printed.output) == schema("persona")


def test_the_pre_commit_hooks_run_commands_the_cli_has():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in hooks} == {"glossary-validate", "glossary-schema"}
    for hook in hooks:
        program, *args = hook["entry"].split()
        assert program == "glossary" and hook["language"] == "python" and hook["pass_filenames"] is False
        result = CliRunner().invoke(main, [*args, "-f", str(ROOT / "mkdocs.yml")])
        assert result.exit_code == 0, (hook["id"], result.output)
