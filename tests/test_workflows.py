"""Checks of the GitHub Actions workflows in .github/workflows.

Schema validation (check-jsonschema's vendored schema) and zizmor run offline.
The structural tests pin down the security properties: no
pull_request_target, no secrets in the pull-request job, least-privilege
permissions, hash-pinned actions/* actions, deploys only from main. The
script tests run the shell steps with stub `glossary`/`gh` commands, against
throwaway git repositories under tmp_path (never this repository).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
REGENERATE = WORKFLOWS / "regenerate.yml"
BIN = Path(sys.executable).parent

HASH_PIN = re.compile(r"^actions/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
TAG_COMMENT = re.compile(r"^\s+#\s+(?P<tag>v\d+\.\d+\.\d+)\s*$")
SECRETS = re.compile(r"\bsecrets\s*[.\[]|\(\s*secrets\s*\)")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="module")
def ci() -> dict:
    return load(CI)


@pytest.fixture(scope="module")
def regen() -> dict:
    return load(REGENERATE)


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.y*ml"))


def strings(node):
    """Every string value (not comment) in a parsed YAML tree."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str):
                yield key
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def step(job: dict, name: str) -> dict:
    matches = [s for s in job["steps"] if s.get("name") == name]
    assert len(matches) == 1, f"expected one step named {name!r}"
    return matches[0]


def expr(value) -> str:
    """An `if:` condition without `${{ }}` and with normalised spaces."""
    text = str(value).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return " ".join(text.split())


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is not installed next to {sys.executable} (pip install -e '.[test]')")
        return found
    return str(path)


def test_both_workflows_exist():
    assert {p.name for p in all_workflows()} >= {"ci.yml", "regenerate.yml"}


# --- external validators ---------------------------------------------------


