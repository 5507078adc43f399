"""The language dimension: one edition (settings, localised glossary, text store) per language."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from generator.errors import ConfigError
from generator.inputs.languages import check_languages, edition
from generator.inputs.schemas import Glossary
from generator.settings import Settings
from generator.texts.status import PairStatus, glossary_status
from generator.texts.store import Store


@dataclass(frozen=True)
class Edition:
    """One language of a glossary: what its pages, texts and prompts are made from."""

    language: str
    settings: Settings
    glossary: Glossary
    store: Store

    @property
    def source(self) -> bool:
        return self.store.language is None


def editions(glossary: Glossary, settings: Settings, only: tuple[str, ...] = ()) -> list[Edition]:
    """Every edition of the glossary (or the ones named), the source language first."""
    check_languages(glossary, settings.all_languages)
    for language in only:
        if language not in settings.all_languages:
            hint = difflib.get_close_matches(language, settings.all_languages, n=1)
            raise ConfigError(
                f"no language {language!r}: the site's languages are {list(settings.all_languages)}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
            )
    return [
        one_edition(glossary, settings, language) for language in settings.all_languages if not only or language in only
    ]


def one_edition(glossary: Glossary, settings: Settings, language: str) -> Edition:
    """The edition of one language."""
    local = settings.for_language(language)
    return Edition(
        language,
        local,
        edition(glossary, language, settings.source_language),
        Store(settings.concepts_path, local.suffix),
    )


def all_status(found: list[Edition]) -> list[PairStatus]:
    """Every pair of every edition given (glossary_status, one language after the other)."""
    out: list[PairStatus] = []
    for item in found:
        out += glossary_status(item.glossary, item.settings, item.store)
    return out
