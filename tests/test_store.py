"""The committed text: provenance, hand edits become curated, status says why, accept reviews."""

from __future__ import annotations

import yaml
from click.testing import CliRunner
from kit import make_glossary, write_yaml

from generator.cli.main import main
from generator.inputs.load import load_glossary
from generator.settings import load_settings
from generator.texts.fingerprint import combine
from generator.texts.frontmatter import split_front_matter
from generator.texts.status import glossary_status
from generator.texts.store import Explanation, Store, body_hash


def setup(tmp_path):
    root = make_glossary(tmp_path)
    settings = load_settings(root / "mkdocs.yml")
    glossary = load_glossary(root)
    return root, settings, glossary, Store(settings.concepts_path)


def write_generated(store, glossary, settings, concept, persona, body="Generated text about it.\n"):
    from generator.texts.status import current_inputs

    inputs = current_inputs(glossary, settings, concept, persona)
    meta = {
        "source": "generated",
        "model": "test-model",
        "date": "2026-11-27",
        "fingerprint": combine(inputs),
        "inputs": inputs,
    }
    return store.write(Explanation(concept, persona, body, meta))


def states(root):
    settings = load_settings(root / "mkdocs.yml")
    glossary = load_glossary(root)
    return {(s.concept, s.persona): s for s in glossary_status(glossary, settings, Store(settings.concepts_path))}


