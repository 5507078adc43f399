"""Site-level settings: the plugin's block in mkdocs.yml, then GLOSSARY_* variables, then flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c

from generator.errors import ConfigError

# USD per million tokens (input, cached input, output); config `prices` overrides or extends it.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gpt-4o-mini": {"input": 0.15, "cached_input": 0.075, "output": 0.60},
    "gpt-4o": {"input": 2.50, "cached_input": 1.25, "output": 10.00},
    "gpt-4.1": {"input": 2.00, "cached_input": 0.50, "output": 8.00},
    "gpt-4.1-mini": {"input": 0.40, "cached_input": 0.10, "output": 1.60},
    "gpt-4.1-nano": {"input": 0.10, "cached_input": 0.025, "output": 0.40},
    "gpt-5": {"input": 1.25, "cached_input": 0.125, "output": 10.00},
    "gpt-5-mini": {"input": 0.25, "cached_input": 0.025, "output": 2.00},
}


LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")  # en, ja, pt-BR


class PluginConfig(base.Config):
    """The `glossary` plugin's options in mkdocs.yml."""

    concepts_dir = c.Type(str, default="concepts")
    personas_dir = c.Type(str, default="personas")
    language = c.Type(str, default="en")
    languages = c.Type(list, default=[])  # [en, ja]: the first is the language the concept files are written in
    editions = c.Type(dict, default={})  # {ja: {site_name, site_description, label}}: each edition's own names
    default_persona = c.Optional(c.Type(str))
    model = c.Type(str, default="gpt-4o-mini")
    judge_model = c.Optional(c.Type(str))
    temperature = c.Type(float, default=0.3)
    max_tokens = c.Type(int, default=1200)
    timeout = c.Type(float, default=60.0)
    jobs = c.Type(int, default=8)
    cache_dir = c.Type(str, default=".cache")
    verify = c.Type(bool, default=True)
    prices = c.Type(dict, default={})
    max_cost = c.Optional(c.Type(float))
    edit_branch = c.Type(str, default="main")


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about the site, resolved once."""

    root: Path
    config_file: Path
    concepts_dir: str = "concepts"
    personas_dir: str = "personas"
    language: str = "en"  # the language of the edition at hand (the source language unless for_language says)
    languages: tuple[str, ...] = ()
    editions: dict = field(default_factory=dict)
    default_persona: str | None = None
    model: str = "gpt-4o-mini"
    judge_model: str | None = None
    temperature: float = 0.3
    max_tokens: int = 1200
    timeout: float = 60.0
    jobs: int = 8
    cache_dir: str = ".cache"
    verify: bool = True
    prices: dict = field(default_factory=dict)
    max_cost: float | None = None
    edit_branch: str = "main"
    allow_pending: bool = False
    repo_url: str | None = None

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

    def price(self, model: str) -> dict[str, float] | None:
        """Price per million tokens for a model, from config first, then the built-in table."""
        table = {**DEFAULT_PRICES, **self.prices}
        return table.get(model)

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
        """A copy with the given values, ignoring the ones left as None."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def settings_from_plugin(plugin_config: PluginConfig, config_file: Path, repo_url: str | None) -> Settings:
    """Settings from the plugin's validated options, then GLOSSARY_* environment variables."""
    values = {f.name: plugin_config[f.name] for f in fields(Settings) if f.name in plugin_config}
    values.update(_languages(plugin_config, config_file))
    settings = apply_environment(
        Settings(root=config_file.parent.resolve(), config_file=config_file.resolve(), repo_url=repo_url, **values)
    )
    from generator import statcache

    statcache.register(
        settings.root, settings.cache_path
    )  # load_glossary and glossary_status keep their stat cache there
    return settings


def _languages(plugin_config: PluginConfig, config_file: Path) -> dict:
    """`languages:` checked: codes, no repeats, and `language:` (when given) naming the first."""
    languages = [str(code).strip() for code in plugin_config["languages"]]
    if not languages:
        return {"languages": ()}
    where = f"{config_file}: glossary plugin"
    bad = [code for code in languages if not LANGUAGE_RE.match(code)]
    if bad:
        raise ConfigError(f"{where}: languages: bad language code {bad[0]!r}; use codes like 'en', 'ja' or 'pt-BR'")
    if len(set(languages)) != len(languages):
        raise ConfigError(f"{where}: languages: {languages!r} names a language twice")
    if plugin_config["language"] not in ("en", languages[0]):
        raise ConfigError(
            f"{where}: language {plugin_config['language']!r} must be the first of languages {languages!r}"
            " (the language the concept files are written in), or be left out"
        )
    unknown = sorted(set(plugin_config["editions"]) - set(languages))
    if unknown:
        raise ConfigError(f"{where}: editions: {unknown[0]!r} is not one of languages {languages!r}")
    return {"language": languages[0], "languages": tuple(languages)}


def apply_environment(settings: Settings) -> Settings:
    """Let GLOSSARY_MODEL, GLOSSARY_JOBS and friends override mkdocs.yml."""
    values = {}
    for f in fields(Settings):
        name = f"GLOSSARY_{f.name.upper()}"
        raw = os.environ.get(name)
        if raw in (None, "") or f.name in ("root", "config_file", "prices", "languages", "editions"):
            continue
        values[f.name] = _coerce(name, raw, getattr(settings, f.name))
    return replace(settings, **values)


def _coerce(name: str, raw: str, current):
    try:
        if isinstance(current, bool):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError
            return raw.lower() in ("1", "true", "yes")
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float) or name in ("GLOSSARY_MAX_COST",):
            return float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} is not a valid {type(current).__name__}") from None
    return raw


def load_settings(config_file: str | Path = "mkdocs.yml") -> Settings:
    """Read mkdocs.yml the way MkDocs does and return the glossary plugin's settings."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    path = Path(config_file)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found (run from the glossary's folder or pass --config-file)")
    try:
        config = load_config(str(path))
    except ConfigurationError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    plugin = config.plugins.get("glossary")
    if plugin is None:
        raise ConfigError(f"{path}: the 'glossary' plugin is not listed under plugins:")
    return plugin.settings_for(path, config.repo_url)
