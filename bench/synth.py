"""Synthetic glossaries for the benchmark: real-looking text expanded from the ML glossary corpus.

The corpus (``/work/shared/corpora/ml-glossary/terms``, "Machine Learning Glossary", CC BY 4.0,
https://creativecommons.org/licenses/by/4.0/) holds 381 terms, about 174 with a real body. Each
synthetic concept starts from one corpus term (its title qualified by a field, "ADAM Optimizer in
speech recognition", once the 381 titles are used up), takes its definition, facts and sources
from that term, links to related concepts, and gets one explanation per persona of about 250
words composed from corpus sentences. Everything is deterministic for a given size.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CORPUS = Path(os.environ.get("GLOSSARY_BENCH_CORPUS", "/work/shared/corpora/ml-glossary/terms"))
DATE = "2026-11-27"
MODEL = "gpt-4o-mini"

QUALIFIERS = [
    "",
    "in computer vision",
    "in natural language processing",
    "for time series",
    "in reinforcement learning",
    "for recommender systems",
    "in speech recognition",
    "on graphs",
    "in robotics",
    "for tabular data",
    "in medical imaging",
    "in finance",
    "in genomics",
    "for anomaly detection",
    "in search ranking",
    "for edge devices",
    "in federated settings",
    "in climate science",
    "for fraud detection",
    "in astronomy",
    "for autonomous driving",
    "in drug discovery",
    "for code models",
    "in materials science",
    "for music",
    "in epidemiology",
    "for satellite imagery",
    "in chemistry",
    "for e-commerce",
    "in particle physics",
    "for translation",
    "in education",
]
TAG_POOL = [
    "optimization",
    "statistics",
    "deep-learning",
    "linear-algebra",
    "probability",
    "evaluation",
    "training",
    "regularization",
    "architecture",
    "data",
    "inference",
    "clustering",
    "classification",
    "regression",
    "unsupervised",
    "supervised",
    "generative",
    "efficiency",
    "theory",
    "tooling",
]
MISCONCEPTIONS = [
    "{t} always needs labelled data for every example.",
    "{t} guarantees the global optimum.",
    "{t} makes a model immune to overfitting.",
    "{t} only works on images.",
    "{t} removes the need for a validation set.",
    "{t} is the same thing as a neural network.",
    "{t} was invented in the last five years.",
    "{t} scales linearly with any amount of data for free.",
]
EXTRA_PERSONAS = {
    "designer": {
        "name": "Product designer",
        "description": "A product designer who shapes interfaces for features built on machine learning.",
        "background": "Runs user research, sketches flows, prototypes in Figma, reads usage dashboards and A/B test results; no programming or statistics beyond the basics.",
        "analogies": [
            "design systems and component libraries",
            "user research and usability testing",
            "A/B tests and funnels",
        ],
        "avoid": ["formulas", "unexplained acronyms"],
        "tone": "visual and practical; concrete examples from products people use",
        "length": 250,
        "order": 6,
    },
    "historian": {
        "name": "Historian",
        "description": "A historian of science who writes about how ideas spread.",
        "background": "Reads primary sources, knows the history of statistics and computing, writes long-form prose.",
        "analogies": ["archives and catalogues", "the history of scientific instruments"],
        "avoid": ["hype"],
        "tone": "measured and narrative",
        "length": 250,
        "order": 7,
    },
}


def _link_safe(url: str) -> str:
    """A corpus URL as the concept schema accepts it: the characters that end a link percent-encoded."""
    return "".join(f"%{ord(ch):02X}" if ch in " \"'()[]{}<>" else ch for ch in url)


@dataclass
class Term:
    slug: str
    title: str
    related: list[str]
    references: list[dict]
    paragraphs: list[str]
    sentences: list[str] = field(default_factory=list)


def _clean_inline(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("**", "").replace("__", "")
    return re.sub(r"\s+", " ", text).strip()


def load_corpus(folder: Path = CORPUS) -> list[Term]:
    """Every corpus term, its body split into clean paragraphs and sentences."""
    terms = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta, body = {}, text
        if text.startswith("---\n"):
            end = text.find("\n---", 3)
            meta = yaml.safe_load(text[4:end]) or {}
            body = text[end + 4 :]
        lines = [ln for ln in body.splitlines() if not re.match(r"^\s*\[[^\]]+\]:\s", ln)]
        paragraphs = []
        for block in re.split(r"\n\s*\n", "\n".join(lines)):
            block = block.strip()
            if not block or block.startswith(("#", "|", "```", "$$", "<", "!")):
                continue
            block = re.sub(r"^\s*(\d+\.|[-*>])\s+", "", block, flags=re.M)
            cleaned = _clean_inline(block)
            if len(cleaned.split()) >= 5:
                paragraphs.append(cleaned)
        term = Term(
            slug=path.stem,
            title=str(meta.get("title") or path.stem.replace("-", " ").capitalize()).strip(),
            related=[str(r) for r in meta.get("related_terms") or []],
            references=[
                r
                for r in meta.get("references") or []
                if isinstance(r, dict)
                and str(r.get("link_url", "")).startswith(("http://", "https://"))
                and r.get("link_title")
            ],
            paragraphs=paragraphs,
        )
        for para in paragraphs:
            for sentence in re.split(r"(?<=[.!?])(?<!\s[A-Z]\.)\s+(?=[A-Z(])", para):
                words = len(sentence.split())
                if 6 <= words <= 45 and sentence[-1:] in ".!?" and "$$" not in sentence:
                    term.sentences.append(sentence)
        terms.append(term)
    if not terms:
        raise SystemExit(f"no corpus terms in {folder}")
    return terms


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "concept"


def _one_sentence(text: str, fallback: str) -> str:
    """The first sentence, short, and passing the one-sentence rule (no '. Capital' inside)."""
    first = re.split(r"(?<=[.!?])(?<!\s[A-Z]\.)\s+(?=[A-Z(])", text.strip())[0] if text.strip() else ""
    words = first.split()
    if len(words) > 32:
        first = " ".join(words[:32]).rstrip(",;:") + "."
    if not first or re.search(r"[.!?]\s+[A-Z][a-z]", first) or len(first) > 380 or "\n" in first:
        first = fallback
    if first[-1] not in ".!?":
        first += "."
    return first


class Synth:
    """Deterministic concepts, personas and explanation bodies for a glossary of n concepts."""

    def __init__(self, terms: list[Term]):
        self.terms = terms
        self.by_slug = {t.slug: t for t in terms}
        self.pool = [s for t in terms for s in t.sentences]
        self.bodies = [t for t in terms if t.sentences]

    # -- concepts

    def concept_ids(self, n: int) -> list[tuple[int, Term, str]]:
        """(index, corpus term, title) for the first n concepts; titles unique case-insensitively."""
        out, seen = [], set()
        i = 0
        while len(out) < n:
            gen, k = divmod(i, len(self.terms))
            term = self.terms[k]
            qualifier = QUALIFIERS[gen % len(QUALIFIERS)]
            suffix = f" {gen // len(QUALIFIERS) + 1}" if gen >= len(QUALIFIERS) else ""
            title = f"{term.title} {qualifier}".strip() + suffix
            i += 1
            if title.casefold() in seen:
                continue
            seen.add(title.casefold())
            out.append((len(out), term, title))
        return out

    def concepts(self, n: int) -> dict[str, dict]:
        ids = self.concept_ids(n)
        slugs: dict[str, int] = {}
        rows = []
        for index, term, title in ids:
            slug = slugify(title)
            if slug in slugs:
                slug = f"{slug}-{index}"
            slugs[slug] = index
            rows.append((index, term, title, slug))
        by_term_gen: dict[tuple[str, int], str] = {}
        for index, term, _title, slug in rows:
            by_term_gen.setdefault((term.slug, index // len(self.terms)), slug)
        all_slugs = [r[3] for r in rows]
        names_seen: set[str] = {r[2].casefold() for r in rows}
        out: dict[str, dict] = {}
        for index, term, title, slug in rows:
            rng = random.Random(f"concept-{index}")
            gen = index // len(self.terms)
            qualifier = QUALIFIERS[gen % len(QUALIFIERS)]
            source = term if term.sentences else self.bodies[index % len(self.bodies)]
            related = [
                by_term_gen[(r, gen)] for r in term.related if (r, gen) in by_term_gen and by_term_gen[(r, gen)] != slug
            ]
            while len(related) < 3 and len(all_slugs) > 4:
                other = all_slugs[rng.randrange(len(all_slugs))]
                if other != slug and other not in related:
                    related.append(other)
            related = related[:6]
            if term.paragraphs:
                definition = " ".join(term.paragraphs[:2])
                words = definition.split()
                if len(words) > 110:
                    definition = " ".join(words[:110]).rstrip(",;:") + "."
            else:
                picks = rng.sample(source.sentences, min(2, len(source.sentences)))
                definition = f"{term.title} is a machine-learning concept closely tied to {source.title}. " + " ".join(
                    picks
                )
            if qualifier:
                definition += f" This entry covers how it is used {qualifier}."
            summary = _one_sentence(
                term.paragraphs[0] if term.paragraphs else "", f"A machine-learning concept related to {source.title}."
            )
            if qualifier:
                summary = summary[:-1] + f", as applied {qualifier}."
            facts = [s for s in (term.sentences or source.sentences)[:3]] or [
                f"{term.title} is used {qualifier or 'in machine learning'}."
            ]
            facts = facts[: rng.randint(2, 3)] if len(facts) >= 2 else facts
            misconceptions = [m.format(t=term.title) for m in rng.sample(MISCONCEPTIONS, rng.randint(1, 2))]
            tags = sorted(
                set(
                    rng.sample(TAG_POOL, rng.randint(2, 3))
                    + ([slugify(qualifier.split(" ", 1)[1])] if qualifier else [])
                )
            )
            aliases = []
            match = re.search(r"\(([^)]+)\)", term.title)
            if match:
                alias = f"{match.group(1)} {qualifier}".strip() + (
                    f" {gen // len(QUALIFIERS) + 1}" if gen >= len(QUALIFIERS) else ""
                )
                if alias.casefold() not in names_seen:
                    names_seen.add(alias.casefold())
                    aliases.append(alias)
            sources = [
                {"title": str(r["link_title"]).strip(), "url": _link_safe(str(r["link_url"]).strip())}
                for r in term.references[:3]
            ]
            if not sources:
                sources = [
                    {
                        "title": f"{term.title} - Machine Learning Glossary",
                        "url": f"https://machinelearning.wtf/terms/{term.slug}/",
                    }
                ]
            data = {
                "title": title,
                "aliases": aliases,
                "summary": summary,
                "definition": definition,
                "facts": facts,
                "misconceptions": misconceptions,
                "tags": tags,
                "related": related,
                "sources": sources,
            }
            out[slug] = {k: v for k, v in data.items() if v != []}
        return out

    # -- personas

    @staticmethod
    def personas(p: int, project_personas: Path | None = None) -> dict[str, dict]:
        """The project's own personas first, then the extra ones, p in all."""
        found: dict[str, dict] = {}
        if project_personas and project_personas.is_dir():
            for path in sorted(project_personas.glob("*.yaml")):
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
                if "en" not in (data.pop("languages", None) or ["en"]):
                    continue  # a persona of another language's edition only
                data.pop("translations", None)  # synthetic glossaries have one language
                found[path.stem] = data
        for slug, data in EXTRA_PERSONAS.items():
            found.setdefault(slug, data)
        if len(found) < p:
            raise SystemExit(f"only {len(found)} personas available, {p} asked")
        chosen = sorted(found.items(), key=lambda kv: (kv[1].get("order", 100), kv[0]))[:p]
        return dict(chosen)

    # -- explanations

    def explanation(self, index: int, concept: dict, persona_slug: str, persona: dict, words: int = 250) -> str:
        """About `words` words: an opener drawing on the persona's analogies, corpus paragraphs, a limit."""
        rng = random.Random(f"explain-{index}-{persona_slug}")
        title = concept["title"]
        analogies = persona.get("analogies") or ["everyday things"]
        analogy = analogies[rng.randrange(len(analogies))]
        openers = [
            f"Think of {title} the way you would think about {analogy}.",
            f"If you know {analogy}, you already have most of the picture of {title}.",
            f"Here is {title} explained through {analogy}.",
            f"{title} sounds abstract, but {analogy} gives a good handle on it.",
        ]
        own = self.by_slug.get(concept.get("_term", ""), None)
        sentences = list(own.sentences) if own else []
        local = [s for t in rng.sample(self.bodies, 6) for s in t.sentences]
        paragraphs: list[list[str]] = [[openers[rng.randrange(len(openers))]]]
        count = len(paragraphs[0][0].split())
        target = words + rng.randint(-30, 30)
        source = sentences + local
        rng.shuffle(local)
        i = 0
        while count < target - 40:
            sentence = source[i % len(source)] if source else self.pool[rng.randrange(len(self.pool))]
            i += 1
            if len(paragraphs[-1]) >= rng.randint(3, 5):
                paragraphs.append([])
            paragraphs[-1].append(sentence)
            count += len(sentence.split())
        blocks = [" ".join(p) for p in paragraphs if p]
        if rng.random() < 0.4 and len(blocks) > 2:
            items = [s.rstrip(".") for s in rng.sample(self.pool, 3)]
            blocks.insert(2, "\n".join(f"- {item}" for item in items))
        if rng.random() < 0.3:
            blocks.insert(len(blocks) - 1, "### In practice")
        if rng.random() < 0.3:
            blocks.append(
                f"In code you would meet it as `{slugify(title).replace('-', '_')[:30]}(x)`, one call among many."
            )
        blocks.append(f"Where the analogy stops: {analogy} is only a picture; the definition below is the reference.")
        return "\n\n".join(blocks) + "\n"