def test_written_file_has_provenance_and_body_hash(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    path = write_generated(store, glossary, settings, "lora", "physicist")
    meta, body = split_front_matter(path.read_text())
    assert meta["source"] == "generated" and meta["model"] == "test-model" and meta["date"] == "2026-11-27"
    assert meta["body_sha256"] == body_hash(body) == body_hash("Generated text about it.\n")
    assert set(meta["inputs"]) == {"concept", "persona", "related", "template", "model", "language"}
    assert not list(path.parent.glob(".*.tmp")), "no temporary file is left behind"


def test_fresh_missing_and_stale_with_the_input_that_changed(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    write_generated(store, glossary, settings, "lora", "physicist")
    write_generated(store, glossary, settings, "lora", "child")
    before = states(root)
    assert before[("lora", "physicist")].state == "fresh"
    assert before[("matrix-rank", "child")].state == "missing"

    data = yaml.safe_load((root / "personas/child.yaml").read_text())
    data["tone"] = "silly"
    write_yaml(root / "personas/child.yaml", data)
    after = states(root)
    assert after[("lora", "physicist")].state == "fresh"
    assert after[("lora", "child")].state == "stale"
    assert after[("lora", "child")].describe() == "stale: persona changed"


def test_editing_a_related_summary_makes_the_quoting_pair_stale(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    write_generated(store, glossary, settings, "lora", "physicist")
    data = yaml.safe_load((root / "concepts/matrix-rank.yaml").read_text())
    data["summary"] = "How many independent directions a matrix has."
    write_yaml(root / "concepts/matrix-rank.yaml", data)
    assert states(root)[("lora", "physicist")].describe() == "stale: related changed"


def test_fields_the_prompt_does_not_use_change_nothing(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    write_generated(store, glossary, settings, "lora", "physicist")
    data = yaml.safe_load((root / "concepts/lora.yaml").read_text())
    data["tags"] = ["fine-tuning", "efficiency"]
    data["sources"].append({"title": "Another", "url": "https://example.org"})
    write_yaml(root / "concepts/lora.yaml", data)
    (root / "concepts/lora.yaml").write_text("# a comment\n" + (root / "concepts/lora.yaml").read_text())
    assert states(root)[("lora", "physicist")].state == "fresh"


def test_model_change_makes_generated_pairs_stale_but_not_curated_ones(tmp_path, monkeypatch):
    root, settings, glossary, store = setup(tmp_path)
    write_generated(store, glossary, settings, "lora", "physicist")
    store.write(Explanation("lora", "child", "Hand-written.\n", {"source": "curated"}))
    CliRunner().invoke(main, ["accept", "lora", "child", "-f", str(root / "mkdocs.yml")])
    monkeypatch.setenv("GLOSSARY_MODEL", "another-model")
    now = states(root)
    assert now[("lora", "physicist")].describe() == "stale: model changed"
    assert now[("lora", "child")].state == "curated"


def test_a_hand_edit_of_a_generated_body_makes_it_curated(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    path = write_generated(store, glossary, settings, "lora", "physicist")
    path.write_text(path.read_text().replace("Generated text", "Improved text"))
    explanation = store.read("lora", "physicist")
    assert explanation.edited and explanation.curated and explanation.model is None
    assert states(root)[("lora", "physicist")].state == "curated"


def test_curated_text_whose_inputs_changed_needs_review_until_accepted(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    store.write(Explanation("lora", "child", "Hand-written.\n", {"source": "curated"}))
    assert states(root)[("lora", "child")].describe() == "curated, needs review: never accepted"
    runner = CliRunner()
    result = runner.invoke(main, ["accept", "lora", "child", "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 0 and "accepted lora/child" in result.output
    assert states(root)[("lora", "child")].state == "curated"

    data = yaml.safe_load((root / "concepts/lora.yaml").read_text())
    data["facts"].append("The update is scaled by alpha / r.")
    write_yaml(root / "concepts/lora.yaml", data)
    assert states(root)[("lora", "child")].describe() == "curated, needs review: concept changed since it was written"
    listed = runner.invoke(main, ["status", "-f", str(root / "mkdocs.yml")])
    assert "needs review" in listed.output

    runner.invoke(main, ["accept", "lora", "child", "-f", str(root / "mkdocs.yml")])
    assert states(root)[("lora", "child")].state == "curated"
    assert store.read("lora", "child").body == "Hand-written.\n", "accepting never changes the text"


def test_accept_explains_what_it_cannot_do(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    runner = CliRunner()
    args = ["-f", str(root / "mkdocs.yml")]
    assert "no concept 'nope'" in runner.invoke(main, ["accept", "nope", "child", *args]).output
    assert "no explanation for lora/child yet" in runner.invoke(main, ["accept", "lora", "child", *args]).output
    write_generated(store, glossary, settings, "lora", "physicist")
    out = runner.invoke(main, ["accept", "lora", "physicist", *args])
    assert out.exit_code == 2 and "is generated, not curated" in out.output


def test_orphans_are_reported(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    store.write(Explanation("gone", "child", "Old text.\n", {"source": "curated"}))
    store.write(Explanation("lora", "pirate", "Arr.\n", {"source": "curated"}))
    now = states(root)
    assert now[("gone", "child")].describe() == "orphan: no concept 'gone'"
    assert now[("lora", "pirate")].describe() == "orphan: no persona 'pirate'"
    out = CliRunner().invoke(main, ["status", "-f", str(root / "mkdocs.yml")]).output
    assert "orphan: no concept 'gone'" in out


def test_status_markdown_tells_a_reviewer_what_will_happen(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    write_generated(store, glossary, settings, "lora", "physicist")
    out = CliRunner().invoke(main, ["status", "--markdown", "-f", str(root / "mkdocs.yml")]).output
    assert "### Will be generated (missing) (3)" in out
    assert "- `matrix-rank` / `child`: missing" in out
    assert "### Curated, need review (0)" in out


def test_drafts_are_never_pairs_to_generate(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    data = yaml.safe_load((root / "concepts/matrix-rank.yaml").read_text())
    data["draft"] = True
    write_yaml(root / "concepts/matrix-rank.yaml", data)
    now = states(root)
    assert now[("matrix-rank", "child")].state == "draft"
    assert not now[("matrix-rank", "child")].needs_generation


def test_strict_build_can_allow_pending_texts_but_says_which(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    args = ["-f", str(root / "mkdocs.yml"), "-d", str(tmp_path / "site")]
    strict = CliRunner().invoke(main, ["build", "--strict", *args])
    assert strict.exit_code != 0 and "lora/physicist" in strict.output
    assert not (tmp_path / "site" / "concepts" / "lora" / "index.html").exists()
    allowed = CliRunner().invoke(main, ["build", "--strict", "--allow-pending", *args])
    assert allowed.exit_code == 0, allowed.output
    assert "glossary-missing" in (tmp_path / "site" / "concepts" / "lora" / "index.html").read_text()
    import os

    assert "GLOSSARY_ALLOW_PENDING" not in os.environ, "the flag does not leak into later builds"


def accepted(root, store, concept, persona, body):
    store.write(Explanation(concept, persona, body, {"source": "curated"}))
    result = CliRunner().invoke(main, ["accept", concept, persona, "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output


def test_a_new_link_to_a_concept_a_curated_text_never_names_sends_nothing_back_to_review(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    accepted(root, store, "lora", "child", "Stickers on a finished drawing: the drawing stays as it was.\n")
    accepted(root, store, "lora", "physicist", "A low-rank perturbation; see matrix rank for why it is cheap.\n")
    write_yaml(
        root / "concepts/adapter.yaml",
        {
            "title": "Adapter",
            "summary": "A small module added to a frozen model.",
            "definition": "An adapter is a small trainable module.",
            "facts": ["Adapters are trained while the model stays frozen."],
            "related": ["lora"],
        },
    )
    data = yaml.safe_load((root / "concepts/lora.yaml").read_text())
    data["related"].append("adapter")  # the link back, as CONTRIBUTING.md asks
    write_yaml(root / "concepts/lora.yaml", data)
    now = states(root)
    assert now[("lora", "child")].state == "curated"
    assert now[("lora", "physicist")].state == "curated"

    data = yaml.safe_load((root / "concepts/matrix-rank.yaml").read_text())
    data["summary"] = "How many independent directions a matrix has."
    write_yaml(root / "concepts/matrix-rank.yaml", data)
    now = states(root)
    assert now[("lora", "physicist")].describe() == "curated, needs review: related changed since it was written", (
        "it names matrix rank"
    )
    assert now[("lora", "child")].state == "curated", "it does not name matrix rank"


def test_accept_all_records_every_review_at_once(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    store.write(Explanation("lora", "child", "Hand-written.\n", {"source": "curated"}))
    store.write(Explanation("matrix-rank", "child", "Also hand-written.\n", {"source": "curated"}))
    result = CliRunner().invoke(main, ["accept", "--all", "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    assert "accepted lora/child" in result.output and "accepted matrix-rank/child" in result.output
    now = states(root)
    assert now[("lora", "child")].state == now[("matrix-rank", "child")].state == "curated"


def test_a_gist_is_front_matter_not_body_so_adding_one_changes_no_state(tmp_path):
    root, settings, glossary, store = setup(tmp_path)
    path = write_generated(store, glossary, settings, "lora", "physicist")
    store.write(Explanation("lora", "child", "Hand-written.\n", {"source": "curated"}))
    CliRunner().invoke(main, ["accept", "lora", "child", "-f", str(root / "mkdocs.yml")])
    child = root / "concepts" / "lora" / "child.md"
    before = {key: (s.state, s.reasons) for key, s in states(root).items()}
    for file in (path, child):  # a person adds the gist by hand, as the example's curated texts got theirs
        file.write_text(file.read_text().replace("---\n", "---\ngist: 'A sticker sheet: the drawing stays.'\n", 1))
    assert {key: (s.state, s.reasons) for key, s in states(root).items()} == before
    explanation = store.read("lora", "child")
    assert explanation.gist == "A sticker sheet: the drawing stays." and not explanation.edited
    CliRunner().invoke(main, ["accept", "lora", "child", "-f", str(root / "mkdocs.yml")])  # rewrites the file
    meta, body = split_front_matter(child.read_text())
    assert (
        list(meta)[0] == "gist" and meta["gist"] == "A sticker sheet: the drawing stays." and body == "Hand-written.\n"
    )
    assert store.read("lora", "physicist").gist == "A sticker sheet: the drawing stays."
    assert states(root)[("lora", "physicist")].state == "fresh"
