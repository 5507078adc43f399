"""The `glossary` executable: what it starts with and how it exits."""

from __future__ import annotations

import gc
import subprocess
import sys

from generator.gcpause import long_lived_imports


def test_imports_run_without_the_collector_and_stay_out_of_later_collections(tmp_path, monkeypatch):
    (tmp_path / "many_objects.py").write_text(
        # Lists, not dicts of numbers: CPython does not track a dict that holds only atomic values,
        # so such a table would add nothing to the frozen count.
        "TABLE = [[i] for i in range(5000)]\nENABLED = __import__('gc').isenabled()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    before = gc.get_freeze_count()
    try:
        with long_lived_imports():
            import many_objects
        assert many_objects.ENABLED is False
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + 5000
    finally:
        gc.unfreeze()
        sys.modules.pop("many_objects", None)


def test_collector_stays_off_when_it_was_off():
    gc.disable()
    try:
        with long_lived_imports():
            pass
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_command_reports_errors_and_exit_codes_through_the_entry_point(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "generator", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and "version" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "-f", "nowhere.yml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert "nowhere.yml: config file not found" in bad.stderr


def test_commands_owned_elsewhere_are_imported_when_run_or_listed(tmp_path):
    """`glossary status` (run on every change) imports no model client side: the commands owning it load on use."""
    probe = (
        "import sys; from click.testing import CliRunner; from generator.cli.main import main; "
        "before = sorted(m for m in sys.modules if m.startswith(('generator.cli.generate', 'generator.writing', 'openai'))); "
        "helped = CliRunner().invoke(main, ['--help']).output; "
        "ran = CliRunner().invoke(main, ['schema', 'concept']); "
        "print(before, 'generate' in helped and 'eval-judge' in helped, ran.exit_code, '\"title\"' in ran.output)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.split() == ["[]", "True", "0", "True"], out.stdout + out.stderr


def test_status_keeps_only_the_last_run_s_statuses_until_exit(tmp_path):
    """What `status` read outlives the command (the process exits without freeing it), one run's worth at most."""
    from click.testing import CliRunner
    from kit import make_glossary

    import generator.cli.main as cli

    root = make_glossary(tmp_path, explanations=True)
    for _ in range(2):
        result = CliRunner().invoke(cli.main, ["status", "-f", str(root / "mkdocs.yml")])
        assert result.exit_code == 0, result.output
    glossary, statuses = cli._last_status
    assert len(cli._last_status) == 2 and sorted(glossary.concepts) == ["lora", "matrix-rank"]
    assert len(statuses) == 4 and {s.state for s in statuses} == {"review"}
