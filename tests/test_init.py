"""`glossary init`: a new glossary whose `make site` and `make test` pass with no key, as its README says."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from kit import copy_checkout

from generator.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
URLS = ["--site-url", "https://a.example/g/", "--repo", "https://github.com/a/g"]


def init(target: Path, *args: str):
    return CliRunner().invoke(main, ["init", str(target), *args])


def make(folder: Path, *args: str, venv_bin: Path | None = BIN, timeout: int = 240) -> subprocess.CompletedProcess:
    """`make` in the new glossary; with venv_bin, this test run's virtual environment stands in for .venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GLOSSARY_", "MAKE"))}
    reuse = [f"BIN={venv_bin}", "-o", f"{venv_bin}/glossary"] if venv_bin else []
    return subprocess.run(["make", *reuse, *args], cwd=folder, capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def glossary(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("init") / "new-glossary"
    result = init(target, *URLS, "--site-name", "Team words", "--tool", str(ROOT))
    assert result.exit_code == 0, result.output
    return target


def test_init_writes_everything_a_new_glossary_needs(glossary):
    for name in (
        "mkdocs.yml",
        "Makefile",
        "README.md",
        "CONTRIBUTING.md",
        ".gitignore",
        "docs/index.md",
        "docs/about.md",
        ".github/workflows/ci.yml",
        ".github/workflows/regenerate.yml",
        "schemas/concept.schema.json",
        "schemas/persona.schema.json",
    ):
        assert (glossary / name).is_file(), name
    personas = sorted(p.stem for p in (glossary / "personas").glob("*.yaml"))
    concepts = sorted(p.stem for p in (glossary / "concepts").glob("*.yaml"))
    assert 2 <= len(personas) <= 3 and len(concepts) == 1
    assert sorted(p.stem for p in (glossary / "concepts" / concepts[0]).glob("*.md")) == personas
    config = (glossary / "mkdocs.yml").read_text()
    settings = yaml.safe_load(config)
    assert (settings["site_name"], settings["site_url"], settings["repo_url"]) == (
        "Team words",
        "https://a.example/g/",
        "https://github.com/a/g",
    )
    assert "policy:" in config and "@" not in config
    assert f"GLOSSARY_TOOL ?= {ROOT}" in (glossary / "Makefile").read_text()
    for path in [*(glossary / "concepts").glob("*.yaml"), *(glossary / "personas").glob("*.yaml")]:
        assert path.read_text().startswith("# yaml-language-server: $schema=../schemas/"), path.name
    assert not any(p.name.startswith(".new-glossary") for p in glossary.parent.iterdir()), "no staging folder is left"


def test_make_site_and_make_test_pass_with_no_key(glossary):
    site = make(glossary, "site")
    assert site.returncode == 0, site.stdout + site.stderr
    page = (glossary / "site" / "concepts" / "glossary" / "index.html").read_text()
    assert page.count('class="glossary-explanation"') == 2 and "glossary-missing" not in page
    assert "https://github.com/a/g/edit/main/concepts/glossary.yaml" in page
    tested = make(glossary, "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "OK: 1 concept (0 drafts) and 2 personas are valid." in tested.stdout
    assert "warning" not in tested.stdout + tested.stderr


def test_its_workflows_are_valid_github_workflows(glossary):
    checked = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, sorted((glossary / ".github" / "workflows").glob("*.yml"))),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "make test" in (glossary / ".github" / "workflows" / "ci.yml").read_text()


def test_make_serve_previews_the_site_as_its_readme_says(glossary):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["make", f"BIN={BIN}", "-o", f"{BIN}/glossary", "serve", f"ADDR=127.0.0.1:{port}"],
        cwd=glossary,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        page = None
        while page is None and server.poll() is None:  # until it serves or stops (no time budget: load varies)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/g/concepts/glossary/", timeout=30) as answer:
                    page = answer.read().decode()
            except OSError:
                time.sleep(0.5)  # poll interval while mkdocs builds, not a synchronisation
        assert page is not None and 'class="glossary-explanation"' in page, f"make serve exited ({server.returncode})"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--site-url", "https://example.github.io/g/", "--repo", "https://github.com/a/g"],
            "--site-url 'https://example.github.io/g/' is a placeholder",
        ),
        (
            ["--site-url", "https://a.example/g/", "--repo", "https://github.com/example/g"],
            "--repo 'https://github.com/example/g' is a placeholder",
        ),
        (
            ["--site-url", "a.example/g", "--repo", "https://github.com/a/g"],
            "--site-url 'a.example/g' is not an http(s) address",
        ),
    ],
)
def test_init_refuses_placeholder_addresses_and_writes_nothing(tmp_path, args, message):
    result = init(tmp_path / "g", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_takes_an_example_address_when_told_and_never_fills_a_used_folder(tmp_path):
    assert (
        init(
            tmp_path / "try",
            "--site-url",
            "https://example.com/",
            "--repo",
            "https://github.com/example/g",
            "--allow-example-urls",
        ).exit_code
        == 0
    )
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    refused = init(tmp_path / "used", *URLS)
    assert refused.exit_code == 2 and "already exists and is not empty" in refused.output
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["notes.txt"]


def test_init_asks_for_the_addresses_it_is_not_given(tmp_path):
    result = CliRunner().invoke(
        main, ["init", str(tmp_path / "asked")], input="https://a.example/g/\nhttps://github.com/a/g\n"
    )
    assert result.exit_code == 0, result.output
    assert "site_url" in result.output and "repo_url" in result.output
    assert yaml.safe_load((tmp_path / "asked" / "mkdocs.yml").read_text())["repo_url"] == "https://github.com/a/g"


def test_a_new_glossary_installs_the_tool_in_its_own_venv(tmp_path):
    """The one test that creates a virtual environment: `make site` as a new user runs it, from this checkout."""
    checkout = copy_checkout(tmp_path / "checkout")  # pip builds in the tree it installs from: never in this one
    target = tmp_path / "fresh"
    assert init(target, *URLS, "--tool", str(checkout)).exit_code == 0
    site = make(target, f"PYTHON={sys.executable}", "site", venv_bin=None, timeout=290)
    assert site.returncode == 0, site.stdout + site.stderr
    assert (target / ".venv" / "bin" / "glossary").is_file()
    assert (target / "site" / "concepts" / "glossary" / "index.html").is_file()