MKDOCS_YML = """\
site_name: Benchmark Glossary
site_url: https://example.org/glossary/
theme:
  name: material
  font: false
  features:
    - content.tabs.link
    - content.tooltips
    - navigation.instant
    - navigation.top
    - search.highlight
    - search.suggest
plugins:
  - search
  - tags
  - glossary:
      language: en
      model: {model}
      verify: false
markdown_extensions:
  - toc:
      permalink: true
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
nav:
  - Home: index.md
  - A to Z: concepts/index.md
  - Tags: tags.md
"""

INDEX_MD = "# Benchmark glossary\n\nA synthetic glossary for `make bench`, expanded from the Machine Learning Glossary (CC BY 4.0).\n"


@contextmanager
def no_fsync():
    """Fixture files are throw-away: skip the per-file fsync of Store.write while writing them."""
    real = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


def write_glossary(
    root: Path, synth: Synth, n: int, p: int, *, explanations: int | None = None, model: str = MODEL
) -> dict:
    """A glossary site of n concepts x p personas with every pair fresh (the first `explanations` concepts only, if given)."""
    from generator.inputs.load import load_glossary
    from generator.settings import load_settings
    from generator.texts.fingerprint import combine
    from generator.texts.status import current_inputs
    from generator.texts.store import Explanation, Store

    root.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(MKDOCS_YML.format(model=model), encoding="utf-8")
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "index.md").write_text(INDEX_MD, encoding="utf-8")
    concepts = synth.concepts(n)
    personas = synth.personas(p, Path(__file__).resolve().parent.parent / "personas")
    for folder in ("concepts", "personas"):
        (root / folder).mkdir(exist_ok=True)
    for slug, data in concepts.items():
        (root / "concepts" / f"{slug}.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
        )
    for slug, data in personas.items():
        (root / "personas" / f"{slug}.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
        )
    settings = load_settings(root / "mkdocs.yml")
    glossary = load_glossary(settings.root, settings.concepts_dir, settings.personas_dir)
    store = Store(settings.concepts_path)
    term_of = {slug: term.slug for (_, term, _), slug in zip(synth.concept_ids(n), concepts)}
    written = 0
    words = 0
    with no_fsync():
        for index, slug in enumerate(concepts):
            if explanations is not None and index >= explanations:
                break
            for pslug, pdata in personas.items():
                inputs = current_inputs(glossary, settings, slug, pslug)
                body = synth.explanation(index, {**concepts[slug], "_term": term_of[slug]}, pslug, pdata)
                words += len(body.split())
                meta = {
                    "source": "generated",
                    "model": settings.model,
                    "date": dt.date.fromisoformat(DATE).isoformat(),
                    "fingerprint": combine(inputs),
                    "inputs": inputs,
                    "usage": {"prompt_tokens": 900, "completion_tokens": 340},
                }
                store.write(Explanation(slug, pslug, body, meta))
                written += 1
    return {
        "concepts": len(concepts),
        "personas": len(personas),
        "explanations": written,
        "mean_words": words / max(written, 1),
    }


