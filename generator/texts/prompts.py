"""The prompt: templates shipped in the package, filled from a concept, a persona and the site.

Laid out for OpenAI's prompt cache, which serves an exact prompt prefix of 1,024 tokens or more
(in steps of 128) at a discount: the fixed instructions, then the block that consecutive requests
share, then the other block, then what is particular to one attempt (a fact-checker's feedback).
In a run over many concepts for a few readers the shared block is the reader's ("persona-first",
the usual layout); in a run over few concepts for many readers it is the concept's
("concept-first"). The reader's block carries up to `examples` of that reader's curated texts as
worked examples, which makes it both long enough to be cached and a model of the voice wanted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import jinja2

from generator.inputs.digests import related_summaries
from generator.inputs.schemas import Concept, Glossary, Persona

LANGUAGE_NAMES = {
    "en": "English",
    "ja": "Japanese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "zh": "Chinese",
    "ko": "Korean",
    "pt": "Portuguese",
    "it": "Italian",
}
TEMPLATES = ("system.md", "reader.md", "concept.md", "user.md")
PERSONA_FIRST, CONCEPT_FIRST = "persona", "concept"
MAX_EXAMPLE_WORDS = 450  # a worked example longer than this costs more than it teaches


@cache
def template_text(name: str) -> str:
    """The raw text of one packaged template."""
    return resources.files("generator").joinpath("templates", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def templates_sha256() -> str:
    """One hash over every template, part of each generated pair's fingerprint."""
    digest = hashlib.sha256()
    for name in TEMPLATES:
        digest.update(name.encode() + b"\0" + template_text(name).encode("utf-8") + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


@lru_cache(maxsize=8)
def _compiled(text: str) -> jinja2.Template:
    """A template compiled once per text (compiling costs ~10 ms; rendering ~0.1 ms)."""
    return _environment().from_string(text)


@dataclass(frozen=True)
class Example:
    """A curated explanation shown to the model as a worked example for its reader."""

    concept: str
    title: str
    body: str


@dataclass(frozen=True)
class Prompt:
    """One request's messages, and the prefix it shares with the other requests of its group."""

    messages: list[dict[str, str]]
    prefix: str = field(repr=False)

    @property
    def cache_key(self) -> str:
        """`prompt_cache_key`: the same for every request sharing the prefix, so they reach one cache."""
        return "glossary-" + hashlib.sha256(self.prefix.encode("utf-8")).hexdigest()[:24]


def choose_layout(pairs: Iterable[tuple[str, str]]) -> str:
    """Persona-first unless the run has more readers than concepts (then each concept's block is shared)."""
    pairs = list(pairs)
    concepts = {concept for concept, _ in pairs}
    personas = {persona for _, persona in pairs}
    return CONCEPT_FIRST if len(concepts) < len(personas) else PERSONA_FIRST


def worked_examples(glossary: Glossary, curated: dict[str, str], count: int) -> tuple[Example, ...]:
    """Up to `count` of a reader's curated texts (concept slug -> body), in slug order, short ones only."""
    out = []
    for slug in sorted(curated):
        body = curated[slug].strip()
        if slug in glossary.concepts and body and len(re.findall(r"\S+", body)) <= MAX_EXAMPLE_WORDS:
            out.append(Example(slug, glossary.concepts[slug].title, body))
        if len(out) >= count:
            break
    return tuple(out)


def build_prompt(
    glossary: Glossary,
    concept: Concept,
    persona: Persona,
    language: str,
    feedback: list[str] | None = None,
    *,
    layout: str = PERSONA_FIRST,
    examples: Iterable[Example] = (),
) -> Prompt:
    """The Chat Completions messages for one pair: fixed instructions, the shared block, the other block."""
    names = {"language": language, "language_name": LANGUAGE_NAMES.get(language, language)}
    # Another language's edition: the source-language definition and facts are the ground truth.
    source_language = glossary.source.language if glossary.source is not None else language
    ground = glossary.ground_truth(concept.slug) if source_language != language else None
    examples = [e for e in examples if e.concept != concept.slug]
    reader = _compiled(template_text("reader.md")).render(persona=persona, examples=examples, **names)
    about = _compiled(template_text("concept.md")).render(
        concept=concept,
        related=related_summaries(glossary, concept),
        ground=ground,
        ground_language_name=LANGUAGE_NAMES.get(source_language, source_language or "the source language"),
        **names,
    )
    shared, own = (about, reader) if layout == CONCEPT_FIRST else (reader, about)
    user = _compiled(template_text("user.md")).render(
        shared=shared, own=own, concept=concept, feedback=feedback or [], ground=ground, **names
    )
    system = template_text("system.md")
    return Prompt([{"role": "system", "content": system}, {"role": "user", "content": user}], system + "\n" + shared)


@dataclass
class PromptPlan:
    """How one run lays out its prompts: the layout, and each reader's worked examples."""

    layout: str = PERSONA_FIRST
    examples: dict[str, tuple[Example, ...]] = field(default_factory=dict)

    def prompt(
        self, glossary: Glossary, concept: Concept, persona: Persona, language: str, feedback: list[str] | None = None
    ) -> Prompt:
        examples = self.examples.get(persona.slug, ())
        return build_prompt(glossary, concept, persona, language, feedback, layout=self.layout, examples=examples)

    def other_layout(self, glossary: Glossary, concept: Concept, persona: Persona, language: str) -> Prompt:
        """The same prompt in the other layout (an answer cached from a run laid out otherwise is as good)."""
        other = PERSONA_FIRST if self.layout == CONCEPT_FIRST else CONCEPT_FIRST
        examples = self.examples.get(persona.slug, ())
        return build_prompt(glossary, concept, persona, language, layout=other, examples=examples)

    def group(self, concept: str, persona: str) -> str:
        """What a pair shares its prompt prefix with: its reader (persona-first) or its concept."""
        return concept if self.layout == CONCEPT_FIRST else persona


def plan_prompts(glossary: Glossary, statuses: Iterable, pairs: Iterable[tuple[str, str]], count: int) -> PromptPlan:
    """The layout for these pairs, and up to `count` worked examples for each of their readers, taken
    from the pairs in `statuses` written by people (states "curated" and "review")."""
    pairs = list(pairs)
    personas = {persona for _, persona in pairs}
    curated: dict[str, dict[str, str]] = {}
    if count > 0:
        for status in statuses:
            if status.state in ("curated", "review") and status.persona in personas and status.explanation is not None:
                curated.setdefault(status.persona, {})[status.concept] = status.explanation
    examples = {}
    for persona, texts in curated.items():
        bodies = {slug: texts[slug].body for slug in sorted(texts)[: count * 4]}  # read only a few files
        examples[persona] = worked_examples(glossary, bodies, count)
    return PromptPlan(choose_layout(pairs), examples)


def build_messages(
    glossary: Glossary, concept: Concept, persona: Persona, language: str, feedback: list[str] | None = None
) -> list[dict[str, str]]:
    """The messages of one pair in the usual layout, without worked examples."""
    return build_prompt(glossary, concept, persona, language, feedback).messages
