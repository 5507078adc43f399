"""The test kit: small glossaries written into tmp_path, and the helpers that read, build and serve them.

Three glossaries, each the smallest that exercises its part: `make_glossary` (basic: validate, status,
store), `write_glossary` (generation and judge runs through the real CLI) and `write_site_glossary`
(a built and served site). Fixtures that use them live in conftest.py."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import textwrap
import threading
from pathlib import Path
from textwrap import dedent
from typing import Any

import yaml

# ------------------------------------------------------------------ files, and the basic glossary (validate, status, store)


class _ConfigDumper(yaml.SafeDumper):
    """Indents a list under its key, as a hand-written mkdocs.yml does (some tests edit it by line)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


# Each kind's glossary options; a test's own options are laid over them.
PLUGIN_OPTIONS: dict[str, dict[str, Any]] = {
    "basic": {"verify": False},
    "generation": {"language": "en", "model": "gpt-4o-mini", "verify": True, "timeout": 5.0, "jobs": 4},
    "site": {"default_persona": "lawyer", "edit_branch": "trunk"},
}
NAV = [{"Home": "index.md"}, {"A to Z": "concepts/index.md"}, {"Tags": "tags.md"}]
TABBED = ["attr_list", "pymdownx.superfences", {"pymdownx.tabbed": {"alternate_style": True}}]
PALETTE = [
    {
        "media": "(prefers-color-scheme: light)",
        "scheme": "default",
        "toggle": {"icon": "material/brightness-4", "name": "Switch to dark mode"},
    },
    {
        "media": "(prefers-color-scheme: dark)",
        "scheme": "slate",
        "toggle": {"icon": "material/brightness-7", "name": "Switch to light mode"},
    },
]


def mkdocs_config(kind: str = "basic", plugin: dict[str, Any] | None = None) -> dict[str, Any]:
    """A test glossary's mkdocs.yml as data: basic (validate, status, store), generation (runs of the real CLI)
    or site (a built, served and browsed site, with Material's reader features)."""
    options = {**PLUGIN_OPTIONS[kind], **(plugin or {})}
    config: dict[str, Any] = {"site_name": "Test Glossary"}
    theme: dict[str, Any] = {"name": "material", "font": False}
    if kind == "generation":
        theme["features"] = ["content.tabs.link", "content.tooltips"]
        return config | {
            "theme": theme,
            "plugins": ["search", {"glossary": options}],
            "markdown_extensions": ["md_in_html", "admonition", *TABBED],
        }
    if kind == "site":
        config |= {
            "site_url": "https://example.org/test-glossary/",
            "repo_url": "https://github.com/example/test-glossary",
        }
        features = ["content.tabs.link", "content.tooltips", "navigation.instant", "search.highlight", "search.suggest"]
        theme |= {"language": "en", "features": features, "palette": PALETTE}
    return config | {
        "theme": theme,
        "plugins": ["search", "tags", {"glossary": options}],
        **({"markdown_extensions": [{"toc": {"permalink": True}}, *TABBED]} if kind == "site" else {}),
        "nav": NAV + ([{"What's new": "whats-new.md"}] if kind == "site" else []),
    }


def dump_config(path: Path, config: dict[str, Any]) -> Path:
    """Write an mkdocs.yml from data, lists indented under their keys."""
    text = yaml.dump(config, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, default_flow_style=False)
    path.write_text(text, encoding="utf-8")
    return path


def write_config(
    root: Path, kind: str = "basic", plugin: dict[str, Any] | None = None, *, index: str = "# Test Glossary\n"
) -> Path:
    """The one writer of a test glossary's mkdocs.yml, and its docs/index.md; returns mkdocs.yml."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text(index, encoding="utf-8")
    return dump_config(root / "mkdocs.yml", mkdocs_config(kind, plugin))


def edit_config(config: Path, *, plugin: dict[str, Any] | None = None, **top: Any) -> Path:
    """Change top-level keys of a test glossary's mkdocs.yml, and options of its glossary plugin."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.update(top)
    for entry in data["plugins"]:
        if isinstance(entry, dict) and "glossary" in entry:
            entry["glossary"] = {**(entry["glossary"] or {}), **(plugin or {})}
    return dump_config(config, data)


