"""Small glossaries written into a temporary folder, for tests of the whole pipeline."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

MKDOCS_YML = """\
site_name: Test Glossary
theme:
  name: material
  font: false
plugins:
  - search
  - tags
  - glossary:
      language: {language}
      verify: false
nav:
  - Home: index.md
  - A to Z: concepts/index.md
  - Tags: tags.md
"""

CONCEPTS = {
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

PERSONAS = {
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
    language: str = "en",
    explanations: bool = False,
) -> Path:
    """Write mkdocs.yml, docs/index.md, concepts and personas; optionally a curated text for every pair."""
    concepts = CONCEPTS if concepts is None else concepts
    personas = PERSONAS if personas is None else personas
    root.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(MKDOCS_YML.format(language=language), encoding="utf-8")
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "index.md").write_text("# Test glossary\n", encoding="utf-8")
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
