"""Status at scale: the stat cache, the fast front matter and YAML readers, the parallel cold parse.

Each must give exactly what the plain path gives: the same parsed values as yaml.safe_load, the
same states as reading every file, and a change to any file seen on the next run.
"""

from __future__ import annotations

import os
import random
import shutil

import pytest
import yaml
from kit import make_glossary, write_yaml

from generator import statcache
from generator.errors import InputError
from generator.inputs import safeyaml
from generator.inputs.load import load_glossary
from generator.settings import load_settings
from generator.texts.fingerprint import combine
from generator.texts.frontmatter import (
    _simple_mapping,
    load_front_matter,
    split_front_matter,
)
from generator.texts.status import glossary_status
from generator.texts.store import Explanation, Store, StoredExplanation


@pytest.fixture
def trust_young_files(monkeypatch):
    """Files written by a test are milliseconds old; let the cache keep them anyway."""
    monkeypatch.setattr(statcache, "RACY_NS", 0)


def site(tmp_path, generated: bool = True):
    root = make_glossary(tmp_path)
    settings = load_settings(root / "mkdocs.yml")  # registers the site's cache folder
    glossary = load_glossary(root)
    store = Store(settings.concepts_path)
    if generated:
        from generator.texts.status import current_inputs

        for concept in glossary.concepts:
            for persona in glossary.personas:
                inputs = current_inputs(glossary, settings, concept, persona)
                meta = {
                    "source": "generated",
                    "model": "test-model",
                    "date": "2026-11-27",
                    "fingerprint": combine(inputs),
                    "inputs": inputs,
                }
                store.write(Explanation(concept, persona, f"Text about {concept} for the {persona}.\n", meta))
    return root, settings


def states(root):
    settings = load_settings(root / "mkdocs.yml")
    glossary = load_glossary(root)
    return {
        (s.concept, s.persona): (s.state, tuple(s.reasons))
        for s in glossary_status(glossary, settings, Store(settings.concepts_path))
    }


def uncached_states(root, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("GLOSSARY_STAT_CACHE", "0")
        return states(root)


# --------------------------------------------------------------------------- front matter


def _random_meta(rng: random.Random) -> dict:
    words = [
        "curated",
        "generated",
        "gpt-4o-mini",
        "a model",
        "yes",
        "No",
        "on",
        "null",
        "~",
        "0",
        "007",
        "0705187764002000",
        "12",
        "-3",
        "1.5",
        "1e3",
        "0b101",
        "0be4",
        "deadbeef",
        "2026-11-27",
        "it's",
        "x: y",
        "#hash",
        "",
        "日本語",
        "True",
        "0x1f",
        "12:30",
        "1_000",
        "+5",
        "-0",
        "abc ",
        "[1, 2]",
        "&a",
        "*a",
        "!!str x",
        "é",
        "a\tb",
        "\x07bell",
        "\u2028x",
        "\x85",
        "a/b",
        ".inf",
        "y",
        "-",
        "--5",
    ]

    def value():
        r = rng.random()
        if r < 0.5:
            return rng.choice(words)
        if r < 0.65:
            return rng.randint(-1000, 100000)
        if r < 0.8:
            return "".join(rng.choice("0123456789abcdef") for _ in range(16))
        if r < 0.9:
            return {rng.choice(["concept", "persona", "y", "on", "k"]): value() for _ in range(rng.randint(0, 3))}
        return [value()]

    return {
        rng.choice(
            ["source", "model", "date", "fingerprint", "inputs", "usage", "verdict", "yes", "Off", "key_2"]
        ): value()
        for _ in range(rng.randint(0, 7))
    }


def test_the_fast_front_matter_reader_gives_what_yaml_gives_or_nothing():
    rng = random.Random(7)
    fast = 0
    for _ in range(4000):
        meta = _random_meta(rng)
        for text in (
            yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000),
            yaml.safe_dump(meta, sort_keys=False, width=1000),
        ):
            expected = yaml.safe_load(text) or {}
            got = _simple_mapping(text)
            if got is not None:
                fast += 1
                assert got == expected and all(type(got[k]) is type(expected[k]) for k in expected), text
            assert load_front_matter(text) == expected
    assert fast > 200, "the fast path is taken for plain front matter"
    for text in [
        "a: 1\n  b: 2\n",
        "a:\n",
        "a: 1\na: 2\n",
        "On: 1\n",
        "a: 'x' # c\n",
        "a:\n  b:\n    c: 1\n",
        "a: 0b101\n",
        "a: 'x\x07'\n",
        "a: 'x\u2028y'\n",
    ]:
        assert _simple_mapping(text) is None, text