def check_jsonschema(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("path", [CI, REGENERATE], ids=lambda p: p.name)
def test_workflow_matches_github_schema(path):
    result = check_jsonschema(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    # Proves the validator really validates (offline, vendored schema).
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    result = check_jsonschema(broken)
    assert result.returncode != 0


def zizmor(target: Path) -> tuple[subprocess.CompletedProcess, list]:
    # --no-config/--no-ignores: findings cannot be silenced by a zizmor.yml
    # or `# zizmor: ignore` comments.
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-config", "--no-ignores", "--no-progress", "--format", "json", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(f"zizmor did not print JSON:\n{result.stdout}\n{result.stderr}")
    return result, findings


def test_zizmor_reports_no_findings():
    result, findings = zizmor(WORKFLOWS)
    summary = [(f["ident"], f["locations"][0]["symbolic"]["key"]) for f in findings]
    assert findings == [], f"zizmor findings: {summary}"
    assert result.returncode == 0, result.stderr


def test_zizmor_flags_an_unsafe_workflow(tmp_path):
    # Proves zizmor runs with its audits active in offline mode.
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result, findings = zizmor(bad)
    idents = {f["ident"] for f in findings}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= idents
    assert result.returncode != 0


# --- triggers, permissions, concurrency -----------------------------------


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_no_pull_request_target_or_workflow_run(path):
    triggers = load(path)["on"]
    names = {triggers} if isinstance(triggers, str) else set(triggers)
    assert "pull_request_target" not in names
    assert "workflow_run" not in names
    assert "pull_request_target" not in path.read_text(encoding="utf-8").replace(
        "Never switch this to pull_request_target", ""
    )


def test_ci_triggers(ci):
    assert "pull_request" in ci["on"]
    assert "push" in ci["on"]


def test_pr_workflow_references_no_secrets(ci):
    leaked = [s for s in strings(ci) if SECRETS.search(s)]
    assert leaked == []


def test_regenerate_triggers(regen):
    on = regen["on"]
    assert on["schedule"] and all("cron" in entry for entry in on["schedule"])
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["force"]["type"] == "boolean"
    assert inputs["concept"]["type"] == "string"
    assert inputs["language"]["type"] == "string"
    assert on["push"]["branches"] == ["main"]
    # Everything that changes the published site deploys on merge, not only concepts and personas.
    assert set(on["push"]["paths"]) == {
        "concepts/**",
        "personas/**",
        "docs/**",
        "mkdocs.yml",
        "generator/**",
        "pyproject.toml",
    }


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_permissions_are_granted_per_job(path):
    workflow = load(path)
    assert workflow.get("permissions") == {}, "top-level permissions must be {}"
    for job_id, job in workflow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{job_id} needs explicit permissions"
        assert "write-all" not in str(job["permissions"])


def test_least_privilege(ci, regen):
    assert ci["jobs"]["check"]["permissions"] == {"contents": "read"}
    assert regen["jobs"]["generate"]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
    }
    assert regen["jobs"]["deploy"]["permissions"] == {
        "contents": "read",
        "pages": "write",
        "id-token": "write",
    }


def test_ci_concurrency_cancels_superseded_pull_request_runs(ci):
    concurrency = ci["concurrency"]
    assert "pull_request.number" in concurrency["group"]
    assert "pull_request" in expr(concurrency["cancel-in-progress"])


def test_regenerate_runs_never_overlap(regen):
    concurrency = regen["concurrency"]
    assert concurrency["group"]
    assert "pull_request" not in concurrency["group"]
    assert concurrency["cancel-in-progress"] is False


# --- actions -----------------------------------------------------------------


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_action_is_hash_pinned_with_tag_comment(path):
    parsed = [s["uses"] for _, s in steps(load(path)) if "uses" in s]
    parsed += [j["uses"] for j in load(path)["jobs"].values() if "uses" in j]
    assert parsed, "no actions found"
    lines = [m for m in map(USES_LINE.match, path.read_text(encoding="utf-8").splitlines()) if m]
    assert [m["ref"] for m in lines] == parsed
    for match in lines:
        assert HASH_PIN.match(match["ref"]), f"not an actions/* hash pin: {match['ref']}"
        assert TAG_COMMENT.match(match["rest"]), f"missing '# vX.Y.Z' after {match['ref']}"


def test_pins_are_consistent_across_workflows():
    # One version per action repository, and one commit per tag.
    tag_of: dict[str, str] = {}
    commit_of: dict[str, str] = {}
    for path in all_workflows():
        for match in map(USES_LINE.match, path.read_text(encoding="utf-8").splitlines()):
            if not match:
                continue
            action, commit = match["ref"].split("@")
            repo = "/".join(action.split("/")[:2])
            tag = TAG_COMMENT.match(match["rest"])["tag"]
            assert tag_of.setdefault(repo, tag) == tag, f"{repo} pinned at two versions"
            assert commit_of.setdefault(f"{repo}@{tag}", commit) == commit, f"{repo}@{tag}: two commits"
    assert "actions/checkout" in tag_of


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_checkout_never_persists_credentials(path):
    checkouts = [s for _, s in steps(load(path)) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for s in checkouts:
        assert s.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_run_scripts_contain_no_expressions(path):
    # Context values reach scripts through env:, never inlined (template injection).
    for job_id, s in steps(load(path)):
        if "run" in s:
            assert "${{" not in s["run"], f"{job_id}/{s.get('name')}: inline expression in run"


# --- the CI job ------------------------------------------------------------


def test_ci_job_steps(ci):
    job = ci["jobs"]["check"]
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(setup["with"]["python-version"]) == "3.11"
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"

    test = step(job, "Test")
    assert "make test" in test["run"]
    assert "/usr/bin/google-chrome" in test["env"]["GLOSSARY_BROWSER"]

    assert step(job, "Validate concepts and personas")["run"].strip() == ".venv/bin/glossary validate"
    assert step(job, "Build the site")["run"].strip() == ".venv/bin/glossary build"

    upload = step(job, "Upload the built site")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"].rstrip("/") == "site"

    summary = step(job, "Summarise glossary status")
    assert '--since "$since"' in summary["run"] and "origin/${BASE_REF}" in summary["run"]
    assert '"$GITHUB_STEP_SUMMARY"' in summary["run"]
    assert summary["env"]["BASE_REF"] == "${{ github.base_ref }}"


# --- the regenerate workflow -------------------------------------------------


def test_generate_job(regen):
    job = regen["jobs"]["generate"]
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/cache/save@") for u in uses)
    generate = step(job, "Generate")
    assert generate["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    assert generate["env"]["OPENAI_BASE_URL"] == "${{ vars.OPENAI_BASE_URL }}"
    assert generate["env"]["GLOSSARY_MODEL"] == "${{ vars.GLOSSARY_MODEL }}"
    assert generate["env"]["MAX_COST"] == "${{ vars.GLOSSARY_MAX_COST || '5' }}"
    propose = step(job, "Propose the new texts")
    assert propose["env"]["GH_TOKEN"] == "${{ secrets.GLOSSARY_PR_TOKEN || github.token }}"
    assert propose["env"]["PUSH_TO_MAIN"] == "${{ vars.GLOSSARY_PUSH_TO_MAIN }}"
    assert "gh pr create" in propose["run"] and "gh pr edit" in propose["run"]


def test_deploy_job_only_runs_on_main(regen):
    job = regen["jobs"]["deploy"]
    assert expr(job["if"]) == "github.ref == 'refs/heads/main'"
    assert job["needs"] in ("generate", ["generate"])
    assert job["environment"]["name"] == "github-pages"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "main"
    runs = [s["run"].strip() for s in job["steps"] if "run" in s]
    assert runs.index(".venv/bin/glossary validate") < runs.index(".venv/bin/glossary build --strict --allow-pending")
    order = [s.get("uses", "").split("@")[0] for s in job["steps"] if "uses" in s]
    assert order[-3:] == ["actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"]
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"


def test_only_deploy_job_can_touch_pages(regen, ci):
    for workflow in (regen, ci):
        for job_id, job in workflow["jobs"].items():
            if job_id != "deploy":
                assert "pages" not in job["permissions"]
                assert "id-token" not in job["permissions"]


# --- the shell steps, run with stubs ---------------------------------------

needs_bash_git = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("git") is None, reason="needs bash and git"
)


def write_stub(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def base_env(tmp_path: Path, **extra: str) -> dict:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Person",
        "GIT_AUTHOR_EMAIL": "person@example.org",
        "GIT_COMMITTER_NAME": "Test Person",
        "GIT_COMMITTER_EMAIL": "person@example.org",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(extra)
    return env


def run_step(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    # `shell: bash` on GitHub runs: bash --noprofile --norc -eo pipefail {0}
    path = cwd.parent / f"step-{os.getpid()}.sh"
    path.write_text(script)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def git(cwd: Path, *args: str, env: dict) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


GLOSSARY_STUB = """\
printf '%s\\n' "$@" > "$STUB_LOG"
env | grep -E '^(OPENAI_BASE_URL|GLOSSARY_MODEL)=' > "$STUB_LOG.env" || true
if [ "$1" = generate ] && [ -n "${STUB_WRITE:-}" ]; then
  mkdir -p concepts/lora && echo text > concepts/lora/engineer.md
fi
if [ "$1" = status ]; then echo "| concept | state |"; fi
"""


@pytest.fixture
def workdir(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    write_stub(work / ".venv" / "bin" / "glossary", GLOSSARY_STUB)
    return work


def outputs(tmp_path: Path) -> str:
    path = tmp_path / "output"
    return path.read_text() if path.exists() else ""


@needs_bash_git
def test_generate_step_without_key_skips_with_notice(regen, workdir, tmp_path):
    script = step(regen["jobs"]["generate"], "Generate")["run"]
    env = base_env(
        tmp_path, OPENAI_API_KEY="", MAX_COST="5", FORCE="false", CONCEPTS="", STUB_LOG=str(tmp_path / "log")
    )
    result = run_step(script, workdir, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::notice")
    assert not (tmp_path / "log").exists(), "glossary must not run without a key"
    assert "changed=false" in outputs(tmp_path)


@needs_bash_git
def test_generate_step_passes_inputs(regen, workdir, tmp_path):
    script = step(regen["jobs"]["generate"], "Generate")["run"]
    env = base_env(
        tmp_path,
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL="",
        GLOSSARY_MODEL="m1",
        MAX_COST="2.5",
        FORCE="true",
        CONCEPTS="lora, rag",
        LANGUAGES="ja",
        STUB_LOG=str(tmp_path / "log"),
        STUB_WRITE="1",
    )
    git(workdir, "init", "-q", env=env)
    result = run_step(script, workdir, env)
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "log").read_text().split("\n")[:-1]
    assert args == [
        "generate",
        "--max-cost",
        "2.5",
        "--report",
        "pr-body.md",
        "--force",
        "--concept",
        "lora",
        "--concept",
        "rag",
        "--language",
        "ja",
    ]
    seen_env = (tmp_path / "log.env").read_text()
    assert "OPENAI_BASE_URL" not in seen_env, "an empty variable must be unset"
    assert "GLOSSARY_MODEL=m1" in seen_env
    assert "changed=true" in outputs(tmp_path)


@needs_bash_git
@pytest.mark.parametrize(
    ("batch", "force", "expected"), [("true", "false", ["--batch"]), ("true", "true", ["--force"]), ("", "false", [])]
)
def test_generate_step_uses_the_batch_api_when_the_repository_variable_says_so(
    regen, workdir, tmp_path, batch, force, expected
):
    script = step(regen["jobs"]["generate"], "Generate")["run"]
    summary = tmp_path / "summary.md"
    env = base_env(
        tmp_path,
        OPENAI_API_KEY="sk-test",
        MAX_COST="5",
        FORCE=force,
        CONCEPTS="",
        BATCH=batch,
        STUB_LOG=str(tmp_path / "log"),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    git(workdir, "init", "-q", env=env)
    (workdir / "pr-body.md").write_text("### Batches\n\n- Still out: batch batch_1 (in_progress, 4 request(s)).\n")
    result = run_step(script, workdir, env)
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "log").read_text().split("\n")[:-1]
    assert args == ["generate", "--max-cost", "5", "--report", "pr-body.md", *expected]
    assert "Still out: batch batch_1" in summary.read_text()  # what is out shows in the run's summary


@needs_bash_git
@pytest.mark.parametrize(
    "bad", [{"CONCEPTS": "../etc"}, {"CONCEPTS": "$(id)"}, {"MAX_COST": "5; rm"}, {"LANGUAGES": "ja;rm"}]
)
def test_generate_step_rejects_bad_input(regen, workdir, tmp_path, bad):
    script = step(regen["jobs"]["generate"], "Generate")["run"]
    env = base_env(
        tmp_path, OPENAI_API_KEY="sk-test", MAX_COST="5", FORCE="false", CONCEPTS="", STUB_LOG=str(tmp_path / "log")
    )
    env.update(bad)
    result = run_step(script, workdir, env)
    assert result.returncode == 2
    assert "::error::" in result.stdout
    assert not (tmp_path / "log").exists()


@needs_bash_git
@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("pull_request", ["status", "--markdown", "--since", "origin/main"]),
        ("push", ["status", "--markdown", "--since", "<before>"]),
        ("push-new-branch", ["status", "--markdown", "--since", "HEAD~1"]),
    ],
)
def test_summary_step_compares_with_the_right_base(ci, workdir, tmp_path, event, expected):
    script = step(ci["jobs"]["check"], "Summarise glossary status")["run"]
    env = base_env(tmp_path, STUB_LOG=str(tmp_path / "log"))
    git(workdir, "init", "-q", env=env)
    git(workdir, "commit", "-q", "--allow-empty", "-m", "one", env=env)
    before = git(workdir, "rev-parse", "HEAD", env=env).strip()
    git(workdir, "commit", "-q", "--allow-empty", "-m", "two", env=env)
    env.update(
        EVENT_NAME="pull_request" if event == "pull_request" else "push",
        BASE_REF="main" if event == "pull_request" else "",
        BEFORE={"push": before, "push-new-branch": "0" * 40}.get(event, ""),
    )
    result = run_step(script, workdir, env)
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "log").read_text().split("\n")[:-1]
    assert args == [before if a == "<before>" else a for a in expected]
    assert "| concept | state |" in (tmp_path / "summary").read_text()


GH_STUB = """\
echo "$*" >> "$GH_LOG"
case "$1 $2" in
  "pr list") cat "$GH_PR_NUMBER" 2>/dev/null || true ;;
esac
"""


@pytest.fixture
def propose_repo(tmp_path):
    """A clone of a local bare 'origin' whose main has one commit, plus a new text."""
    env = base_env(
        tmp_path,
        GH_LOG=str(tmp_path / "gh.log"),
        GH_PR_NUMBER=str(tmp_path / "pr"),
        REPO="owner/repo",
        RUN_URL="https://example.org/run/1",
        GITHUB_REF="refs/heads/main",
        PUSH_TO_MAIN="",
    )
    write_stub(tmp_path / "stubs" / "gh", GH_STUB)
    env["PATH"] = f"{tmp_path / 'stubs'}{os.pathsep}{env['PATH']}"
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin), env=env)
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work), env=env)
    git(work, "switch", "-q", "-c", "main", env=env)
    (work / "concepts").mkdir()
    (work / "concepts" / "lora.yaml").write_text("title: LoRA\n")
    git(work, "add", ".", env=env)
    git(work, "commit", "-q", "-m", "init", env=env)
    git(work, "push", "-q", "origin", "main", env=env)
    (work / "concepts" / "lora").mkdir()
    (work / "concepts" / "lora" / "engineer.md").write_text("generated\n")
    (work / "pr-body.md").write_text("report\n")
    return work, origin, env


