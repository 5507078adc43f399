"""`glossary validate`: the whole input at once, from mkdocs.yml's settings to the content policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from generator.errors import ConfigError, InputError, Problem
from generator.inputs.load import load_glossary
from generator.inputs.policy import Findings, Policy, check_concepts, check_texts
from generator.inputs.schemas import Glossary
from generator.inputs.siteconfig import (
    SiteConfig,
    option_problems,
    placeholder_warnings,
    read_site_config,
    reference_problems,
)
from generator.llm.cache import tracked_files
from generator.settings import Settings, load_settings
from generator.texts.editions import Edition, all_status, editions
from generator.texts.status import BROKEN


@dataclass
class Checked:
    """What validate found, and the glossary and its editions when they could be read."""

    findings: Findings
    glossary: Glossary | None = None
    settings: Settings | None = None
    editions: list[Edition] = field(default_factory=list)


def check_site(config_file: Path) -> Checked:
    """Every error and warning in mkdocs.yml's glossary settings, the input files and the policy."""
    if not config_file.is_file():
        raise ConfigError(
            f"{config_file}: config file not found (run from the glossary's folder or pass --config-file)"
        )
    checked = Checked(Findings())
    findings = checked.findings
    site, problems = read_site_config(config_file, config_file.name)
    findings.errors += problems
    if problems:
        return checked
    findings.errors += option_problems(site)
    findings.warnings += placeholder_warnings(site)
    root, personas_dir = config_file.parent.resolve(), _folder(site, "personas_dir")
    findings.errors += reference_problems(site, {p.stem for p in (root / personas_dir).glob("*.y*ml")}, personas_dir)
    if not findings.errors:
        checked.settings = load_settings(config_file)
        findings.errors += _committed_cache(checked.settings)
    languages = checked.settings.all_languages if checked.settings else ()
    try:
        glossary = load_glossary(root, _folder(site, "concepts_dir"), personas_dir, languages)
    except InputError as exc:
        findings.errors += exc.problems
        return checked
    checked.glossary = glossary
    policy = _policy(site)
    check_concepts(glossary, policy, findings)
    if checked.settings is not None:
        checked.editions = editions(glossary, checked.settings)
        statuses = all_status(checked.editions)
        # an explanation file that cannot be read is a problem of the input, as a concept file is
        findings.errors += [_problem_of(s) for s in statuses if s.state == BROKEN]
        check_texts(glossary, policy, statuses, findings)
    return checked


def _committed_cache(settings: Settings) -> list[Problem]:
    """A cache folder with files in git: a committed answer could stand in for the model's."""
    tracked = tracked_files(settings.cache_path)
    if not tracked:
        return []
    more = f" and {len(tracked) - 1} more file(s)" if len(tracked) > 1 else ""
    message = (
        f"committed to git{more} under the cache folder: a cache is never committed (a committed answer "
        "could stand in for the model's); remove it with `git rm -r --cached`"
    )
    return [Problem(tracked[0], 0, "", message)]


def _problem_of(status) -> Problem:
    """An unreadable explanation file as a validation problem: its file, line and why."""
    where = status.reasons[0][: -len(status.error.reason) - 2]  # "concepts/x/y.md:4" as status shows it
    file = where.rsplit(":", 1)[0] if status.error.line else where
    return Problem(file, status.error.line, "", status.error.reason)


def _folder(site: SiteConfig, key: str) -> str:
    value = site.options.get(key)
    return value if isinstance(value, str) and value else key.split("_")[0]


def _policy(site: SiteConfig) -> Policy:
    try:
        return Policy.model_validate(site.options.get("policy") or {})
    except ValidationError:
        return Policy()  # already reported by option_problems
