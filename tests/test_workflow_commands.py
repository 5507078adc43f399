"""The scheduled workflow's own commands, run in order in a temporary clone against the loopback server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fakeserver import FakeOpenAI
from kit import make_glossary

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-workflow-test-KEY-4c1d2e9f"
GH_STUB = """#!/usr/bin/env bash
printf '%s\\n' "gh $*" >> "$GH_LOG"
if [ "$1 $2" = "pr list" ]; then echo ""; fi
exit 0
"""

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)


def steps(job: str) -> list[dict]:
    workflow = yaml.safe_load((ROOT / ".github/workflows/regenerate.yml").read_text())
    return [s for s in workflow["jobs"][job]["steps"] if "run" in s and "make venv" not in s["run"]]


def git(cwd: Path, *args: str, env: dict) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def clone(tmp_path):
    """A glossary repository with a remote, cloned as the runner would check it out."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GLOSSARY_"))},
        "HOME": str(tmp_path / "home"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "A Maintainer",
        "GIT_AUTHOR_EMAIL": "maintainer@example.org",
        "GIT_COMMITTER_NAME": "A Maintainer",
        "GIT_COMMITTER_EMAIL": "maintainer@example.org",
    }
    (tmp_path / "home").mkdir()
    source = make_glossary(tmp_path / "source")
    (source / ".gitignore").write_text(".venv\n.cache/\nsite/\npr-body.md\n")
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git", env=env)
    git(source, "init", "-q", "-b", "main", env=env)
    git(source, "add", "-A", env=env)
    git(source, "commit", "-qm", "A glossary with two concepts and no explanations", env=env)
    git(source, "push", "-q", str(tmp_path / "origin.git"), "main", env=env)
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), "work", env=env)
    work = tmp_path / "work"
    (work / ".venv").symlink_to(Path(sys.executable).parent.parent)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "gh").write_text(GH_STUB)
    (stubs / "gh").chmod(0o755)
    env["PATH"] = f"{stubs}{os.pathsep}{env['PATH']}"
    env["GH_LOG"] = str(tmp_path / "gh.log")
    return work, env


def run_job(job: str, work: Path, env: dict, step_env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    results = []
    (work.parent / f"{job}.out").write_text("")
    for step in steps(job):
        declared = {name: step_env.get(name, "") for name in (step.get("env") or {})}
        run_env = {
            **env,
            **declared,
            "GITHUB_OUTPUT": str(work.parent / f"{job}.out"),
            "GITHUB_REF": "refs/heads/main",
            "NO_MKDOCS_2_WARNING": "1",
        }
        if (
            step.get("if")
            and "changed == 'true'" in step["if"]
            and "changed=true" not in Path(run_env["GITHUB_OUTPUT"]).read_text()
        ):
            continue
        script = work.parent / "step.sh"
        script.write_text(step["run"])
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=work,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        results.append(proc)
        assert proc.returncode == 0, f"step {step.get('name')!r} failed:\n{proc.stdout}\n{proc.stderr}"
    return results


def test_scheduled_run_proposes_new_texts_on_a_branch_and_deploys_the_site(clone, tmp_path):
    work, env = clone
    with FakeOpenAI() as server:
        outputs = run_job(
            "generate",
            work,
            env,
            {
                "OPENAI_API_KEY": KEY,
                "OPENAI_BASE_URL": server.base_url,
                "GLOSSARY_MODEL": "",
                "MAX_COST": "5",
                "FORCE": "false",
                "CONCEPTS": "",
                "GH_TOKEN": "ghs_not_a_real_token",
                "PUSH_TO_MAIN": "",
                "REPO": "example/glossary",
                "RUN_URL": "https://github.com/example/glossary/actions/runs/1",
            },
        )
        generation_requests = len(server.completions)
    assert generation_requests >= 4, "two concepts x two personas were generated"

    # The new texts are committed on one branch, and a pull request is opened with the run's report.
    branch_files = git(tmp_path / "origin.git", "ls-tree", "-r", "--name-only", "glossary/regenerate", env=env).split()
    assert {
        "concepts/lora/physicist.md",
        "concepts/lora/child.md",
        "concepts/matrix-rank/physicist.md",
        "concepts/matrix-rank/child.md",
    } <= set(branch_files)
    main_files = git(tmp_path / "origin.git", "ls-tree", "-r", "--name-only", "main", env=env).split()
    assert "concepts/lora/physicist.md" not in main_files, "review first: nothing was pushed to main"
    gh_calls = (tmp_path / "gh.log").read_text()
    assert "gh pr create --repo example/glossary --base main --head glossary/regenerate" in gh_calls
    body = (work / "pr-body.md").read_text()
    assert "lora" in body and "physicist" in body

    # The deploy job checks out main as it is (texts still under review) and builds it strictly.
    git(work, "checkout", "-q", "--detach", "origin/main", env=env)
    run_job("deploy", work, env, {})
    page = (work / "site" / "concepts" / "lora" / "index.html").read_text()
    assert "glossary-missing" in page, "texts under review show as not yet written, with the definition"

    # A second scheduled run with nothing changed asks the model nothing.
    git(work, "checkout", "-q", "glossary/regenerate", env=env)
    with FakeOpenAI() as server:
        run_job(
            "generate",
            work,
            env,
            {
                "OPENAI_API_KEY": KEY,
                "OPENAI_BASE_URL": server.base_url,
                "MAX_COST": "5",
                "FORCE": "false",
                "REPO": "example/glossary",
            },
        )
        assert len(server.completions) == 0

    # The key is in no file anywhere: clone, remote, cache, site, report.
    leaks = [
        str(p) for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink() and KEY.encode() in p.read_bytes()
    ]
    assert leaks == []
    all_output = "".join(p.stdout + p.stderr for p in outputs)
    assert KEY not in all_output