def gh_log(env) -> str:
    path = Path(env["GH_LOG"])
    return path.read_text() if path.exists() else ""


@needs_bash_git
def test_propose_step_opens_a_pull_request(regen, propose_repo):
    work, origin, env = propose_repo
    script = step(regen["jobs"]["generate"], "Propose the new texts")["run"]
    result = run_step(script, work, env)
    assert result.returncode == 0, result.stderr
    files = git(origin, "ls-tree", "-r", "--name-only", "glossary/regenerate", env=env)
    assert "concepts/lora/engineer.md" in files and "pr-body.md" not in files
    assert git(origin, "rev-list", "--count", "main", env=env).strip() == "1"
    log = gh_log(env)
    assert "pr create --repo owner/repo --base main --head glossary/regenerate" in log
    assert "--body-file pr-body.md" in log


@needs_bash_git
def test_propose_step_updates_the_open_pull_request(regen, propose_repo):
    work, origin, env = propose_repo
    Path(env["GH_PR_NUMBER"]).write_text("7\n")
    result = run_step(step(regen["jobs"]["generate"], "Propose the new texts")["run"], work, env)
    assert result.returncode == 0, result.stderr
    log = gh_log(env)
    assert "pr edit 7 --repo owner/repo --body-file pr-body.md" in log
    assert "pr create" not in log