BASIC_CONCEPTS = {
    "lora": {
        "title": "LoRA (Low-Rank Adaptation)",
        "aliases": ["LoRA"],
        "summary": "A fine-tuning method that trains a small low-rank update while the pretrained weights stay frozen.",
        "definition": "LoRA freezes the pretrained weight matrix W0 and learns an update BA of rank r << min(d, k).",
        "facts": [
            "The pretrained weights are frozen.",
            "The update BA can be merged into W0, so inference is as fast as before.",
        ],
        "misconceptions": ["LoRA compresses the training data."],
        "tags": ["fine-tuning"],
        "related": ["matrix-rank"],
        "sources": [{"title": "Hu et al. 2021", "url": "https://arxiv.org/abs/2106.09685"}],
    },
    "matrix-rank": {
        "title": "Matrix rank",
        "aliases": ["rank of a matrix"],
        "summary": "The number of linearly independent columns of a matrix.",
        "definition": "The rank of a matrix is the dimension of the space spanned by its columns.",
        "facts": ["Row rank equals column rank."],
        "tags": ["linear-algebra"],
        "related": ["lora"],
    },
}

BASIC_PERSONAS = {
    "physicist": {
        "name": "Physicist",
        "description": "A physics graduate student.",
        "background": "Linear algebra and perturbation theory.",
        "analogies": ["perturbation theory"],
        "order": 1,
    },
    "child": {
        "name": "Child",
        "description": "A curious eight-year-old.",
        "background": "Stickers, Lego and recipes.",
        "analogies": ["stickers"],
        "order": 2,
    },
}


