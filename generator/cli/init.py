"""`glossary init DIR`: a new glossary, ready to push: settings, starter content, workflows and docs."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from generator.cli.options import GlossaryCommand
from generator.errors import ConfigError
from generator.inputs.jsonschema import KINDS, schema_path, schema_text
from generator.inputs.siteconfig import is_placeholder_url

TOOL_ENV = "GLOSSARY_TOOL_SPEC"  # what the new glossary's Makefile installs, when --tool is not given
TOKEN_RE = re.compile(r"@(SITE_NAME|SITE_URL|REPO_URL|TOOL_SPEC)@")


def default_tool_spec() -> str:
    """This version of the tool on the package index."""
    return f"glossary-generator=={metadata.version('glossary-generator')}"


@click.command("init", cls=GlossaryCommand)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--site-name", default="Glossary", show_default=True, help="The site's title.")
@click.option(
    "--site-url",
    prompt="Where will the site be published (site_url)",
    help="Where the site is published, e.g. https://you.github.io/glossary/.",
)
@click.option(
    "--repo",
    "repo_url",
    prompt="The repository's address (repo_url)",
    help="The repository, e.g. https://github.com/you/glossary.",
)
@click.option(
    "--tool",
    "tool_spec",
    envvar=TOOL_ENV,
    default=default_tool_spec,
    show_default="this version on the package index",
    help=f"What the new glossary installs: a version, a git URL or a local checkout (or set {TOOL_ENV}).",
)
@click.option(
    "--allow-example-urls", is_flag=True, help="Accept example.com-style placeholder addresses (for a try-out)."
)
def init_command(
    directory: Path, site_name: str, site_url: str, repo_url: str, tool_spec: str, allow_example_urls: bool
) -> None:
    """Create a new glossary in DIRECTORY: mkdocs.yml, starter personas and concept, workflows, docs."""
    values = _values(site_name, site_url, repo_url, tool_spec, allow_example_urls)
    target = directory.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{directory} already exists and is not empty; choose a new folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _copy_starter(resources.files("generator") / "starter", staging, values)
        for kind in KINDS:
            path = schema_path(staging, kind)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(schema_text(kind), encoding="utf-8")
        _accept_starter_texts(staging)
        shutil.rmtree(staging / ".cache", ignore_errors=True)  # the stat cache of a folder about to move
        if target.exists():
            target.rmdir()
        staging.rename(target)  # all or nothing: the folder appears complete
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    click.echo(
        f"Created a glossary in {directory}. Next:\n  cd {directory}\n  git init && git add -A && git commit -m 'A new glossary'\n  make site    # then make serve to preview it"
    )


def _values(site_name: str, site_url: str, repo_url: str, tool_spec: str, allow_example_urls: bool) -> dict[str, str]:
    problems = []
    for option, url in (("--site-url", site_url), ("--repo", repo_url)):
        if not re.match(r"^https?://[^\s/]+", url or ""):
            problems.append(f"{option} {url!r} is not an http(s) address")
        elif is_placeholder_url(url) and not allow_example_urls:
            problems.append(
                f"{option} {url!r} is a placeholder: give the real address (or pass --allow-example-urls for a try-out)"
            )
    if not tool_spec.strip():
        problems.append("--tool must not be empty")
    if problems:
        raise ConfigError("; ".join(problems))
    return {
        "SITE_NAME": site_name,
        "SITE_URL": site_url.rstrip("/") + "/",
        "REPO_URL": repo_url.rstrip("/"),
        "TOOL_SPEC": tool_spec.strip(),
    }


def _copy_starter(folder: Traversable, target: Path, values: dict[str, str]) -> None:
    """The starter files with their placeholders filled; `dot-x` names become `.x`."""
    target.mkdir(parents=True, exist_ok=True)
    for item in folder.iterdir():
        name = "." + item.name[4:] if item.name.startswith("dot-") else item.name
        if item.is_dir():
            if name != "__pycache__":
                _copy_starter(item, target / name, values)
            continue
        text = item.read_text(encoding="utf-8")
        text = _fill(text, values, quoted=name.endswith((".yml", ".yaml")))
        (target / name).write_text(text, encoding="utf-8")


def _fill(text: str, values: dict[str, str], *, quoted: bool) -> str:
    """The placeholders replaced by their values, as YAML strings in a YAML file."""
    return TOKEN_RE.sub(lambda m: json.dumps(values[m.group(1)]) if quoted else values[m.group(1)], text)


def _accept_starter_texts(root: Path) -> None:
    """Record the starter's curated texts as reviewed against this version's inputs."""
    from generator.inputs.load import load_glossary
    from generator.settings import load_settings
    from generator.texts.status import REVIEW, glossary_status, record_review
    from generator.texts.store import Store

    settings = load_settings(root / "mkdocs.yml")
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
    store = Store(settings.concepts_path)
    for status in glossary_status(glossary, settings, store):
        if status.state == REVIEW:
            record_review(store, status)