def write_plain(glossary_root: Path, plain_root: Path) -> dict:
    """The same pages pre-rendered as plain Markdown files for a plain MkDocs Material site (the floor).

    The glossary plugin itself makes the pages (its on_config and on_files, in this process): every
    page it generates is written to docs/ as it is, except that each concept page gets its texts
    spliced in as Markdown where the plugin would splice their sanitised HTML. The mkdocs.yml lists
    the same theme features, Markdown extensions, search and tags, and the plugin's CSS and JS.
    """
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    from generator.site import pages
    from generator.texts.sanitize import clean_markdown

    config = load_config(str(glossary_root / "mkdocs.yml"))
    plugin = config.plugins["glossary"]
    config.plugins._current_plugin = "glossary"  # what PluginCollection.run_event sets, for File.generated
    config = plugin.on_config(config)
    files = plugin.on_files(get_files(config), config)
    docs = plain_root / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    nonce, language = plugin.nonce, plugin.site.language
    marker = getattr(sys.modules[type(plugin).__module__], "PERSONAS_MARKER", None)
    written = 0
    for file in files:
        target = docs / file.src_uri
        target.parent.mkdir(parents=True, exist_ok=True)
        page = plugin.concept_pages.get(file.src_uri)
        if page is not None:
            text = page.markdown
            for index, fragment in enumerate(page.fragments):
                indent = "    " if fragment.kind in ("explanation", "missing") else ""
                body = clean_markdown(fragment.markdown)
                if fragment.kind == "explanation":
                    body += "\n" + pages.provenance(fragment.explanation, language) + "\n{ .glossary-provenance }\n"
                lines = "\n".join((indent + line) if line.strip() else "" for line in body.rstrip("\n").split("\n"))
                text = text.replace(indent + pages.placeholder(nonce, index), lines, 1)
            target.write_text(text, encoding="utf-8")
        elif file.generated_by or not file.abs_src_path or not str(file.abs_src_path).startswith(str(config.docs_dir)):
            content = file.content_bytes
            if marker and file.src_uri.endswith(".md"):
                text = content.decode("utf-8")
                if marker in text:
                    depth = file.src_uri.count("/")
                    text = text.replace(marker, pages.persona_chooser(plugin.glossary, language, prefix="../" * depth))
                content = text.encode("utf-8")
            target.write_bytes(content)
        else:
            shutil.copyfile(file.abs_src_path, target)
        written += 1
    features = list(config.theme.get("features") or [])
    extensions = []
    for name in config.markdown_extensions:
        options = {k: v for k, v in (config.mdx_configs.get(name) or {}).items() if not callable(v)}
        extensions.append({name: options} if options else name)
    plain = {
        "site_name": config.site_name,
        "site_url": config.site_url,
        "theme": {"name": "material", "font": False, "features": features},
        "plugins": ["search", "tags"],
        "markdown_extensions": extensions,
        "extra_css": [str(x) for x in config.extra_css],
        "extra_javascript": [str(x) for x in config.extra_javascript],
        "not_in_nav": "/concepts/*.md\n/for/*.md\n",
        "nav": [{"Home": "index.md"}, {"A to Z": "concepts/index.md"}, {"Tags": "tags.md"}],
    }
    (plain_root / "mkdocs.yml").write_text(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {"files": written, "pages": len(plugin.concept_pages)}
