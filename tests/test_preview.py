"""Fast preview: under `mkdocs serve`, a rebuild renders only the pages whose inputs changed, and writes
exactly the site a full build writes. Builds run in this process the way `mkdocs serve` runs them: the
config read again for every build, the plugin object kept for the session (site/preview.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from kit import edit_config, write_site_glossary

from generator.site import preview

SERVE_URL = "http://127.0.0.1:8000/"


class Session:
    """A `mkdocs serve` session without the HTTP server: the same builder, the same plugin objects."""

    def __init__(self, config_file: Path, site_dir: Path):
        from mkdocs.config import load_config

        self.config_file, self.site_dir = config_file, site_dir
        self.load = lambda: load_config(str(config_file), site_dir=str(site_dir))
        first = self.load()
        first.plugins.on_startup(command="serve", dirty=False)
        self.plugins = first.plugins
        self.build(first)

    def build(self, config=None) -> None:
        from mkdocs.commands.build import build

        config = config or self.load()
        config.site_url = SERVE_URL
        build(config, serve_url=SERVE_URL)

    def close(self) -> None:
        self.plugins.on_shutdown()

    def files(self) -> dict[str, bytes]:
        return {
            p.relative_to(self.site_dir).as_posix(): p.read_bytes() for p in self.site_dir.rglob("*") if p.is_file()
        }

    def page(self, slug: str) -> str:
        return (self.site_dir / "concepts" / slug / "index.html").read_text(encoding="utf-8")

    def without_cache(self) -> dict[str, bytes]:
        """The site as a build with nothing cached writes it (same session, so the same plugin object)."""
        config = self.load()
        config.plugins["glossary"].preview = preview.Preview()
        self.build(config)
        return self.files()


@pytest.fixture
def session(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mkdocs.plugins.generator.site.plugin")
    config_file = write_site_glossary(tmp_path / "site", missing=False)
    running = Session(config_file, tmp_path / "out")
    yield running
    running.close()


def counts(caplog) -> tuple[int, int]:
    """(pages built, pages reused) as the last build logged them."""
    line = [r.getMessage() for r in caplog.records if "fast preview:" in r.getMessage()][-1]
    words = line.split("fast preview:", 1)[1].split()
    return int(words[0]), int(words[3])


def edit(root: Path, slug: str, **changes) -> None:
    path = root / "concepts" / f"{slug}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_nothing_changed_reuses_every_generated_page(session, caplog):
    before = session.files()
    session.build()
    assert counts(caplog) == (0, 4 + 1 + 3)  # four concept pages, the A to Z page, three reader pages
    assert session.files() == before


def test_a_definition_edit_rebuilds_that_concept_page_and_nothing_else(session, caplog):
    root = session.config_file.parent
    edit(root, "fine-tuning", definition="Fine-tuning continues training a pretrained model on one task's data.")
    session.build()
    assert counts(caplog) == (1, 7)
    assert "one task&#39;s data" in session.page("fine-tuning") or "one task's data" in session.page("fine-tuning")
    edited = session.files()
    assert session.without_cache() == edited  # byte for byte what a build with nothing cached writes


def test_a_summary_edit_rebuilds_the_pages_that_link_to_the_concept(session, caplog):
    root = session.config_file.parent
    edit(root, "matrix-rank", summary="How many independent directions a matrix really has.")
    session.build()
    built, reused = counts(caplog)
    # matrix-rank itself, lora (links to it, shows its summary), the A to Z page; fine-tuning does not link it
    assert built >= 3 and reused >= 1
    assert "How many independent directions" in session.page("lora")
    edited = session.files()
    assert session.without_cache() == edited


def test_an_explanation_edit_rebuilds_its_concept_page_and_its_reader_page(session, caplog):
    root = session.config_file.parent
    path = root / "concepts" / "lora" / "child.md"
    path.write_text(path.read_text(encoding="utf-8").replace("see-through sticker sheet", "clear sticker sheet"))
    session.build()
    assert counts(caplog) == (1, 7)  # lora's page; the child's reader page shows the child's gist, unchanged
    assert "clear sticker sheet" in session.page("lora")
    edited = session.files()
    assert session.without_cache() == edited


def test_a_new_name_rebuilds_only_the_pages_whose_text_has_it(session, caplog):
    root = session.config_file.parent
    edit(root, "matrix-rank", aliases=["rank", "perturbation"])  # a word only the physicist's LoRA text has
    session.build()
    built, reused = counts(caplog)
    assert built < 8 and reused > 0
    assert "perturbation</a>" in session.page("lora")  # the physicist's text now links it
    edited = session.files()
    assert session.without_cache() == edited


def test_a_config_edit_rebuilds_everything(session, caplog):
    config = session.config_file
    edit_config(config, site_name="Renamed")
    session.build()
    assert counts(caplog) == (8, 0)
    assert "Renamed" in session.page("lora")


def test_the_cache_is_off_for_builds_and_when_asked(tmp_path, monkeypatch):
    assert preview.wanted("serve") and not preview.wanted("build") and not preview.wanted("gh-deploy")
    monkeypatch.setenv("GLOSSARY_PREVIEW_CACHE", "0")
    assert not preview.wanted("serve")


def test_serve_leaves_out_the_plain_markdown_that_a_build_writes(session, tmp_path):
    from kit import build

    assert (session.site_dir / "llms.txt").is_file() and (session.site_dir / "glossary.json").is_file()
    assert not list(session.site_dir.glob("concepts/*/index.md"))  # a thousand files again on every save
    session.close()  # as `mkdocs serve` ends
    built = build(session.config_file, tmp_path / "built")
    assert "## LoRA (Low-Rank Adaptation), for:" in (built / "concepts" / "lora" / "index.md").read_text()


def test_a_rebuild_rewrites_concept_pages_in_place_and_drops_what_is_gone(session, caplog):
    root, site = session.config_file.parent, session.site_dir
    lora = (site / "concepts" / "lora" / "index.html").stat().st_ino
    (site / "concepts" / "lora" / "stale.txt").write_text("from an earlier build")
    (root / "concepts" / "fine-tuning.yaml").unlink()
    for text in (root / "concepts" / "fine-tuning").iterdir():
        text.unlink()
    (root / "concepts" / "fine-tuning").rmdir()
    for slug in ("lora", "matrix-rank"):
        path = root / "concepts" / f"{slug}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["related"] = [r for r in data.get("related", []) if r != "fine-tuning"]
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    session.build()
    assert (site / "concepts" / "lora" / "index.html").stat().st_ino == lora  # the folder was kept, the page rewritten
    assert not (site / "concepts" / "fine-tuning").exists() and not (site / "concepts" / "lora" / "stale.txt").exists()
    assert not list(site.parent.glob(".glossary-kept-*"))
    edited = session.files()
    assert session.without_cache() == edited
