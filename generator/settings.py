"""Site-level settings: the plugin's options in mkdocs.yml, then GLOSSARY_* variables, then command-line flags.

PluginConfig is the one source of every option's default and of the rules its value must follow;
Settings is what a command gets: those options, validated, and where the site is.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

from generator.errors import ConfigError

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")  # en, ja, pt-BR


class Number(c.Type):
    """A number of any kind in mkdocs.yml (`timeout: 2` as well as `timeout: 2.5`), kept as a float."""

    def __init__(self, default: float | None = None):
        super().__init__(float, default=default)

    def run_validation(self, value: object) -> float:
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        return super().run_validation(value)


class PluginConfig(base.Config):
    """The `glossary` plugin's options in mkdocs.yml; GLOSSARY_<OPTION> in the environment overrides any but `prices`."""

    concepts_dir = c.Type(str, default="concepts")
    """Folder of the concept files (`<slug>.yaml`, and `<slug>/<persona>.md`), relative to mkdocs.yml."""
    personas_dir = c.Type(str, default="personas")
    """Folder of the persona files, relative to mkdocs.yml."""
    language = c.Type(str, default="en")
    """Language the explanations are written in, and the site's interface language (en, ja, ...)."""
    languages = c.Type(list, default=[])
    """Every edition's language, e.g. [en, ja]: the first is the language the concept files are written in."""
    editions = c.Type(dict, default={})
    """Each edition's own names, by language: {ja: {site_name, site_description, label}}."""
    default_persona = c.Optional(c.Type(str))
    """The persona whose tab opens first; by default the first by `order`."""
    model = c.Type(str, default="gpt-4o-mini")
    """The model that writes explanations."""
    judge_model = c.Optional(c.Type(str))
    """The model that checks them against the key facts; by default `model`."""
    temperature = Number(default=0.3)
    """Sampling temperature for writing, from 0 to 2."""
    max_tokens = c.Type(int, default=1200)
    """Longest answer in tokens (at least 16); a truncated answer is asked again once with twice the room."""
    timeout = Number(default=60.0)
    """Seconds to wait for one model response (more than 0)."""
    jobs = c.Type(int, default=8)
    """Model requests in flight at most, from 1 to 256 (`--jobs` overrides it)."""
    cache_dir = c.Type(str, default=".cache")
    """Folder of the call cache, the stat caches and the failures record, relative to mkdocs.yml."""
    verify = c.Type(bool, default=True)
    """Check every generated text against its concept's key facts before it is written."""
    prices = c.Type(dict, default={})
    """USD per million tokens by model (`input`, `cached_input`, `output`), over the built-in table."""
    max_cost = c.Optional(Number())
    """Start no new request once this many dollars are spent, 0 or more (`--max-cost` overrides it)."""
    edit_branch = c.Type(str, default="main")
    """The branch the pages' edit links point to."""
    links_per_text = c.Type(int, default=8)
    """Concepts linked at most in one text of a concept page (each at its first mention): more is noise; 0 links none."""
    allow_pending = c.Type(bool, default=False)
    """A strict build lists pairs still waiting for their text instead of failing (`glossary build --allow-pending`)."""
    examples = c.Type(int, default=2)
    """How many of a reader's curated texts its prompts show as worked examples (0: none); see texts/prompts.py."""
    service_tier = c.Choice(("default", "flex", "auto", "priority"), default="default")
    """The OpenAI service tier: `flex` bills at Batch API rates on the synchronous path, with slower answers."""
    flex_timeout = Number(default=900.0)
    """Seconds a flex request may take (more than 0; OpenAI suggests 15 minutes)."""
    flex_fallback = Number(default=600.0)
    """Seconds of flex refusing every request (429) before the rest of the run uses the default tier (0 or more)."""
    max_wait = Number(default=300.0)
    """Longest pause a server may ask for (Retry-After, in seconds, more than 0); a longer one stops the run."""

    policy = c.Type(dict, default={})
    """The content rules `glossary validate` enforces: {min_facts, require_sources, two_way_related, ...} (inputs/policy.py)."""

    def validate(self):
        """MkDocs' check of each option, GLOSSARY_* overrides applied first; then the rules between values."""
        failed = self._apply_environment()
        checked, warnings = super().validate()
        failed += checked
        if not failed:
            failed += [(key, base.ValidationError(message)) for key, message in rule_problems(self)]
        return failed, warnings

    def _apply_environment(self) -> list[tuple[str, base.ValidationError]]:
        failed = []
        for key, option in self._schema:
            name = f"GLOSSARY_{key.upper()}"
            raw = os.environ.get(name)
            if raw in (None, "") or _value_type(option) in (list, dict):  # prices, languages, editions
                continue
            try:
                self[key] = _coerce(_value_type(option), raw)
            except ValueError:
                kind = _value_type(option).__name__
                failed.append((key, base.ValidationError(f"environment variable {name}={raw!r} is not a valid {kind}")))
        return failed


