"""The glossary plugin's block in mkdocs.yml, checked the way concept files are: every problem, located."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from generator.errors import Problem
from generator.inputs.policy import Policy
from generator.inputs.yamlerrors import explain
from generator.inputs.yamlfile import _index_lines, _line_of
from generator.settings import PluginConfig

PLACEHOLDER_HOSTS = ("example.com", "example.org", "example.net", "example.github.io", "example.gitlab.io")
PRICE_KEYS = ("input", "cached_input", "output")
_TYPE_NAMES = {
    "int": "a whole number",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "dict": "a mapping",
    "list": "a list",
}


class _AnyTagLoader(yaml.SafeLoader):
    """mkdocs.yml as data, whatever its tags (!ENV, !relative, !!python/name): a tagged value reads as plain."""


_AnyTagLoader.add_multi_constructor(
    "", lambda loader, suffix, node: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
)


class SiteConfig:
    """mkdocs.yml's text, data and key lines, and where the glossary plugin's options sit in it."""

    def __init__(self, path: Path, label: str):
        self.path, self.label = path, label
        self.data: dict = {}
        self.lines: dict[tuple, int] = {}
        self.prefix: tuple = ()  # key path of the plugin's options
        self.options: dict[str, Any] = {}


def read_site_config(path: Path, label: str = "mkdocs.yml") -> tuple[SiteConfig, list[Problem]]:
    """Parse mkdocs.yml and find the glossary plugin's options."""
    site = SiteConfig(path, label)
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=_AnyTagLoader)
        data = yaml.load(text, Loader=_AnyTagLoader)
    except yaml.YAMLError as exc:
        line, message = explain(exc, text)
        return site, [Problem(label, line, "", f"not valid YAML: {message}")]
    if not isinstance(data, dict):
        return site, [Problem(label, 1, "", "mkdocs.yml must be a mapping of settings")]
    site.data = data
    if node is not None:
        _index_lines(node, (), site.lines)
    plugins = data.get("plugins")
    entries = (
        list(plugins.items()) if isinstance(plugins, dict) else [(i, item) for i, item in enumerate(plugins or [])]
    )
    for where, item in entries:
        if item == "glossary" or (isinstance(item, dict) and "glossary" in item) or where == "glossary":
            if isinstance(plugins, dict):
                site.prefix, options = ("plugins", "glossary"), item
            elif isinstance(item, dict):
                site.prefix, options = ("plugins", where, "glossary"), item["glossary"]
            else:
                site.prefix, options = ("plugins", where), {}
            if options is not None and not isinstance(options, dict):
                return site, [
                    Problem(
                        label,
                        _line_of(site.prefix, site.lines),
                        "plugins.glossary",
                        "the glossary plugin's options must be a mapping",
                    )
                ]
            site.options = options or {}
            return site, []
    return site, [
        Problem(
            label, _line_of(("plugins",), site.lines), "plugins", "the 'glossary' plugin is not listed under plugins:"
        )
    ]


def option_problems(site: SiteConfig) -> list[Problem]:
    """Unknown keys (with a did-you-mean), values of the wrong type, a malformed policy or price table."""
    known = [name for name, _ in PluginConfig._schema]
    problems = []
    for key, value in site.options.items():
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            problems.append(
                site_problem(
                    site,
                    (key,),
                    f"unknown setting {key!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(known)}"),
                )
            )
            continue
        config = PluginConfig(config_file_path=str(site.path))
        config.load_dict({key: value})  # one key at a time: MkDocs stops at the first bad value
        failed, _ = config.validate()
        problems += [
            site_problem(site, (name,), _type_message(str(error), value)) for name, error in failed if name == key
        ]
    if not problems:  # every value of the right type: now the rules between values (languages, ranges, GLOSSARY_*)
        config = PluginConfig(config_file_path=str(site.path))
        config.load_dict({key: value for key, value in site.options.items() if key in known})
        failed, _ = config.validate()
        problems += [site_problem(site, (key,), str(error)) for key, error in failed]
    if isinstance(site.options.get("policy"), dict):
        problems += _policy_problems(site)
    if isinstance(site.options.get("prices"), dict):
        problems += _price_problems(site)
    return problems


