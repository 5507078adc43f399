"""Issue 13: files a pull request can write are read within bounds, never through a link out of the
repository, and never unpickled: YAML bombs, deep nesting, repeated keys, symlinks, a planted pickle,
broken explanation files."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from kit import make_glossary, write_text

from generator import safefs, statcache
from generator.cli.main import main
from generator.texts.frontmatter import StoreError
from generator.texts.store import Explanation, Store

BIN = Path(sys.executable).parent
PLANTED = "sk-planted-0123456789-abcdefghij"  # a fake key in the build's environment


def run(root: Path, *args: str):
    return CliRunner().invoke(main, [*args, "-f", str(root / "mkdocs.yml")])


def concept_file(root: Path, text: str) -> Path:
    path = root / "concepts" / "lora.yaml"
    path.write_text(text, encoding="utf-8")
    return path


VALID = "title: LoRA\nsummary: A method.\ndefinition: A definition.\nfacts: [A fact.]\n"
ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


# --------------------------------------------------------------------------- YAML within bounds


@pytest.mark.timeout(20)  # unbounded, these ran for minutes or overflowed the stack; no wall-clock assertion
@pytest.mark.parametrize(
    "text, line, message",
    [
        (VALID + ALIAS_BOMB, 5, "anchor &a is not allowed here"),
        (VALID + "misconceptions: " + "[" * 1000 + "]" * 1000 + "\n", 5, "nested more than 16 levels deep"),
        (
            VALID + "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n",
            21,
            "nested more than 16 levels deep",
        ),
        (
            "title: " + "x" * 100_000 + "\nsummary: A method.\ndefinition: d\nfacts: [f]\n",
            1,
            "title: at most 200 characters; this one has 100,000",
        ),
        (
            "title: LoRA\nsummary: A method.\ntitle: Other\ndefinition: d\nfacts: [f]\n",
            3,
            "key 'title' is given twice, on lines 1 and 3",
        ),
        (VALID + "aliases: [x]\nmore: &m [1]\nagain: *m\n", 6, "anchor &m is not allowed here"),
        ("title: LoRA\n? [a, b]\n: c\n", 2, "a key must be a single value"),
    ],
    ids=["alias-bomb", "flow-nesting", "block-nesting", "long-title", "duplicate-key", "anchor", "list-key"],
)
def test_validate_refuses_hostile_yaml_with_file_and_line(tmp_path, text, line, message):
    root = make_glossary(tmp_path / "site")
    concept_file(root, text)
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    assert f"concepts/lora.yaml:{line}: " in result.output and message in result.output, result.output
    assert "Traceback" not in result.output


def test_an_oversized_file_is_refused_unread(tmp_path):
    root = make_glossary(tmp_path / "site")
    concept_file(root, VALID + "# " + "x" * 300_000 + "\n")
    result = run(root, "validate")
    assert result.exit_code == 2 and "concepts/lora.yaml: more than 262,144 bytes" in result.output


@pytest.mark.timeout(20)
def test_front_matter_is_bounded_too(tmp_path):
    root = make_glossary(tmp_path / "site", explanations=True)
    write_text(root / "concepts" / "lora" / "child.md", "---\nsource: curated\n" + ALIAS_BOMB + "---\nBody.\n")
    write_text(root / "concepts" / "matrix-rank" / "child.md", "---\nsource: curated\nsource: generated\n---\nBody.\n")
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    assert "concepts/lora/child.md:3: front matter: anchor &a is not allowed here" in result.output
    assert (
        "concepts/matrix-rank/child.md:3: front matter: key 'source' is given twice, on lines 1 and 2" in result.output
    )


# --------------------------------------------------------------------------- symbolic links


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the repository, with files a link could reach."""
    folder = tmp_path / "outside"
    write_text(folder / "child.md", "---\nsource: curated\n---\nSecret text from outside the repository.\n")
    write_text(folder / "secret.yaml", "title: Secret\nsummary: S.\ndefinition: Secret definition.\nfacts: [f]\n")
    return folder


