"""Helpers for the site tests: write a small glossary, build it with MkDocs, serve it on loopback."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from textwrap import dedent

import yaml

REPO = Path(__file__).resolve().parent.parent
JA_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "ja"

MKDOCS_YML = """\
site_name: Test Glossary
site_url: https://example.org/test-glossary/
repo_url: https://github.com/example/test-glossary
theme:
  name: material
  language: en
  font: false
  features:
    - content.tabs.link
    - content.tooltips
    - navigation.instant
    - search.highlight
    - search.suggest
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
      toggle:
        icon: material/brightness-4
        name: Switch to dark mode
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      toggle:
        icon: material/brightness-7
        name: Switch to light mode
plugins:
  - search
  - tags
  - glossary:
      default_persona: lawyer
      edit_branch: trunk
markdown_extensions:
  - toc:
      permalink: true
  - attr_list
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
nav:
  - Home: index.md
  - A to Z: concepts/index.md
  - Tags: tags.md
"""

PERSONAS = {
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

CONCEPTS = {
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

EXPLANATIONS = {
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


def write_glossary(root: Path, *, missing: bool = True, extra_yaml: str = "", explanations: dict | None = None) -> Path:
    """A small English glossary in `root`; returns its mkdocs.yml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(MKDOCS_YML + extra_yaml, encoding="utf-8")
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "index.md").write_text(
        "# Test Glossary\n\n## Explain it to me as ...\n\n<!-- glossary:personas -->\n", encoding="utf-8"
    )
    for folder, items in (("personas", PERSONAS), ("concepts", CONCEPTS)):
        (root / folder).mkdir(exist_ok=True)
        for slug, data in items.items():
            (root / folder / f"{slug}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
    texts = dict(EXPLANATIONS if explanations is None else explanations)
    if not missing:
        texts[("fine-tuning", "lawyer")] = (
            "A lawyer who moves to a new field keeps the law they know. LoRA is one way to fine-tune.\n"
        )
    for (concept, persona), body in texts.items():
        path = root / "concepts" / concept / f"{persona}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\nsource: curated\n---\n" + dedent(body), encoding="utf-8")
    return root / "mkdocs.yml"


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
