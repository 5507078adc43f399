"""Small glossaries written into a temporary folder, for tests that run the real CLI on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONCEPTS: dict[str, dict[str, Any]] = {
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

PERSONAS: dict[str, dict[str, Any]] = {
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


def write_site_config(root: Path, plugin: dict[str, Any]) -> Path:
    """Write mkdocs.yml (with the glossary plugin's options) and docs/index.md; return mkdocs.yml."""
    root.mkdir(parents=True, exist_ok=True)
    options = {"language": "en", "model": "gpt-4o-mini", "verify": True, "timeout": 5.0, "jobs": 4, **plugin}
    config = {
        "site_name": "Test glossary",
        "theme": {"name": "material", "features": ["content.tabs.link", "content.tooltips"]},
        "plugins": ["search", {"glossary": options}],
        "markdown_extensions": [
            "attr_list",
            "md_in_html",
            "admonition",
            "pymdownx.superfences",
            {"pymdownx.tabbed": {"alternate_style": True}},
        ],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "index.md").write_text("# Test glossary\n", encoding="utf-8")
    return root / "mkdocs.yml"


def write_glossary(
    root: Path,
    *,
    extra_concepts: int = 0,
    plugin: dict[str, Any] | None = None,
    concepts: dict | None = None,
    personas: dict | None = None,
) -> Path:
    """Write mkdocs.yml, concepts/ and personas/ under root; return the mkdocs.yml path."""
    write_site_config(root, {"verify": False, **(plugin or {})})
    all_concepts = dict(concepts if concepts is not None else CONCEPTS)
    for i in range(extra_concepts):
        slug, data = extra_concept(i)
        all_concepts[slug] = data
    (root / "concepts").mkdir(exist_ok=True)
    for slug, data in all_concepts.items():
        write_yaml(root / "concepts" / f"{slug}.yaml", data)
    (root / "personas").mkdir(exist_ok=True)
    for slug, data in (personas if personas is not None else PERSONAS).items():
        write_yaml(root / "personas" / f"{slug}.yaml", data)
    return root / "mkdocs.yml"


def write_yaml(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def edit_concept(root: Path, slug: str, **changes: Any) -> None:
    """Change keys of one concept file."""
    path = root / "concepts" / f"{slug}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    write_yaml(path, data)