@pytest.mark.parametrize(
    "link, target",
    [
        ("concepts/lora/child.md", "/proc/self/environ"),
        ("concepts/leak.yaml", "/proc/self/environ"),
        ("personas/leak.yaml", "/proc/self/environ"),
        ("concepts/passwd.yaml", "/etc/passwd"),
        ("concepts/secret.yaml", "OUTSIDE/secret.yaml"),
        ("concepts/matrix-rank", "OUTSIDE"),
    ],
)
def test_a_link_out_of_the_repository_is_refused_naming_it(tmp_path, outside, link, target):
    root = make_glossary(tmp_path / "site", explanations=True)
    path = root / link
    if path.is_dir():
        import shutil

        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target.replace("OUTSIDE", str(outside)))
    result = run(root, "validate")
    assert result.exit_code == 2, result.output
    assert (
        f"{link}: " in result.output and "outside the repository" in result.output and "symbolic link" in result.output
    )


def test_a_link_inside_the_repository_is_followed(tmp_path):
    root = make_glossary(tmp_path / "site", explanations=True)
    (root / "shared.md").write_text("---\nsource: curated\n---\nShared text.\n", encoding="utf-8")
    (root / "concepts" / "lora" / "child.md").unlink()
    (root / "concepts" / "lora" / "child.md").symlink_to(root / "concepts" / "matrix-rank" / "child.md")
    assert run(root, "validate").exit_code == 0


def test_the_key_in_the_environment_reaches_no_built_file(tmp_path):
    root = make_glossary(tmp_path / "site", explanations=True)
    for link in ("concepts/lora/child.md", "docs/environ.md", "personas/leak.yaml"):
        path = root / link
        path.unlink(missing_ok=True)
        path.symlink_to("/proc/self/environ")
    env = {**os.environ, "OPENAI_API_KEY": PLANTED, "NO_MKDOCS_2_WARNING": "1"}
    site = tmp_path / "built"

    def glossary(*args: str) -> subprocess.CompletedProcess:
        """The installed command in a process of its own, the key in its environment."""
        command = [str(BIN / "glossary"), *args, "-f", str(root / "mkdocs.yml")]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    validate = glossary("validate")
    assert validate.returncode == 2 and "personas/leak.yaml" in validate.stderr + validate.stdout
    (root / "personas" / "leak.yaml").unlink()
    build = glossary("build", "-d", str(site))
    assert build.returncode != 0 and "docs/environ.md" in build.stderr + build.stdout, build.stderr
    (root / "docs" / "environ.md").unlink()
    build = glossary("build", "-d", str(site))
    assert build.returncode == 0, build.stderr
    assert "concepts/lora/child.md: is a symbolic link to /proc/self/environ" in build.stderr
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 20 and not [p for p in files if PLANTED.encode() in p.read_bytes()]
    assert PLANTED not in build.stderr + build.stdout


def test_many_files_read_in_one_pass_are_confined_as_one_file_is(tmp_path, outside):
    """safefs.Confined (a cold status reads 70,000 files through it) refuses and follows what read_bytes does."""
    root = make_glossary(tmp_path / "site", explanations=True)
    concepts = root / "concepts"
    (concepts / "lora" / "child.md").unlink()
    (concepts / "lora" / "child.md").symlink_to(outside / "child.md")  # a file linked out
    (concepts / "lora" / "physicist.md").unlink()
    (concepts / "lora" / "physicist.md").symlink_to(concepts / "matrix-rank" / "child.md")  # a file linked in
    (concepts / "linked").symlink_to(outside)  # a folder linked out, with a plain file in it
    (concepts / "inner").symlink_to(concepts / "matrix-rank")  # a folder linked in
    reader = safefs.Confined(concepts)
    for path in [
        concepts / "matrix-rank" / "physicist.md",
        concepts / "lora" / "child.md",
        concepts / "lora" / "physicist.md",
        concepts / "linked" / "child.md",
        concepts / "inner" / "child.md",
        concepts / "lora" / "missing.md",
    ]:
        for _ in range(2):  # the second time, the folder's check is the one remembered
            try:
                expected = safefs.read_bytes(path, concepts, 1000)
            except (safefs.Unsafe, OSError) as exc:
                expected = (type(exc), str(exc))
            try:
                got = reader.read_bytes(path, 1000)
            except (safefs.Unsafe, OSError) as exc:
                got = (type(exc), str(exc))
            assert got == expected, path
    assert reader.read_bytes(concepts / "lora" / "physicist.md") == (concepts / "matrix-rank" / "child.md").read_bytes()
    with pytest.raises(safefs.Unsafe, match="lora/child.md: is a symbolic link to .*outside the repository"):
        reader.read_bytes(concepts / "lora" / "child.md")
    with pytest.raises(safefs.Unsafe, match="linked/child.md: is under linked, a symbolic link to"):
        reader.read_bytes(concepts / "linked" / "child.md")
    with pytest.raises(safefs.Unsafe, match="more than 10 bytes"):
        reader.read_bytes(concepts / "matrix-rank" / "child.md", 10)