def write_yaml(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def make_glossary(
    root: Path,
    concepts: dict | None = None,
    personas: dict | None = None,
    *,
    language: str | None = "en",
    plugin: dict[str, Any] | None = None,
    explanations: bool = False,
) -> Path:
    """Write mkdocs.yml, docs/index.md, concepts and personas; optionally a curated text for every pair."""
    concepts = BASIC_CONCEPTS if concepts is None else concepts
    personas = BASIC_PERSONAS if personas is None else personas
    write_config(root, "basic", {**({"language": language} if language else {}), **(plugin or {})})
    (root / "concepts").mkdir(exist_ok=True)
    (root / "personas").mkdir(exist_ok=True)
    for slug, data in concepts.items():
        write_yaml(root / "concepts" / f"{slug}.yaml", data)
    for slug, data in personas.items():
        write_yaml(root / "personas" / f"{slug}.yaml", data)
    if explanations:
        for slug in concepts:
            for persona in personas:
                write_text(
                    root / "concepts" / slug / f"{persona}.md",
                    f"---\nsource: curated\n---\nA hand-written explanation of {slug} for the {persona}.\n",
                )
    return root


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to prove a command wrote nothing."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ the generation glossary (generate, judge: runs the real CLI)

GENERATION_CONCEPTS: dict[str, dict[str, Any]] = {
    "lora": {
        "title": "LoRA (Low-Rank Adaptation)",
        "aliases": ["LoRA"],
        "summary": "A fine-tuning method that trains a small low-rank update while the pretrained weights stay frozen.",
        "definition": "LoRA keeps each chosen weight matrix W0 frozen and learns an update B A of low rank r.",
        "facts": [
            "Only the low-rank factors B and A are trained; W0 stays frozen.",
            "B A can be merged into W0 after training, so LoRA adds no inference latency.",
        ],
        "misconceptions": ["LoRA compresses the training data."],
        "tags": ["fine-tuning"],
        "related": ["matrix-rank"],
    },
    "matrix-rank": {
        "title": "Matrix rank",
        "summary": "The number of linearly independent rows or columns of a matrix.",
        "definition": "The rank of a matrix is the dimension of the space spanned by its columns.",
        "facts": ["A d x k matrix has rank at most min(d, k)."],
        "tags": ["linear-algebra"],
    },
}

GENERATION_PERSONAS: dict[str, dict[str, Any]] = {
    "chef": {
        "name": "Chef",
        "description": "A professional chef who runs a busy kitchen.",
        "background": "Recipes, mise en place, scaling recipes, kitchen brigades.",
        "analogies": ["recipes and their variations", "running a kitchen"],
        "avoid": ["equations"],
        "tone": "warm and concrete",
        "length": 150,
        "order": 1,
    },
    "lawyer": {
        "name": "Lawyer",
        "description": "A contracts lawyer new to machine learning.",
        "background": "Contracts, amendments, precedent, statutes.",
        "analogies": ["contract amendments", "case law"],
        "tone": "precise",
        "length": 150,
        "order": 2,
    },
}


def extra_concept(i: int) -> tuple[str, dict[str, Any]]:
    """A filler concept, for tests that need more pairs."""
    slug = f"concept-{i:03d}"
    return slug, {
        "title": f"Concept number {i}",
        "summary": f"The concept numbered {i} in a test glossary.",
        "definition": f"Concept {i} is defined for tests only.",
        "facts": [f"Concept {i} has exactly one fact."],
    }


# ------------------------------------------------------------------ the judge glossary (tests/judges.py's rules fit it)

JUDGE_CONCEPT: dict[str, Any] = {
    "title": "LoRA (Low-Rank Adaptation)",
    "aliases": ["LoRA"],
    "summary": "A fine-tuning method that trains a small low-rank update while the pretrained weights stay frozen.",
    "definition": "LoRA keeps a weight matrix W0 frozen and learns an update B A of low rank r; h = W0 x + B A x.",
    "facts": [
        {
            "claim": "Only the low-rank factors B (d x r) and A (r x k) are trained; the pretrained weights W0 stay frozen.",
            "source": "kit-note",
            "quote": "The base matrix stays fixed; only the two thin factors learn.",
            "section": "Training",
        },
        {
            "claim": "B starts at zero, so B A is zero at first and training begins exactly from the pretrained model.",
            "source": "kit-note",
            "quote": "The second factor starts empty, so the first step is the base model itself.",
        },
        "The update is usually applied to the attention projections of a Transformer.",
        "Far fewer parameters are trained than in full fine-tuning, so checkpoints are small.",
        "After training B A can be merged into the weights, so LoRA adds no inference latency.",
        "LoRA matched or exceeded full fine-tuning in model quality on average in its authors' experiments.",
    ],
    "misconceptions": [
        "LoRA compresses the training data.",
        "LoRA updates all the weights of the model.",
        "LoRA adds latency at inference time.",
        "LoRA is a dataset.",
    ],
    "tags": ["fine-tuning"],
    "sources": [
        {"id": "kit-note", "title": "A test kit's note on low-rank updates", "url": "https://example.org/kit-note"}
    ],
}

JUDGE_PERSONAS: dict[str, dict[str, Any]] = {
    "engineer": {
        "name": "Software engineer",
        "description": "A software engineer who builds web services but has not trained models.",
        "background": "Python every day; git, diffs and patches, caching, containers.",
        "analogies": ["git diffs, patches and overlays on a base image", "plugins and configuration layering"],
        "avoid": ["marketing language"],
        "tone": "direct and concrete",
        "length": 200,
        "order": 1,
    },
    "child": {
        "name": "Child",
        "description": "A curious child of about nine.",
        "background": "Reads simple sentences, builds with Lego, puts stickers on things.",
        "analogies": ["stickers and tracing paper", "Lego bricks"],
        "avoid": ["formulas"],
        "tone": "warm and playful",
        "length": 120,
        "order": 2,
    },
}


def write_judge_glossary(
    root: Path, *, personas=("engineer", "child"), plugin: dict | None = None, curated: dict[str, str] | None = None
) -> Path:
    """A one-concept glossary the scripted judge knows (JUDGE_CONCEPT, JUDGE_PERSONAS), with `curated`
    texts by persona; returns its mkdocs.yml."""
    write_yaml(root / "concepts" / "lora.yaml", JUDGE_CONCEPT)
    for slug in personas:
        write_yaml(root / "personas" / f"{slug}.yaml", JUDGE_PERSONAS[slug])
    for persona, text in (curated or {}).items():  # front matter as the store writes it
        meta = f"---\nsource: curated\nbody_sha256: {hashlib.sha256(text.encode()).hexdigest()}\n---\n"
        (root / "concepts" / "lora").mkdir(parents=True, exist_ok=True)
        (root / "concepts" / "lora" / f"{persona}.md").write_text(meta + text, encoding="utf-8")
    return write_config(root, "generation", plugin)


def write_glossary(
    root: Path,
    *,
    extra_concepts: int = 0,
    plugin: dict[str, Any] | None = None,
    concepts: dict | None = None,
    personas: dict | None = None,
) -> Path:
    """Write mkdocs.yml, concepts/ and personas/ under root; return the mkdocs.yml path."""
    write_config(root, "generation", {"verify": False, **(plugin or {})})
    all_concepts = dict(concepts if concepts is not None else GENERATION_CONCEPTS)
    for i in range(extra_concepts):
        slug, data = extra_concept(i)
        all_concepts[slug] = data
    (root / "concepts").mkdir(exist_ok=True)
    for slug, data in all_concepts.items():
        write_yaml(root / "concepts" / f"{slug}.yaml", data)
    (root / "personas").mkdir(exist_ok=True)
    for slug, data in (personas if personas is not None else GENERATION_PERSONAS).items():
        write_yaml(root / "personas" / f"{slug}.yaml", data)
    return root / "mkdocs.yml"


def edit_concept(root: Path, slug: str, **changes: Any) -> None:
    """Change keys of one concept file."""
    path = root / "concepts" / f"{slug}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    write_yaml(path, data)


# ------------------------------------------------------------------ the site glossary (build, serve on loopback, browse)

REPO = Path(__file__).resolve().parent.parent
JA_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "ja"

# One reader's one-line gist of a concept (front matter `gist:`); the lawyer's LoRA gist carries markup that must stay text.
SITE_GISTS = {
    ("fine-tuning", "child"): "Practising one new recipe when you already know how to cook.",
    ("lora", "child"): "A thin sheet of changes laid on top of a finished drawing.",
    ("lora", "lawyer"): 'An amending Act, <b>not</b> a re-enactment & "nothing else".',
}

# A hand-written page: mentions, explicit references, and names where no link belongs.
SITE_GUIDE = """\
---
title: Guide
---

# Guide to LoRA

LoRA makes fine-tuning cheap; see [[matrix-rank]] and [[LoRA|low-rank *adapters*]].

A second mention of LoRA stays plain, and so does `LoRA` in code and [a link about LoRA](https://example.org/).

```
[[lora]] and LoRA inside a fence
```

## LoRA in a heading
"""

SITE_PERSONAS = {
    "child": {
        "name": "Child",
        "description": "A curious child of about nine.",
        "background": "Drawing, stickers and school.",
        "order": 1,
    },
    "physicist": {
        "name": "Physicist",
        "description": "A physics graduate student.",
        "background": "Linear algebra and perturbation theory.",
        "order": 2,
    },
    "lawyer": {
        "name": "Lawyer",
        "description": "A practising lawyer.",
        "background": "Statutes, amendments and contracts.",
        "order": 3,
    },
}

SITE_CONCEPTS = {
    "lora": {
        "title": "LoRA (Low-Rank Adaptation)",
        "aliases": ["LoRA", "Low-Rank Adaptation"],
        "summary": "A fine-tuning method that trains a small low-rank update while the pretrained weights stay frozen.",
        "definition": "LoRA freezes the pretrained weights and learns an update `B A` whose matrix rank r is much smaller than min(d, k); it is a kind of fine-tuning.",
        "facts": [
            "Only B and A are trained; fine-tuning with LoRA leaves W0 frozen, and the update has rank at most r.",
            "B A can be merged into W0 after fine-tuning, so LoRA adds no inference latency.",
        ],
        "tags": ["fine-tuning", "linear-algebra"],
        "related": ["matrix-rank", "fine-tuning"],
        "sources": [{"title": "Hu et al. 2021, LoRA, arXiv:2106.09685", "url": "https://arxiv.org/abs/2106.09685"}],
    },
    "matrix-rank": {
        "title": "Matrix rank",
        "aliases": ["rank"],
        "summary": "The number of linearly independent columns of a matrix.",
        "definition": "The rank of a matrix is the largest number of linearly independent columns, which equals the largest number of linearly independent rows.",
        "facts": ["The rank of a d x k matrix is at most min(d, k)."],
        "tags": ["linear-algebra"],
        "related": ["lora"],
    },
    "fine-tuning": {
        "title": "Fine-tuning",
        "aliases": ["fine-tune"],
        "summary": "Training a pretrained model further on a small task-specific dataset.",
        "definition": "Fine-tuning continues training a pretrained model on data for one task; LoRA is a cheap way to do it.",
        "facts": ["Fine-tuning starts from pretrained weights, not from scratch."],
        "tags": ["fine-tuning"],
        "related": ["lora"],
    },
    "attention": {
        "title": "Attention",
        "summary": "A way for each token to draw information from the others.",
        "definition": "Attention weighs values by the similarity of queries and keys.",
        "draft": True,
    },
}

UNIQUE_PHYSICS_WORD = "renormalisation"

SITE_EXPLANATIONS = {
    ("lora", "child"): """\
        Imagine a huge drawing you finished. LoRA lets you add a see-through sticker sheet instead of
        redrawing it. Teaching a program a new job is called fine-tuning, and fine-tuning again and
        again is expensive. The sheet uses only a few simple patterns: that is what a low rank means.

        Where the sticker idea stops working: stickers hide things, LoRA hides nothing.
        """,
    ("lora", "physicist"): f"""\
        Think of a perturbation around a solved Hamiltonian, restricted to a few modes, much as a
        {UNIQUE_PHYSICS_WORD} step keeps only the relevant couplings. The update `Delta W = B A` has
        matrix rank at most r, so fine-tuning touches r(d + k) numbers instead of d k.

        ## Where it breaks

        There is no small expansion parameter. Inside code the name stays plain: `LoRA` and `rank`.
        """,
    ("lora", "lawyer"): """\
        A statute is not re-enacted to change it: an amending Act states only what changes. LoRA
        does the same for a model: the original weights stay frozen, a small amendment is learned.
        <script>alert("owned")</script>
        The amendment has low rank: r < min(d, k) holds, and in code `r < min(d, k)` too.

        Where the analogy stops: an amendment can be read clause by clause; a matrix cannot.
        """,
    (
        "matrix-rank",
        "child",
    ): "Mixing paints: purple adds no new colour if you already have red and blue. The number of colours you really need is the rank.\n",
    (
        "matrix-rank",
        "physicist",
    ): "The rank is the dimension of the image of the map, the number of non-zero singular values. LoRA keeps the update at low rank.\n",
    (
        "matrix-rank",
        "lawyer",
    ): "Provisions that follow from the others add nothing new; the number of independent provisions is like the rank. See [the paper](https://arxiv.org/abs/2106.09685) about LoRA.\n",
    (
        "fine-tuning",
        "child",
    ): "Learning to ride a unicycle when you can ride a bike: you keep what you know and practise the new part. LoRA is one way to fine-tune.\n",
    (
        "fine-tuning",
        "physicist",
    ): "Relax again from the previous minimum after the potential changes a little; LoRA restricts the correction to low rank.\n",
    # ("fine-tuning", "lawyer") is missing on purpose, unless a test adds it
}


def write_site_glossary(
    root: Path,
    *,
    missing: bool = True,
    plugin: dict[str, Any] | None = None,
    explanations: dict | None = None,
    gists: dict | None = None,
    guide: str = SITE_GUIDE,
) -> Path:
    """A small English glossary in `root`; returns its mkdocs.yml."""
    config = write_config(
        root, "site", plugin, index="# Test Glossary\n\n## Explain it to me as ...\n\n<!-- glossary:personas -->\n"
    )
    (root / "docs" / "guide.md").write_text(guide, encoding="utf-8")
    gists = SITE_GISTS if gists is None else gists
    for folder, items in (("personas", SITE_PERSONAS), ("concepts", SITE_CONCEPTS)):
        (root / folder).mkdir(exist_ok=True)
        for slug, data in items.items():
            write_yaml(root / folder / f"{slug}.yaml", data)
    texts = dict(SITE_EXPLANATIONS if explanations is None else explanations)
    if not missing:
        texts[("fine-tuning", "lawyer")] = (
            "A lawyer who moves to a new field keeps the law they know. LoRA is one way to fine-tune.\n"
        )
    for (concept, persona), body in texts.items():
        path = root / "concepts" / concept / f"{persona}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        gist = f"gist: {json.dumps(gists[concept, persona])}\n" if (concept, persona) in gists else ""
        path.write_text(f"---\n{gist}source: curated\n---\n" + dedent(body), encoding="utf-8")
    return config


def build(config_file: Path, site_dir: Path, *, strict: bool = False) -> Path:
    """Build a site in-process, as `mkdocs build` does; returns the site folder."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(config_file), site_dir=str(site_dir), strict=strict)
    mkdocs_build(config)
    return site_dir


def copy_ja_fixture(target: Path) -> Path:
    """The Japanese fixture glossary, copied so that a build writes nothing into tests/."""
    shutil.copytree(JA_FIXTURE, target)
    return target / "mkdocs.yml"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def log_message(self, *args):
        pass

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "does-not-exist")
        return super().translate_path("/" + path[len(self.prefix) :])


def site_path(config_file: Path) -> str:
    """The path of site_url ("/test-glossary/"), where the built site expects to be served."""
    from urllib.parse import urlsplit

    data = yaml.load(Path(config_file).read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    path = urlsplit(data.get("site_url", "") or "/").path or "/"
    return path if path.endswith("/") else path + "/"


@contextlib.contextmanager
def serve(site_dir: Path, prefix: str = "/"):
    """Serve a built site on 127.0.0.1 (any free port) under `prefix`; yields its base URL."""
    handler = functools.partial(type("Handler", (_QuietHandler,), {"prefix": prefix}), directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ a glossary in two languages (issue 16)

JA_TRANSLATIONS = {
    "lora": {
        "title": "LoRA（低ランク適応）",
        "aliases": ["低ランク適応"],
        "summary": "事前学習済みの重みを凍結し、小さな低ランクの更新だけを学習する手法。",
        "reading": "ろら",
        "tags": ["機械学習", "ファインチューニング"],
    },
    "matrix-rank": {
        "title": "行列のランク",
        "aliases": ["階数"],
        "summary": "行列の線形独立な列の最大個数。",
        "reading": "ぎょうれつのらんく",
        "facts": ["行ランクと列ランクは等しい。"],
        "tags": ["線形代数"],
    },
}
JA_PERSONA_TRANSLATION = {
    "name": "物理学専攻の大学院生",
    "description": "物理学を専攻する大学院生。",
    "background": "線形代数と摂動論。",
}
JA_ONLY_PERSONA = {
    "name": "公認会計士",
    "description": "監査と財務諸表に詳しい公認会計士。",
    "background": "複式簿記、決算整理、監査。",
    "analogies": ["決算整理仕訳"],
    "languages": ["ja"],
    "order": 3,
}


def make_bilingual_glossary(root: Path, *, kind: str = "basic", explanations: bool = False) -> Path:
    """A glossary with `languages: [en, ja]`: two concepts translated, the physicist shared, a Japanese-only
    persona (jp-cpa) and an English-only one (child); returns mkdocs.yml."""
    concepts = {slug: {**data, "translations": {"ja": JA_TRANSLATIONS[slug]}} for slug, data in BASIC_CONCEPTS.items()}
    personas = {
        "physicist": {**BASIC_PERSONAS["physicist"], "translations": {"ja": JA_PERSONA_TRANSLATION}},
        "child": {**BASIC_PERSONAS["child"], "languages": ["en"]},
        "jp-cpa": JA_ONLY_PERSONA,
    }
    if kind == "generation":
        config = write_glossary(root, plugin={"languages": ["en", "ja"]}, concepts=concepts, personas=personas)
    else:
        config = (
            make_glossary(root, concepts, personas, language=None, plugin={"languages": ["en", "ja"]}) / "mkdocs.yml"
        )
    if explanations:
        for slug in concepts:
            for persona, suffix in (("physicist", ""), ("child", ""), ("physicist", ".ja"), ("jp-cpa", ".ja")):
                write_text(
                    root / "concepts" / slug / f"{persona}{suffix}.md",
                    f"---\nsource: curated\n---\nA hand-written text on {slug} for {persona}{suffix}.\n",
                )
    return config


def copy_checkout(target: Path) -> Path:
    """This repository's files as a fresh clone has them (tracked, and new files not ignored), without caches or venv."""
    repo = Path(__file__).resolve().parents[1]
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = repo / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target
