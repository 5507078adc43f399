"""The input contract: one pydantic schema per input kind, and the loaded glossary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, field_validator

from generator.inputs.plaintext import FACTS_MAX, LIST_MAX, NAME_MAX, SENTENCE_MAX, Line, Paragraphs, Url
from generator.settings import LANGUAGE_RE

ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|et al|etc|vs|cf|Dr|Mr|Ms|No|Fig)\.", re.I)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z][a-z]")

# Every field is plain text as generator/inputs/plaintext.py defines it: one line unless it is a
# definition or a background, no control characters, a length limit on each, a count limit on lists.
Name = Line(NAME_MAX)
Text = Line()
Slug = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SLUG_RE.pattern, max_length=NAME_MAX)]
TAG_MAX = 60
TagName = Line(TAG_MAX)  # a tag in any script (機械学習, fine-tuning): Material slugifies it for its URL only
Language = Annotated[str, StringConstraints(strip_whitespace=True, pattern=LANGUAGE_RE.pattern)]
# A reading for the A to Z's gojūon order: hiragana or katakana (with ー and ・).
READING_RE = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\u30fc\u30fb ]+$")
Reading = Annotated[str, StringConstraints(strip_whitespace=True, pattern=READING_RE.pattern, max_length=NAME_MAX)]
# A Japanese or Chinese summary: a full stop with more text after it starts a second sentence.
WIDE_SENTENCE_BREAK = re.compile(r"[。！？](?=.*[^\s」』）)】])", re.S)


def _check_one_sentence(value: str) -> str:
    # Removing abbreviations never creates a sentence break, so only a possible break needs the (slow) removal.
    plain = ABBREVIATIONS.sub("", value) if SENTENCE_BREAK.search(value) else value
    if "\n\n" in value or len(value) > 400 or SENTENCE_BREAK.search(plain) or WIDE_SENTENCE_BREAK.search(value):
        raise ValueError(f"must be one sentence (at most 400 characters): {value[:80]!r}")
    return value


def Items(item, max_items: int = LIST_MAX):  # noqa: N802 - a type, as pydantic spells them
    """A list of at most max_items items."""
    return Annotated[list[item], Field(max_length=max_items)]


class Source(BaseModel):
    """A reference that supports the concept's facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug | None = None
    title: Name
    url: Url


class Fact(BaseModel):
    """A key fact anchored to one of the concept's sources by the exact words that support it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: Text
    source: Slug
    quote: Text
    section: Text | None = None

    def __str__(self) -> str:
        return self.claim


def _fact_kind(value: object) -> str:
    return "anchored" if isinstance(value, (dict, Fact)) else "plain"


# A fact is a plain string or an anchored mapping; the discriminator keeps errors to the kind given.
FactItem = Annotated[Annotated[Text, Tag("plain")] | Annotated[Fact, Tag("anchored")], Discriminator(_fact_kind)]


class ConceptTranslation(BaseModel):
    """A concept's fields in another language: `translations: {ja: {...}}` (definition and facts optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Name
    aliases: Items(Name) = []
    summary: Line(SENTENCE_MAX)
    reading: Reading | None = None
    definition: Paragraphs() | None = None
    facts: Items(Text, FACTS_MAX) | None = None  # the claims, in the source's order (quotes stay in the source's)
    tags: Items(TagName) | None = None

    @field_validator("summary")
    @classmethod
    def _one_sentence(cls, value: str) -> str:
        return _check_one_sentence(value)


class Concept(BaseModel):
    """One concept: `concepts/<slug>.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(default="", exclude=True)
    title: Name
    aliases: Items(Name) = []
    summary: Line(SENTENCE_MAX)
    definition: Paragraphs()
    facts: Items(FactItem, FACTS_MAX) = []
    misconceptions: Items(Text) = []
    tags: Items(TagName) = []
    related: Items(Slug) = []
    sources: Items(Source) = []
    draft: bool = False
    translations: dict[Language, ConceptTranslation] = {}

    @field_validator("summary")
    @classmethod
    def _one_sentence(cls, value: str) -> str:
        return _check_one_sentence(value)

    @property
    def claims(self) -> list[str]:
        """Every key fact's claim, anchored or not."""
        return [str(fact) for fact in self.facts]

    @property
    def anchored(self) -> list[tuple[int, Fact]]:
        """The anchored facts with their 1-based numbers."""
        return [(i, fact) for i, fact in enumerate(self.facts, 1) if isinstance(fact, Fact)]

    def source(self, source_id: str) -> Source | None:
        """The source with this id."""
        return next((s for s in self.sources if s.id == source_id), None)

    def names(self) -> list[str]:
        """The title and every alias: the words that mean this concept."""
        return [self.title, *self.aliases]


class PersonaTranslation(BaseModel):
    """A persona's fields in another language: `translations: {ja: {name: 小学生, ...}}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: Text | None = None
    background: Paragraphs() | None = None
    analogies: Items(Text) | None = None
    avoid: Items(Text) | None = None
    tone: Name | None = None


class Persona(BaseModel):
    """One reader type: `personas/<slug>.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(default="", exclude=True)
    name: Name
    description: Text
    background: Paragraphs()
    analogies: Items(Text) = []
    avoid: Items(Text) = []
    tone: Name = "clear and friendly"
    length: Annotated[int, Field(ge=50, le=2000)] = 250
    order: int = 100
    languages: Items(Language) | None = None  # the editions this reader has a tab in (default: all)
    translations: dict[Language, PersonaTranslation] = {}


@dataclass
class Glossary:
    """Every concept and persona of one site, validated together."""

    root: Path
    concepts: dict[str, Concept] = field(default_factory=dict)
    personas: dict[str, Persona] = field(default_factory=dict)
    concepts_dir: str = "concepts"
    personas_dir: str = "personas"
    # slug -> (the Concept, its `concept` and `related` input hashes) as load_glossary worked them out
    # (most of them remembered by the stat cache); see fingerprint.all_concept_digests
    input_digests: dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)
    # An edition (see inputs/languages.py): its language, and the glossary as its files say it
    language: str = ""
    source: Glossary | None = field(default=None, repr=False, compare=False)

    def ground_truth(self, slug: str) -> Concept:
        """A concept as its file says it, in the source language: what every edition's texts are checked against."""
        return (self.source or self).concepts[slug]

    def ordered_personas(self) -> list[Persona]:
        """Personas in tab order (then by slug, so the order is stable)."""
        return sorted(self.personas.values(), key=lambda p: (p.order, p.slug))

    def publishable(self) -> list[Concept]:
        """Concepts that get explanations (drafts only show their definition)."""
        return [c for c in self.concepts.values() if not c.draft]