def test_a_cold_status_in_worker_processes_refuses_links_out_too(tmp_path, outside, monkeypatch):
    import generator.inputs.load as load_module
    import generator.texts.status as status_module

    root = make_glossary(tmp_path / "site", explanations=True)
    (root / "concepts" / "lora" / "child.md").unlink()
    (root / "concepts" / "lora" / "child.md").symlink_to(outside / "child.md")
    (root / "concepts" / "lora" / "physicist.md").unlink()
    (root / "concepts" / "lora" / "physicist.md").symlink_to(root / "concepts" / "matrix-rank" / "child.md")
    monkeypatch.setattr(statcache, "RACY_NS", 0)
    monkeypatch.setenv("GLOSSARY_STAT_CACHE", "0")
    plain = run(root, "status", "--all")
    monkeypatch.delenv("GLOSSARY_STAT_CACHE")
    monkeypatch.setattr(status_module, "PARALLEL_AT_LEAST", 1)
    monkeypatch.setattr(load_module, "PARALLEL_AT_LEAST", 1)
    monkeypatch.setattr("generator.statcache.threading.active_count", lambda: 1)  # whatever other tests left running
    parsed = []
    real = statcache.in_processes
    monkeypatch.setattr(statcache, "in_processes", lambda *a: parsed.append(a[1]) or real(*a))
    parallel = run(root, "status", "--all")
    assert len(parsed) == 2, "the concept files and the explanation files were parsed by worker processes"
    assert parallel.output == plain.output and parallel.exit_code == plain.exit_code == 0
    assert "3 review, 1 broken" in plain.output and "Secret text" not in plain.output
    summary = run(root, "status", "--markdown").output
    assert "`lora` / `child`: unreadable: concepts/lora/child.md: is a symbolic link to " in summary


def test_a_write_through_a_linked_folder_is_refused(tmp_path, outside):
    concepts = tmp_path / "site" / "concepts"
    concepts.mkdir(parents=True)
    (concepts / "lora").symlink_to(outside)
    with pytest.raises(
        StoreError, match="physicist.md: not written: is under lora, a symbolic link to .*outside the repository"
    ):
        Store(concepts).write(Explanation("lora", "physicist", "Text.\n", {"source": "generated"}))
    assert sorted(p.name for p in outside.iterdir()) == ["child.md", "secret.yaml"]


def test_a_cache_folder_linked_out_of_the_repository_is_refused(tmp_path, outside):
    root = make_glossary(tmp_path / "site")
    (root / ".cache").symlink_to(outside)
    result = run(root, "validate")
    assert result.exit_code == 2 and "cache_dir '.cache' is a symbolic link to" in result.output


# --------------------------------------------------------------------------- no pickle from the working tree


class _Planted:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["PLANTED_MARKER"]),))