def _value_type(option: base.BaseConfigOption) -> type:
    inner = getattr(option, "option", option)  # c.Optional wraps the real option
    return getattr(inner, "_type", str)


def _coerce(kind: type, raw: str) -> Any:
    if kind is bool:
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError(raw)
        return raw.lower() in ("1", "true", "yes")
    return kind(raw) if kind in (int, float) else raw


def rule_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every option whose value breaks a rule, with what is wrong: (option, message)."""
    problems = []
    if values["links_per_text"] < 0:
        problems.append(("links_per_text", f"must be 0 or more, not {values['links_per_text']}"))
    if not 1 <= values["jobs"] <= 256:
        problems.append(("jobs", f"must be from 1 to 256, not {values['jobs']}"))
    if values["max_tokens"] < 16:
        problems.append(("max_tokens", f"must be at least 16, not {values['max_tokens']}"))
    if not 0 <= values["temperature"] <= 2:
        problems.append(("temperature", f"must be between 0 and 2, not {values['temperature']}"))
    if values["timeout"] <= 0:
        problems.append(("timeout", f"must be a positive number of seconds, not {values['timeout']}"))
    if not values["model"].strip():
        problems.append(("model", "must not be empty"))
    if values["max_cost"] is not None and values["max_cost"] < 0:
        problems.append(("max_cost", f"must not be negative, not {values['max_cost']}"))
    if values["examples"] < 0:
        problems.append(("examples", f"must not be negative, not {values['examples']}"))
    if values["flex_timeout"] <= 0:
        problems.append(("flex_timeout", f"must be a positive number of seconds, not {values['flex_timeout']}"))
    if values["max_wait"] <= 0:
        problems.append(("max_wait", f"must be a positive number of seconds, not {values['max_wait']}"))
    if values["flex_fallback"] < 0:
        problems.append(("flex_fallback", f"must not be negative, not {values['flex_fallback']}"))
    return problems + _language_problems(values)


def _language_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`languages:` codes, no repeats, `language:` (when given) naming the first, editions only for them."""
    languages = [str(code).strip() for code in values["languages"]]
    if not languages:
        return []
    bad = [code for code in languages if not LANGUAGE_RE.match(code)]
    if bad:
        return [("languages", f"bad language code {bad[0]!r}; use codes like 'en', 'ja' or 'pt-BR'")]
    if len(set(languages)) != len(languages):
        return [("languages", f"{languages!r} names a language twice")]
    problems = []
    if values["language"] not in ("en", languages[0]):
        message = f"language {values['language']!r} must be the first of languages {languages!r} (the language the concept files are written in), or be left out"
        problems.append(("language", message))
    unknown = sorted(set(values["editions"]) - set(languages))
    if unknown:
        problems.append(("editions", f"{unknown[0]!r} is not one of languages {languages!r}"))
    return problems