def reference_problems(site: SiteConfig, personas: set[str], personas_dir: str) -> list[Problem]:
    """Settings that name a persona must name one that exists (a persona file, valid or not)."""
    persona = site.options.get("default_persona")
    if isinstance(persona, str) and persona not in personas:
        hint = difflib.get_close_matches(persona, sorted(personas), n=1)
        known = ", ".join(sorted(personas)) or "none yet"
        return [
            site_problem(
                site,
                ("default_persona",),
                f"no persona {persona!r} ({personas_dir}/{persona}.yaml)"
                + (f"; did you mean {hint[0]!r}?" if hint else f"; known: {known}"),
            )
        ]
    return []


def placeholder_warnings(site: SiteConfig) -> list[Problem]:
    """site_url and repo_url still pointing at an `example` placeholder: every link built from them goes nowhere."""
    warnings = []
    for key in ("site_url", "repo_url"):
        value = site.data.get(key)
        if isinstance(value, str) and is_placeholder_url(value):
            warnings.append(
                Problem(
                    site.label,
                    _line_of((key,), site.lines),
                    key,
                    f"{value!r} is a placeholder: set it to where this glossary really lives (edit and report links are built from it)",
                )
            )
    return warnings


def is_placeholder_url(url: str) -> bool:
    """An `example` address from a template: example.com and friends, or github.com/example/..."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    owner = parts.path.strip("/").split("/")[0].lower() if parts.path.strip("/") else ""
    return (
        host in PLACEHOLDER_HOSTS
        or any(host.endswith("." + h) for h in PLACEHOLDER_HOSTS[:3])
        or (host in ("github.com", "gitlab.com") and owner == "example")
    )


def site_problem(site: SiteConfig, loc: tuple, message: str) -> Problem:
    return Problem(
        site.label, _line_of(site.prefix + loc, site.lines), "plugins.glossary." + ".".join(map(str, loc)), message
    )


def _type_message(error: str, value: Any) -> str:
    found = re.search(r"Expected type: <class '(\w+)'>", error)
    if found:
        return f"must be {_TYPE_NAMES.get(found.group(1), found.group(1))}, not {value!r}"
    return error


def _policy_problems(site: SiteConfig) -> list[Problem]:
    try:
        Policy.model_validate(site.options["policy"])
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ("policy", *err["loc"])
            if err["type"] == "extra_forbidden":
                hint = difflib.get_close_matches(str(err["loc"][-1]), list(Policy.model_fields), n=1)
                message = f"unknown policy rule {err['loc'][-1]!r}" + (
                    f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(Policy.model_fields)}"
                )
            elif err["type"] == "literal_error":
                message = f"must be off, warn or error (or true/false), not {err.get('input')!r}"
            else:
                message = f"{err['msg']} (got {err.get('input')!r})"
            problems.append(site_problem(site, loc, message))
        return problems
    return []


def _price_problems(site: SiteConfig) -> list[Problem]:
    problems = []
    for model, price in site.options["prices"].items():
        loc = ("prices", model)
        if not isinstance(price, dict):
            problems.append(
                site_problem(site, loc, "must be a mapping: {input: ..., output: ...} in USD per million tokens")
            )
            continue
        problems += _rates_problems(site, loc, price, PRICE_KEYS + ("batch",))
        if isinstance(price.get("batch"), dict):
            problems += _rates_problems(site, (*loc, "batch"), price["batch"], PRICE_KEYS)
        elif "batch" in price:
            problems.append(
                site_problem(site, (*loc, "batch"), "must be a mapping: {input: ..., output: ...} (Batch API rates)")
            )
    return problems


def _rates_problems(site: SiteConfig, loc: tuple, price: dict, allowed: tuple[str, ...]) -> list[Problem]:
    problems = []
    for key, value in price.items():
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            known = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(allowed)}"
            problems.append(site_problem(site, (*loc, key), f"unknown price {key!r}{known}"))
        elif key != "batch" and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            problems.append(
                site_problem(site, (*loc, key), f"must be a number of US dollars per million tokens, not {value!r}")
            )
    for key in ("input", "output"):
        if key not in price:
            problems.append(site_problem(site, loc, f"needs {key!r} (USD per million tokens; 0 for a local model)"))
    return problems