@pytest.mark.parametrize("name", ["inputs", "explanations"])
def test_a_pickle_planted_in_the_tree_is_never_loaded(tmp_path, monkeypatch, name):
    root = make_glossary(tmp_path / "site", explanations=True)
    marker = tmp_path / "pickle-ran"
    monkeypatch.setenv("PLANTED_MARKER", str(marker))
    for folder in (root / ".cache" / "stat", root / ".cache"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.pickle").write_bytes(pickle.dumps((statcache.code_salt(), _Planted())))
    for command in ("validate", "status"):
        assert run(root, command).exit_code == 0
    assert not marker.exists()
    location = statcache.location(root)
    assert location is not None and not str(location.resolve()).startswith(str(root.resolve()))


def test_a_stat_cache_folder_inside_the_repository_is_never_used(tmp_path, monkeypatch):
    root = make_glossary(tmp_path / "site")
    monkeypatch.setenv("GLOSSARY_STAT_CACHE_DIR", str(root / ".cache" / "stat"))
    assert run(root, "validate").exit_code == 0
    assert statcache.location(root) is None and not (root / ".cache" / "stat").exists()


# --------------------------------------------------------------------------- broken explanation files


BROKEN = {
    "lora/child.md": ("---\nsource: curated\nmodel: [unclosed\n---\nBody.\n", 4, "front matter is not valid YAML"),
    "lora/physicist.md": (
        "---\nsource: curated\nNo closing line.\n",
        1,
        "front matter opened with '---' on line 1 is not closed",
    ),
    "matrix-rank/child.md": ("---\n- a list\n---\nBody.\n", 2, "front matter must be a mapping"),
}


def broken_glossary(tmp_path) -> Path:
    root = make_glossary(tmp_path / "site", explanations=True)
    for name, (text, _, _) in BROKEN.items():
        (root / "concepts" / name).write_text(text, encoding="utf-8")
    (root / "concepts" / "matrix-rank" / "physicist.md").write_bytes(
        b"\xef\xbb\xbf---\nsource: curated\n---\nA text saved with a BOM.\n"
    )
    return root


def test_validate_lists_every_unreadable_explanation_with_its_line(tmp_path):
    root = broken_glossary(tmp_path)
    result = run(root, "validate")
    assert result.exit_code == 2 and "3 problems" in result.output, result.output
    for name, (_, line, message) in BROKEN.items():
        assert f"concepts/{name}:{line}: {message}" in result.output


def test_status_shows_unreadable_files_as_their_own_state(tmp_path):
    root = broken_glossary(tmp_path)
    table = run(root, "status")
    assert table.exit_code == 0, table.output
    assert "3 broken" in table.output and "unreadable: concepts/lora/child.md:4" in table.output.replace(
        "\n", " "
    ).replace("│", "")
    summary = run(root, "status", "--markdown")
    assert "### Unreadable explanation files (fix or delete them) (3)" in summary.output
    assert "`lora` / `physicist`: unreadable: concepts/lora/physicist.md:1: front matter opened" in summary.output


def test_a_strict_build_fails_on_an_unreadable_file_naming_file_and_line(tmp_path):
    root = broken_glossary(tmp_path)
    result = run(root, "build", "--strict", "-d", str(tmp_path / "built"))
    assert result.exit_code != 0
    assert "3 explanation file(s) cannot be read, and the build is strict" in result.output
    assert "concepts/lora/child.md:4: front matter is not valid YAML" in result.output


def test_a_byte_order_mark_is_no_reason_to_publish_front_matter(tmp_path):
    root = broken_glossary(tmp_path)
    for name in BROKEN:
        (root / "concepts" / name).unlink()
    run(root, "build", "-d", str(tmp_path / "built"))
    page = (tmp_path / "built" / "concepts" / "matrix-rank" / "index.html").read_text(encoding="utf-8")
    assert "A text saved with a BOM." in page and "source: curated" not in page


def test_unknown_front_matter_keys_are_kept_when_a_file_is_rewritten(tmp_path):
    store = Store(tmp_path / "concepts")
    meta = {"source": "curated", "reviewer": "alice", "gist": "One line.", "notes": {"ticket": 12}}
    path = store.write(Explanation("lora", "child", "Text.\n", meta))
    again = store.read("lora", "child")
    store.write(again)
    front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    assert front["reviewer"] == "alice" and front["gist"] == "One line." and front["notes"] == {"ticket": 12}


def test_written_files_get_the_mode_of_a_checkout(tmp_path):
    old = os.umask(0o022)
    try:
        path = Store(tmp_path / "concepts").write(Explanation("lora", "child", "Text.\n", {"source": "curated"}))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~0o022


# --------------------------------------------------------------------------- no committed answer


def test_a_committed_response_cache_is_a_problem_and_never_answers_for_the_model(tmp_path, openai_server):
    from kit import write_glossary

    config = write_glossary(tmp_path / "site")
    root = config.parent

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True, capture_output=True
        )

    assert CliRunner().invoke(main, ["generate", "-f", str(config)]).exit_code == 0
    asked = len(openai_server.completions)
    (root / ".gitignore").write_text(".cache/\n")
    git("init", "-q")
    git("add", ".")
    git("add", "-f", ".cache")  # as a pull request can, past .gitignore
    git("commit", "-q", "-m", "plant")
    result = CliRunner().invoke(main, ["validate", "-f", str(config)])
    assert result.exit_code == 2
    assert "under the cache folder: a cache is never committed" in result.output and ".cache/calls/" in result.output
    for text in (root / "concepts" / "lora").glob("*.md"):
        text.unlink()
    again = CliRunner().invoke(main, ["generate", "-f", str(config)])
    assert again.exit_code == 0, again.output
    assert "committed to git" in again.output and "running without the response cache" in again.output
    assert len(openai_server.completions) > asked  # asked the model again: the committed answers were not used