@dataclass(frozen=True)
class Settings:
    """What a command needs to know about the site: PluginConfig's options, validated, and where the site is.

    No defaults here: every value comes from a validated PluginConfig (settings_from_plugin)."""

    root: Path
    config_file: Path
    repo_url: str | None
    concepts_dir: str
    personas_dir: str
    language: str  # the language of the edition at hand (the source language unless for_language says)
    languages: tuple[str, ...]
    editions: dict
    default_persona: str | None
    model: str
    judge_model: str | None
    temperature: float
    max_tokens: int
    timeout: float
    jobs: int
    cache_dir: str
    verify: bool
    prices: dict
    max_cost: float | None
    edit_branch: str
    links_per_text: int
    allow_pending: bool
    examples: int
    service_tier: str
    flex_timeout: float
    flex_fallback: float
    max_wait: float
    policy: dict

    @property
    def concepts_path(self) -> Path:
        return self.root / self.concepts_dir

    @property
    def personas_path(self) -> Path:
        return self.root / self.personas_dir

    @property
    def cache_path(self) -> Path:
        return self.root / self.cache_dir

    @property
    def judge(self) -> str:
        return self.judge_model or self.model

    @property
    def source_language(self) -> str:
        """The language the concept and persona files are written in."""
        return self.languages[0] if self.languages else self.language

    @property
    def all_languages(self) -> tuple[str, ...]:
        """Every edition's language, the source language first."""
        return self.languages or (self.language,)

    @property
    def suffix(self) -> str | None:
        """The language part of this edition's text file names (`child.ja.md`); None in the source language."""
        return None if self.language == self.source_language else self.language

    def for_language(self, language: str) -> Settings:
        """The settings of one edition."""
        return replace(self, language=language)

    def override(self, **values) -> Settings:
        """A copy with the given values (command-line flags), ignoring the ones left as None; checked by the same rules."""
        settings = replace(self, **{k: v for k, v in values.items() if v is not None})
        problems = rule_problems({f.name: getattr(settings, f.name) for f in fields(settings)})
        if problems:
            raise ConfigError("; ".join(f"{key} {message}" for key, message in problems))
        return settings


def settings_from_plugin(plugin_config: PluginConfig, config_file: Path, repo_url: str | None) -> Settings:
    """Settings from the plugin's validated options (GLOSSARY_* already applied by PluginConfig.validate)."""
    options = {key: plugin_config[key] for key, _ in PluginConfig._schema}
    options["languages"] = tuple(str(code).strip() for code in options["languages"])
    if options["languages"]:
        options["language"] = options["languages"][0]
    settings = Settings(
        root=config_file.parent.resolve(), config_file=config_file.resolve(), repo_url=repo_url, **options
    )
    from generator import safefs, statcache

    if not os.environ.get("GLOSSARY_CACHE_DIR") and not safefs.inside(settings.cache_path, settings.root):
        # mkdocs.yml comes with pull requests: its cache folder (or a link there) must not lead elsewhere.
        try:
            safefs.check(settings.cache_path, settings.root)
            reason = "is outside the repository"
        except safefs.Unsafe as exc:
            reason = exc.reason
        raise ConfigError(
            f"{config_file}: glossary plugin: cache_dir {settings.cache_dir!r} {reason}; "
            "set GLOSSARY_CACHE_DIR to use a folder elsewhere"
        )
    statcache.register(settings.root)  # load_glossary and glossary_status keep their stat cache for it
    return settings


def settings_from_options(config_file: Path, **options: Any) -> Settings:
    """Settings from plugin options as mkdocs.yml would give them (defaults for the rest), checked the same way."""
    config = PluginConfig(config_file_path=str(config_file))
    config.load_dict(options)
    failed, _ = config.validate()
    if failed:
        raise ConfigError("; ".join(f"{key} {error}" for key, error in failed))
    return settings_from_plugin(config, Path(config_file), None)


def load_settings(config_file: str | Path = "mkdocs.yml") -> Settings:
    """Read mkdocs.yml the way MkDocs does and return the glossary plugin's settings."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    path = Path(config_file)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found (run from the glossary's folder or pass --config-file)")
    errors = _ConfigErrors()
    logger = logging.getLogger("mkdocs.config")
    logger.addHandler(errors)
    try:
        config = load_config(str(path))
    except (ConfigurationError, Abort) as exc:
        raise ConfigError(f"{path}: {'; '.join(errors.messages) or exc}") from None
    finally:
        logger.removeHandler(errors)
    plugin = config.plugins.get("glossary")
    if plugin is None:
        raise ConfigError(f"{path}: the 'glossary' plugin is not listed under plugins:")
    return plugin.settings_for(path, config.repo_url)


class _ConfigErrors(logging.Handler):
    """Keeps the errors MkDocs logs while loading a config (they become our message); shows the rest as before."""

    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.messages.append(record.getMessage())
        elif logging.lastResort is not None and record.levelno >= logging.lastResort.level:
            logging.lastResort.handle(record)