@needs_bash_git
def test_propose_step_can_push_to_main(regen, propose_repo):
    work, origin, env = propose_repo
    env["PUSH_TO_MAIN"] = "true"
    result = run_step(step(regen["jobs"]["generate"], "Propose the new texts")["run"], work, env)
    assert result.returncode == 0, result.stderr
    assert "concepts/lora/engineer.md" in git(origin, "ls-tree", "-r", "--name-only", "main", env=env)
    assert "pr create" not in gh_log(env)


@needs_bash_git
def test_propose_step_keeps_commits_by_people(regen, propose_repo, tmp_path):
    work, origin, env = propose_repo
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other), env=env)
    git(other, "switch", "-q", "-c", "glossary/regenerate", env=env)
    (other / "concepts" / "note.md").write_text("edited by a person\n")
    git(other, "add", ".", env=env)
    git(other, "commit", "-q", "-m", "person's edit", env=env)
    git(other, "push", "-q", "origin", "glossary/regenerate", env=env)
    before = git(origin, "rev-parse", "glossary/regenerate", env=env)
    result = run_step(step(regen["jobs"]["generate"], "Propose the new texts")["run"], work, env)
    assert result.returncode == 0, result.stderr
    assert "::warning" in result.stdout
    assert git(origin, "rev-parse", "glossary/regenerate", env=env) == before
    assert "pr create" not in gh_log(env) and "pr edit" not in gh_log(env)


def test_the_pickled_stat_cache_is_never_shared_between_runs(regen):
    """Model answers are cached as JSON and may travel; the stat cache is a pickle and must not."""
    steps = [s for s in regen["jobs"]["generate"]["steps"] if str(s.get("uses", "")).startswith("actions/cache")]
    assert len(steps) == 2
    for step in steps:
        paths = step["with"]["path"].split()
        assert ".cache/" in paths and "!.cache/stat/" in paths