def test_what_store_write_produces_takes_the_fast_path(tmp_path):
    store = Store(tmp_path)
    meta = {
        "source": "generated",
        "model": "gpt-4o-mini",
        "date": "2026-11-27",
        "fingerprint": "0705187764002000",
        "inputs": {"concept": "1234567890123456", "persona": "0b10110101010101", "related": "abcdef0123456789"},
        "usage": {"prompt_tokens": 900},
    }
    path = store.write(Explanation("lora", "child", "Body.\n", meta))
    text = path.read_text(encoding="utf-8")
    front = text[4 : text.index("\n---\n") + 1]
    assert _simple_mapping(front) == yaml.safe_load(front)
    assert split_front_matter(text)[0]["inputs"]["concept"] == "1234567890123456"


def test_the_bounded_yaml_loader_gives_what_yaml_gives(tmp_path):
    documents = [
        "title: LoRA\naliases: [a, b]\nsources:\n  - title: x\n    url: https://x\n",
        "a: 2026-01-01\nb: 1.5\nc: yes\nd: ~\ne: !!str 12\n",
        "- a\n- {b: c}\n",
        "",
        "# only a comment\n",
        "x: >-\n  folded\n  text\n",
        "\ufefftitle: with a byte order mark\n",
    ]
    for text in documents:
        assert safeyaml.load(text) == yaml.safe_load(text), text
    for text in ["a: b: c\n", "x: 'unterminated\n"]:
        with pytest.raises(yaml.YAMLError) as ours:
            safeyaml.load(text)
        with pytest.raises(yaml.YAMLError) as theirs:
            yaml.safe_load(text)
        assert str(ours.value) == str(theirs.value)


def test_libyaml_s_own_composer_gives_what_the_checked_one_gives(monkeypatch):
    """safeyaml.load composes with libyaml when the checks pass on its tree; the checked composer's answer otherwise."""
    rng = random.Random(11)
    documents = [
        yaml.safe_dump(_random_meta(rng), sort_keys=False, allow_unicode=True, default_flow_style=flow)
        for flow in (False, True, None)
        for _ in range(300)
    ]
    documents += [
        "a: 1\na: 2\n",  # a repeated key
        "x: &a 1\ny: *a\n",  # an anchor and an alias
        "a: &a [x]\n",  # an anchor alone
        "[" * 40 + "]" * 40,  # nested too deep
        "- " * 17 + "x\n",
        "- " * 16 + "x\n",
        "? [a]\n: b\n",  # a list as a key
        "s: !!set {a, b}\nd: 2026-01-01\nt: !!str 1\n",
        "a: b: c\n",  # not YAML
        "",
        "title: " + "- " * 3000 + "\n",  # too many indicators to compose unchecked
    ]
    fast = 0

    def outcome(text):
        try:
            return safeyaml.load(text)
        except yaml.YAMLError as exc:
            return type(exc), str(exc)

    for text in documents:
        fast += safeyaml._composed_by_libyaml(text) is not None
        mine = outcome(text)
        with monkeypatch.context() as m:
            m.setattr(safeyaml, "_CLoader", None)
            assert outcome(text) == mine, text
    assert fast >= 850, "documents without anchors, repeated keys or deep nesting take libyaml's composer"


# --------------------------------------------------------------------------- the stat cache


