"""Settings: PluginConfig is the one source of defaults and rules; GLOSSARY_* and flags go through the same checks."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest
from click.testing import CliRunner
from kit import edit_config

from generator import settings as settings_module
from generator.cli.main import main
from generator.errors import ConfigError
from generator.settings import PluginConfig, Settings, load_settings, settings_from_options


def run(config: Path, *args: str):
    return CliRunner().invoke(main, [*args, "-f", str(config)])


def test_settings_hold_every_plugin_option_and_repeat_no_default():
    options = {key for key, _ in PluginConfig._schema}
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert set(fields) == options | {"root", "config_file", "repo_url"}
    assert all(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING for f in fields.values())


def test_every_plugin_option_has_a_docstring():
    tree = ast.parse(inspect.getsource(PluginConfig))
    body = tree.body[0].body
    options = [node.targets[0].id for node in body if isinstance(node, ast.Assign)]
    documented = [
        node.targets[0].id
        for node, following in zip(body, body[1:])
        if isinstance(node, ast.Assign)
        and isinstance(following, ast.Expr)
        and isinstance(following.value, ast.Constant)
        and isinstance(following.value.value, str)
    ]
    assert options == [key for key, _ in PluginConfig._schema]
    assert documented == options


def test_defaults_come_from_the_plugin_config(tmp_path):
    settings = settings_from_options(tmp_path / "mkdocs.yml")
    assert (settings.model, settings.jobs, settings.verify, settings.max_cost) == ("gpt-4o-mini", 8, True, None)
    assert settings.root == tmp_path.resolve() and settings.cache_path == tmp_path.resolve() / ".cache"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("jobs", 0, "jobs must be from 1 to 256, not 0"),
        ("max_tokens", 8, "max_tokens must be at least 16, not 8"),
        ("temperature", 2.5, "temperature must be between 0 and 2, not 2.5"),
        ("timeout", 0.0, "timeout must be a positive number of seconds, not 0.0"),
        ("model", " ", "model must not be empty"),
        ("max_cost", -1.0, "max_cost must not be negative, not -1.0"),
        ("links_per_text", -1, "links_per_text must be 0 or more, not -1"),
    ],
)
def test_a_value_breaking_a_rule_is_refused_wherever_it_comes_from(tmp_path, option, value, message):
    with pytest.raises(ConfigError) as raised:
        settings_from_options(tmp_path / "mkdocs.yml", **{option: value})
    assert str(raised.value) == message


def test_a_bad_option_in_mkdocs_yml_is_one_message_naming_it_exit_2(small_glossary):
    edit_config(small_glossary, plugin={"jobs": 0})
    result = run(small_glossary, "validate")
    assert result.exit_code == 2, result.output
    assert "Error: 1 problem in the glossary input:\n  mkdocs.yml:" in result.output  # validate locates it
    assert "plugins.glossary.jobs: must be from 1 to 256, not 0" in result.output
    built = run(small_glossary, "build")
    assert built.exit_code == 2 and "Plugin 'glossary' option 'jobs': must be from 1 to 256, not 0" in built.output


def test_environment_overrides_are_coerced_and_checked(small_glossary, monkeypatch):
    monkeypatch.setenv("GLOSSARY_JOBS", "3")
    monkeypatch.setenv("GLOSSARY_VERIFY", "no")
    monkeypatch.setenv("GLOSSARY_MAX_COST", "2.5")
    monkeypatch.setenv("GLOSSARY_JUDGE_MODEL", "gpt-4o")
    settings = load_settings(small_glossary)
    assert (settings.jobs, settings.verify, settings.max_cost, settings.judge) == (3, False, 2.5, "gpt-4o")
    monkeypatch.setenv("GLOSSARY_JOBS", "many")
    result = run(small_glossary, "validate")
    assert result.exit_code == 2
    assert "jobs: environment variable GLOSSARY_JOBS='many' is not a valid int" in result.output
    monkeypatch.setenv("GLOSSARY_JOBS", "300")
    result = run(small_glossary, "validate")
    assert result.exit_code == 2 and "jobs: must be from 1 to 256, not 300" in result.output


def test_command_line_flags_go_through_the_same_rules(small_glossary):
    result = run(small_glossary, "generate", "--jobs", "0", "--dry-run")
    assert result.exit_code == 2
    assert result.output == "Error: jobs must be from 1 to 256, not 0\n"
    result = run(small_glossary, "generate", "--max-cost", "-1", "--dry-run")
    assert result.exit_code == 2
    assert result.output == "Error: max_cost must not be negative, not -1.0\n"


def test_no_other_module_repeats_a_default_or_a_rule():
    package = Path(settings_module.__file__).parent
    for path in package.rglob("*.py"):
        if path.name == "settings.py":
            continue
        text = path.read_text(encoding="utf-8")
        for repeated in ("must be at least 16", "must be a positive number of seconds", "IntRange", "FloatRange"):
            assert repeated not in text, f"{path.relative_to(package)} repeats {repeated!r}"
