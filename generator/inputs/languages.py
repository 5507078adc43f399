"""Editions: one glossary in each of its languages, localised from the `translations` of its files.

The concept files are written in the first language of `languages:` (the source language). Every
other language is an edition whose concepts take their title, aliases, summary, tags and, where
given, definition and facts from `translations: {<lang>: ...}`, and whose personas are the ones
published in that language, localised the same way. The source-language definition and facts stay
the ground truth every edition's texts are checked against (`Glossary.ground_truth`)."""

from __future__ import annotations

from dataclasses import replace

from generator.errors import InputError, Problem
from generator.inputs.digests import concept_digest, digest, related_digest
from generator.inputs.schemas import Concept, Glossary, Persona
from generator.inputs.yamlfile import KeyLines, _line_of

TEXT_FIELDS = ("title", "aliases", "summary", "definition", "facts")


def edition(glossary: Glossary, language: str, source: str) -> Glossary:
    """The glossary as published in `language` (in the source language: itself, less other languages' personas)."""
    glossary.language = glossary.language or source  # the files' own language
    personas = {slug: localised_persona(p, language) for slug, p in glossary.personas.items() if publishes(p, language)}
    if language == source:
        if len(personas) == len(glossary.personas):
            return glossary
        return replace(glossary, personas=personas, language=language, source=glossary)
    concepts = {slug: localised_concept(c, language) for slug, c in glossary.concepts.items()}
    view = replace(glossary, concepts=concepts, personas=personas, language=language, source=glossary)
    view.input_digests = {}
    for slug, concept in concepts.items():
        original = glossary.concepts[slug]
        # The ground truth and this language's wording: a change to either changes the texts.
        own = digest([concept_digest(original), _translation_inputs(original, language)])
        view.input_digests[slug] = (concept, own, related_digest(view, concept))
    return view


def publishes(persona: Persona, language: str) -> bool:
    """Whether a persona has a tab in this language's edition (every edition, unless it lists its languages)."""
    return persona.languages is None or language in persona.languages


def localised_concept(concept: Concept, language: str) -> Concept:
    """A concept with its fields in `language` where its translation gives them (the source's otherwise)."""
    translation = concept.translations.get(language)
    if translation is None:
        return concept
    fields = (*TEXT_FIELDS, "tags")
    return concept.model_copy(
        update={k: getattr(translation, k) for k in fields if getattr(translation, k) is not None}
    )


def localised_persona(persona: Persona, language: str) -> Persona:
    """A persona with its fields in `language` where its translation gives them."""
    translation = persona.translations.get(language)
    if translation is None:
        return persona
    return persona.model_copy(update=translation.model_dump(exclude_none=True))


def reading(glossary: Glossary, slug: str) -> str | None:
    """The reading (kana) a concept's translation gives for its edition's language, if any."""
    translation = glossary.ground_truth(slug).translations.get(glossary.language)
    return None if translation is None else translation.reading


def _translation_inputs(concept: Concept, language: str) -> dict:
    translation = concept.translations.get(language)
    return {} if translation is None else translation.model_dump(include=set(TEXT_FIELDS), exclude_none=True)


def check_languages(glossary: Glossary, languages: tuple[str, ...]) -> None:
    """Raise InputError when translations or persona `languages:` name a language the site does not publish."""
    problems = language_problems(glossary, languages)
    if problems:
        raise InputError(problems)


def language_problems(glossary: Glossary, languages: tuple[str, ...]) -> list[Problem]:
    """Translations and persona `languages:` naming a language the site does not publish."""
    configured = set(languages[1:])
    problems: list[Problem] = []
    for folder, items in ((glossary.concepts_dir, glossary.concepts), (glossary.personas_dir, glossary.personas)):
        for slug, item in sorted(items.items()):
            editions = item.languages if isinstance(item, Persona) else None  # a concept has no `languages:`
            if not item.translations and not editions:
                continue  # most files: nothing to check (10,000 of them on every `glossary status`)
            lines = KeyLines(path=glossary.root / folder / f"{slug}.yaml")  # read only for a problem's line
            for language in sorted(item.translations):
                if language not in configured:
                    problems.append(
                        Problem(
                            f"{folder}/{slug}.yaml",
                            _line_of(("translations", language), lines),
                            f"translations.{language}",
                            _unpublished(language, languages, "translation"),
                        )
                    )
            for i, language in enumerate(editions or []):
                if language not in languages:
                    problems.append(
                        Problem(
                            f"{folder}/{slug}.yaml",
                            _line_of(("languages", i), lines),
                            f"languages.{i}",
                            _unpublished(language, languages, "edition"),
                        )
                    )
    problems += _label_problems(glossary, languages)
    return problems


def _label_problems(glossary: Glossary, languages: tuple[str, ...]) -> list[Problem]:
    """Two readers of one edition with the same tab label (in the source language, load_glossary checks)."""
    problems = []
    for language in languages[1:]:
        seen: dict[str, str] = {}
        for slug, persona in sorted(glossary.personas.items()):
            if not publishes(persona, language):
                continue
            translated = language in persona.translations
            name = localised_persona(persona, language).name.casefold()
            if name in seen and translated:
                path = f"{glossary.personas_dir}/{slug}.yaml"
                where = _line_of(("translations", language, "name"), KeyLines(path=glossary.root / path))
                label = localised_persona(persona, language).name
                message = f"tab label {label!r} is already used in the {language!r} edition by {glossary.personas_dir}/{seen[name]}.yaml"
                problems.append(Problem(path, where, f"translations.{language}.name", message))
            elif name in seen:
                other = seen[name]
                path = f"{glossary.personas_dir}/{other}.yaml"
                label = localised_persona(persona, language).name
                message = f"tab label {label!r} is already used in the {language!r} edition by {glossary.personas_dir}/{slug}.yaml"
                problems.append(Problem(path, 0, f"translations.{language}.name", message))
            else:
                seen[name] = slug
    return problems


def _unpublished(language: str, languages: tuple[str, ...], what: str) -> str:
    if len(languages) <= 1:
        return f"a {what} in {language!r}, but the site has one language; add `languages: [{languages[0] if languages else 'en'}, {language}]` under the glossary plugin in mkdocs.yml"
    if language == languages[0]:
        return f"{language!r} is the source language: the file's own fields are already in it"
    return f"no {what} for {language!r}: the site's languages are {list(languages)} (mkdocs.yml)"
