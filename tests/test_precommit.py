"""The pre-commit hooks, run by the real pre-commit against a snapshot of this checkout.

pre-commit installs hooks from a git repo at a commit. The checkout may hold
work not committed yet (``try-repo`` would leave untracked files out), so the
session snapshots its tracked and untracked-but-not-ignored files into a
throwaway repo and commits them: the hooks under test are exactly the
working tree's. Each pre-commit environment is one ``pip install`` of that
snapshot (PyPI or the configured index for the dependencies), so the slow
tests keep to two: one ``try-repo`` and one installed git hook.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pinflow import model, yamlio

ROOT = Path(__file__).resolve().parent.parent
GITEA_PATH = ".gitea/workflows/publish-image.yml"
HOOK_NAMES = {"pinflow-lint": "pinflow lint", "pinflow-check": "pinflow check"}


def manifest(repo_root: Path) -> list[dict]:
    return YAML(typ="safe").load((repo_root / ".pre-commit-hooks.yaml").read_text())


# ---------------------------------------------------------------------------
# the manifest, as pre-commit reads it

def test_manifest_is_valid_for_pre_commit(repo_root):
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(repo_root / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == set(HOOK_NAMES)
    assert hooks["pinflow-lint"]["entry"] == "pinflow lint" and hooks["pinflow-lint"]["pass_filenames"] is True
    assert hooks["pinflow-check"]["entry"] == "pinflow check" and hooks["pinflow-check"]["pass_filenames"] is False
    assert {h["language"] for h in hooks.values()} == {"python"}
    assert all(h["name"] == HOOK_NAMES[i] for i, h in hooks.items())


@pytest.mark.parametrize("path, lint, check", [
    (".gitea/workflows/publish-image.yml", True, True),
    (".forgejo/workflows/build.yaml", True, True),
    (".github/workflows/publish-image.yml", True, True),
    (".github/workflows/nested/x.yml", False, False),  # runners read only the folder itself
    ("docs/.github/workflows/x.yml", False, False),
    (".gitea/workflows/notes.md", False, False),
    ("pinflow.toml", False, True),
    ("pyproject.toml", False, True),
    ("sub/pinflow.toml", False, False),
    ("Dockerfile", False, False),
])
def test_hook_file_patterns(repo_root, path, lint, check):
    # pre-commit matches `files` with re.search on the repo-relative path.
    hooks = {h["id"]: h for h in manifest(repo_root)}
    assert bool(re.search(hooks["pinflow-lint"]["files"], path)) is lint
    assert bool(re.search(hooks["pinflow-check"]["files"], path)) is check


# ---------------------------------------------------------------------------
# the real pre-commit

@pytest.fixture(scope="session")
def git_env(tmp_path_factory) -> dict[str, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="pinflow tests", GIT_AUTHOR_EMAIL="tests@pinflow.invalid",
        GIT_COMMITTER_NAME="pinflow tests", GIT_COMMITTER_EMAIL="tests@pinflow.invalid",
        # One store for the session: the installed git hook reuses it across runs.
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
    )
    return env


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def hook_repo(git_env: dict[str, str], tmp_path_factory) -> tuple[Path, str]:
    """(path, commit) of a git repo holding this checkout's working tree."""
    repo_root = ROOT
    if not (repo_root / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo_root,
                            env=git_env, check=True, capture_output=True).stdout.decode()
    snapshot = tmp_path_factory.mktemp("hook-repo")
    for rel in filter(None, listed.split("\0")):
        src = repo_root / rel
        if src.is_file():  # listed but deleted in the working tree: not part of it
            (snapshot / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, snapshot / rel)
    git(snapshot, git_env, "init", "-q")
    git(snapshot, git_env, "add", "-A")
    git(snapshot, git_env, "commit", "-q", "-m", "snapshot of the checkout")
    return snapshot, git(snapshot, git_env, "rev-parse", "HEAD").strip()


def template_repo(path: Path, env: dict[str, str], snapshot: Path) -> Path:
    """A fresh template repo: pinflow.toml and the workflow `pinflow render -o` wrote, staged.

    Rendered by the snapshot's code, the same the hooks install, even if the
    checkout changes while the session runs.
    """
    path.mkdir()
    (path / "pinflow.toml").write_text('template_name = "codex"\n')
    subprocess.run([sys.executable, "-m", "pinflow", "render", "-o", GITEA_PATH], cwd=path,
                   env={**env, "PYTHONPATH": str(snapshot)}, check=True, capture_output=True)
    git(path, env, "init", "-q")
    git(path, env, "add", "-A")
    return path


def drop_main_guard(workflow: Path) -> None:
    text = workflow.read_text()
    key = model.get_key(model.get(model.get(yamlio.compose(text), "jobs"), "promote-pin"), "if")
    assert key is not None
    lines = text.split("\n")
    del lines[key.start_mark.line]
    workflow.write_text("\n".join(lines))


def pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def hook_results(output: str) -> dict[str, str]:
    """{hook name: Passed|Failed|Skipped} from pre-commit's status lines."""
    found = {}
    for line in output.splitlines():
        for name in HOOK_NAMES.values():
            if line.startswith(name + ".") or line.startswith(name + " "):
                found[name] = line.rsplit(".", 1)[-1].strip() if "." in line else line
    return found


@pytest.mark.slow
def test_try_repo_both_hooks_pass_on_a_fresh_render(hook_repo, git_env, tmp_path):
    snapshot, rev = hook_repo
    repo = template_repo(tmp_path / "template", git_env, snapshot)
    # Without a hook id, try-repo runs every hook of the manifest: one install for both.
    res = pre_commit(repo, git_env, "try-repo", str(snapshot), "--ref", rev, "--all-files")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert hook_results(out) == {"pinflow lint": "Passed", "pinflow check": "Passed"}, out


@pytest.mark.slow
def test_installed_hooks_block_a_commit_without_the_main_guard(hook_repo, git_env, tmp_path):
    snapshot, rev = hook_repo
    repo = template_repo(tmp_path / "template", git_env, snapshot)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n-   repo: {snapshot.as_posix()}\n    rev: {rev}\n    hooks:\n    -   id: pinflow-lint\n    -   id: pinflow-check\n")
    assert pre_commit(repo, git_env, "install").returncode == 0
    git(repo, git_env, "add", "-A")

    first = subprocess.run(["git", "commit", "-m", "fresh render"], cwd=repo, env=git_env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    assert hook_results(first.stdout + first.stderr) == {"pinflow lint": "Passed", "pinflow check": "Passed"}

    drop_main_guard(repo / GITEA_PATH)
    git(repo, git_env, "add", "-A")
    second = subprocess.run(["git", "commit", "-m", "promote from every branch"], cwd=repo, env=git_env, capture_output=True, text=True, timeout=900)
    out = second.stdout + second.stderr
    assert second.returncode != 0, out
    assert hook_results(out) == {"pinflow lint": "Failed", "pinflow check": "Failed"}, out
    assert "PF201" in out and f"{GITEA_PATH} drifted from its render" in out
    assert git(repo, git_env, "log", "--format=%s").split("\n")[0] == "fresh render"
    assert git(repo, git_env, "rev-list", "--count", "HEAD").strip() == "1"