def test_a_second_run_reads_from_the_cache_and_says_the_same(tmp_path, trust_young_files, monkeypatch):
    root, settings = site(tmp_path)
    first = states(root)
    folder = statcache.location(root)
    assert (folder / "explanations.pickle").is_file() and (folder / "inputs.pickle").is_file()
    assert not (root / ".cache" / "stat").exists()  # never in the working tree
    glossary = load_glossary(root)
    statuses = glossary_status(glossary, settings, Store(settings.concepts_path))
    assert all(type(s.explanation) is StoredExplanation for s in statuses), "the second run parsed nothing"
    assert (
        {(s.concept, s.persona): (s.state, tuple(s.reasons)) for s in statuses}
        == first
        == uncached_states(root, monkeypatch)
    )
    assert set(first.values()) == {("fresh", ())}
    lora = next(s for s in statuses if (s.concept, s.persona) == ("lora", "child"))
    assert (
        lora.explanation.body == "Text about lora for the child.\n" and lora.explanation.meta["model"] == "test-model"
    )


def test_an_edit_in_place_of_the_same_size_is_seen(tmp_path, trust_young_files, monkeypatch):
    root, _ = site(tmp_path)
    states(root)
    path = root / "concepts" / "lora" / "child.md"
    before = os.stat(path)
    text = path.read_text(encoding="utf-8")
    with open(path, "r+", encoding="utf-8") as handle:  # same inode, same size: only the times differ
        handle.write(text.replace("Text about", "Text abouT"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    after = states(root)
    assert after[("lora", "child")] == ("curated", ()), "a hand edit makes the text curated"
    assert after == uncached_states(root, monkeypatch)


def test_changed_inputs_are_seen_through_the_cache(tmp_path, trust_young_files, monkeypatch):
    root, _ = site(tmp_path)
    states(root)
    data = yaml.safe_load((root / "concepts" / "matrix-rank.yaml").read_text(encoding="utf-8"))
    data["summary"] = "The dimension of the column space of a matrix."
    write_yaml(root / "concepts" / "matrix-rank.yaml", data)
    after = states(root)
    assert after[("matrix-rank", "child")] == ("stale", ("concept",))
    assert after[("lora", "child")] == ("stale", ("related",)), "lora quotes matrix-rank's summary"
    assert after == uncached_states(root, monkeypatch)


def test_a_problem_across_files_is_found_though_every_other_file_is_cached(tmp_path, trust_young_files):
    root, _ = site(tmp_path, generated=False)
    load_glossary(root)
    data = yaml.safe_load((root / "concepts" / "matrix-rank.yaml").read_text(encoding="utf-8"))
    data["title"] = "LoRA (Low-Rank Adaptation)"
    write_yaml(root / "concepts" / "matrix-rank.yaml", data)
    with pytest.raises(InputError) as error:
        load_glossary(root)
    assert "each title and alias must name one concept" in error.value.message
    (root / "concepts" / "extra.yaml").write_text(
        "title: Extra\nsummary: Another one.\ndefinition: Defined.\nfacts: [x]\nrelated: [nowhere]\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as error:
        load_glossary(root)
    assert "no concept 'nowhere'" in error.value.message


def test_deleted_and_orphaned_files_through_the_cache(tmp_path, trust_young_files, monkeypatch):
    root, _ = site(tmp_path)
    states(root)
    (root / "concepts" / "lora" / "child.md").unlink()
    (root / "concepts" / "gone").mkdir()
    (root / "concepts" / "gone" / "child.md").write_text("---\nsource: curated\n---\nOld.\n", encoding="utf-8")
    after = states(root)
    assert after[("lora", "child")] == ("missing", ())
    assert after[("gone", "child")] == ("orphan", ("no concept 'gone'",))
    assert after == uncached_states(root, monkeypatch)


def test_a_corrupt_cache_is_a_cold_start(tmp_path, trust_young_files):
    root, _ = site(tmp_path)
    first = states(root)
    for name in ("explanations.pickle", "inputs.pickle"):
        (statcache.location(root) / name).write_bytes(b"not a pickle")
    assert states(root) == first


def test_young_files_are_never_cached(tmp_path):
    root, _ = site(tmp_path)
    states(root)
    cache = statcache.StatCache.for_root(root, "explanations")
    assert cache.enabled and cache.entries == {}, "files written less than 2 s ago are parsed again next time"


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("GLOSSARY_STAT_CACHE", "0")
    root, _ = site(tmp_path)
    states(root)
    assert not (root / ".cache" / "stat").exists()


def test_a_cold_run_parses_in_parallel_and_says_the_same(tmp_path, trust_young_files, monkeypatch):
    import generator.texts.status as status_module

    root, _ = site(tmp_path)
    path = root / "concepts" / "matrix-rank" / "child.md"
    path.write_text("---\nsource: generated\nbody_sha256: nope\n---\nEdited.\n", encoding="utf-8")
    (root / "concepts" / "lora" / "child.md").write_text("---\n: [\n---\nBroken.\n", encoding="utf-8")
    expected = uncached_states(root, monkeypatch)
    monkeypatch.setattr(status_module, "PARALLEL_AT_LEAST", 1)
    calls = []
    real = Store.prefetch

    def spy(self, files, cache, derive, *, at_least=4000):
        calls.append(real(self, files, cache, derive, at_least=at_least))
        return calls[-1]

    monkeypatch.setattr(Store, "prefetch", spy)
    monkeypatch.setattr("generator.statcache.threading.active_count", lambda: 1)  # whatever other tests left running
    assert states(root) == expected
    assert calls and calls[0] == 4, "the four files were parsed by worker processes"
    assert expected[("lora", "child")][0] == "broken" and expected[("matrix-rank", "child")] == (
        "review",
        ("never accepted",),
    )
    assert states(root) == expected


def test_a_warm_status_of_a_big_glossary_parses_no_file(tmp_path, trust_young_files, monkeypatch):
    """300 concepts x 2 personas: the second run answers from the stat cache (its speed is `make bench`'s)."""
    concepts = {
        f"c{i}": {
            "title": f"Concept {i}",
            "summary": f"Concept number {i}.",
            "definition": "Defined.",
            "facts": ["A fact."],
            "related": [f"c{(i + 1) % 300}"],
        }
        for i in range(300)
    }
    root = make_glossary(tmp_path, concepts=concepts, explanations=True)
    load_settings(root / "mkdocs.yml")
    first = states(root)

    def parse(*args):
        raise AssertionError("a warm run parsed a file")

    monkeypatch.setattr("generator.texts.store.parse_for_status", parse)
    assert states(root) == first and len(first) == 600


def test_the_cache_keeps_plain_tuples_and_status_hands_out_named_records(tmp_path, trust_young_files):
    import pickle

    from generator.texts.fingerprint import INPUT_KEYS
    from generator.texts.store import StatusRecord

    root, settings = site(tmp_path)
    states(root)
    with open(statcache.location(root) / "explanations.pickle", "rb") as handle:
        _, entries = pickle.load(handle)
    records = [value[0] for key, (_, value) in entries.items() if not key.endswith("/")]
    assert len(records) == 4 and all(type(record) is tuple for record in records)
    glossary = load_glossary(root)
    statuses = glossary_status(glossary, settings, Store(settings.concepts_path))
    record = statuses[0].explanation._record
    assert type(record) is StatusRecord and (record.source, record.edited) == ("generated", False)
    assert dict(zip(INPUT_KEYS, record.inputs)) == statuses[0].inputs
    assert list(statuses[0].explanation.meta["inputs"]) == list(INPUT_KEYS)  # the order written to the file


def test_a_stored_explanation_has_one_constructor(tmp_path):
    from generator.texts.store import StatusRecord

    with pytest.raises(TypeError, match=r"StoredExplanation.cached"):
        StoredExplanation("lora", "child", "", {})
    made = StoredExplanation.cached("lora", "child", str(tmp_path / "x.md"), StatusRecord("curated", "f", None, False))
    assert (made.concept, made.persona, made.source, made.curated) == ("lora", "child", "curated", True)


# --------------------------------------------------------------------------- the parallel cold load of the inputs


def concept_states(root):
    """What a run of load_glossary says of every concept: its title, and its two input hashes."""
    glossary = load_glossary(root)
    return {slug: (c.title, *glossary.input_digests[slug][1:]) for slug, c in glossary.concepts.items()}


@pytest.fixture
def parallel_load(monkeypatch) -> list[int]:
    """load_glossary parses concept files in worker processes from the first file on: how many each run parsed."""
    import generator.inputs.load as load_module

    monkeypatch.setattr(load_module, "PARALLEL_AT_LEAST", 1)
    monkeypatch.setattr("generator.statcache.threading.active_count", lambda: 1)  # whatever other tests left running
    parsed: list[int] = []
    real = statcache.StatCache.prefetch

    def spy(self, files, parse, *, at_least):
        parsed.append(real(self, files, parse, at_least=at_least))
        return parsed[-1]

    monkeypatch.setattr(statcache.StatCache, "prefetch", spy)
    return parsed


def test_a_cold_load_parses_concepts_in_parallel_and_says_the_same(tmp_path, trust_young_files, parallel_load):
    root, _ = site(tmp_path, generated=False)
    expected = {"lora": concept_states(root)["lora"], "matrix-rank": concept_states(root)["matrix-rank"]}
    shutil.rmtree(statcache.location(root))  # a cold start
    parallel_load.clear()
    assert concept_states(root) == expected
    assert parallel_load == [2], "both concept files were parsed by worker processes"
    assert concept_states(root) == expected and parallel_load == [2], "the next run found them in the cache"


def test_a_concept_changed_before_a_cold_load_changes_what_quotes_it(
    tmp_path, trust_young_files, parallel_load, monkeypatch
):
    """A file a worker parsed is new, not unchanged: what quotes it (lora's `related` hash) is worked out again."""
    root, _ = site(tmp_path, generated=False)
    before = concept_states(root)
    data = yaml.safe_load((root / "concepts" / "matrix-rank.yaml").read_text(encoding="utf-8"))
    data["summary"] = "The dimension of the column space of a matrix."
    write_yaml(root / "concepts" / "matrix-rank.yaml", data)
    monkeypatch.setattr("generator.inputs.load.PARALLEL_AT_LEAST", -100)  # workers even for one file the cache lacks
    parallel_load.clear()
    after = concept_states(root)
    assert parallel_load == [1], "the changed file was parsed by a worker, lora came from the cache"
    assert after["matrix-rank"][1] != before["matrix-rank"][1]
    assert after["lora"][1] == before["lora"][1] and after["lora"][2] != before["lora"][2], (
        "lora quotes matrix-rank's summary"
    )
    with monkeypatch.context() as m:
        m.setenv("GLOSSARY_STAT_CACHE", "0")
        assert after == concept_states(root)


def test_a_cold_parallel_load_still_lists_every_problem_with_its_line(
    tmp_path, trust_young_files, parallel_load, monkeypatch
):
    root, _ = site(tmp_path, generated=False)
    (root / "concepts" / "bad.yaml").write_text("title: Bad\nsummary: TODO write it\nfacts: [x]\n", encoding="utf-8")
    (root / "concepts" / "broken.yaml").write_text("title: [\n", encoding="utf-8")
    with monkeypatch.context() as m:
        m.setenv("GLOSSARY_STAT_CACHE", "0")
        with pytest.raises(InputError) as plain:
            load_glossary(root)
    shutil.rmtree(statcache.location(root))  # a cold start
    parallel_load.clear()
    with pytest.raises(InputError) as parallel:
        load_glossary(root)
    assert parallel_load == [4] and parallel.value.message == plain.value.message
    assert "concepts/bad.yaml:2: summary: " in parallel.value.message
    assert "concepts/broken.yaml:2: not valid YAML" in parallel.value.message
