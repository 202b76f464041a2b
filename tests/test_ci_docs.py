"""The copy-paste snippets of docs/ci.md and docs/pre-commit.md stay valid.

Every ```yaml block is either a workflow (its first line a comment naming its
path, which sets the dialect) or a pre-commit config. Workflows must lint
clean with pinflow itself; configs must load with pre-commit's own schema and
name only hooks this repo ships. Pins (pinflow version, checkout SHA) must
match what the code uses, so a release or a pin bump cannot leave them stale.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from ruamel.yaml import YAML

from pinflow import __version__
from pinflow.lint import WORKFLOW_DIRS, dialect_for, lint_text
from pinflow.render import ACTIONS

DOCS = ("ci.md", "pre-commit.md")
REPO_URL = "https://github.com/pinflow/pinflow"


class Block(NamedTuple):
    doc: str
    line: int  # 1-based line of the block's first content line
    text: str

    @property
    def data(self) -> Any:
        return YAML(typ="safe").load(self.text)

    @property
    def where(self) -> str:
        return f"docs/{self.doc}:{self.line}"


def fenced_blocks(doc: str, text: str, language: str) -> list[Block]:
    """Fenced code blocks (``` or ~~~, CommonMark's rules for openers and closers) of one language."""
    blocks, fence, info, start, body = [], "", "", 0, []
    for n, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if not fence:
            char = stripped[:1]
            if indent <= 3 and char in "`~" and stripped.startswith(char * 3):
                fence = char * (len(stripped) - len(stripped.lstrip(char)))
                info, start, body = stripped[len(fence):].strip(), n + 1, []
        elif indent <= 3 and stripped.rstrip().startswith(fence) and not stripped.rstrip().strip(fence[0]):
            if info.split(" ")[0] == language:
                blocks.append(Block(doc, start, "".join(line + "\n" for line in body)))
            fence = ""
        else:
            body.append(line)
    assert not fence, f"docs/{doc}: unclosed code fence"
    return blocks


def yaml_blocks(repo_root: Path) -> list[Block]:
    return [b for doc in DOCS for b in fenced_blocks(doc, (repo_root / "docs" / doc).read_text(), "yaml")]


def workflow_path(block: Block) -> str:
    first = block.text.split("\n", 1)[0]
    assert first.startswith("# "), f"{block.where}: a workflow block starts with a comment naming its path"
    path = first[2:].strip()
    assert any(path.startswith(d + "/") for d in WORKFLOW_DIRS), f"{block.where}: {path} is not under {WORKFLOW_DIRS}"
    return path


def workflows(repo_root: Path) -> list[tuple[Block, str]]:
    return [(b, workflow_path(b)) for b in yaml_blocks(repo_root) if "jobs" in b.data]


def steps(block: Block) -> list[dict[str, Any]]:
    return [s for job in block.data["jobs"].values() for s in job["steps"]]


def commands(block: Block) -> list[list[str]]:
    """The shell words of each single-line `run:`."""
    runs = [s["run"] for s in steps(block) if "run" in s]
    assert all("\n" not in r.strip() for r in runs), f"{block.where}: keep the snippet's run: lines one command each"
    return [shlex.split(r) for r in runs]


# ---------------------------------------------------------------------------

def test_fence_reader():
    text = "a\n````yaml\nx: 1\n```\nstill: in\n`````\n~~~ yaml title\ny: 2\n~~~\n```\nnot: yaml\n```\n"
    assert [(b.line, b.text) for b in fenced_blocks("t.md", text, "yaml")] == [(3, "x: 1\n```\nstill: in\n"), (8, "y: 2\n")]


def test_every_yaml_block_is_a_workflow_or_a_pre_commit_config(repo_root):
    blocks = yaml_blocks(repo_root)
    assert {b.doc for b in blocks} == set(DOCS)
    for b in blocks:
        assert isinstance(b.data, dict) and ("jobs" in b.data) != ("repos" in b.data), b.where


def test_ci_jobs_cover_both_forges(repo_root):
    dialects = {dialect_for(path, "auto", None) for b, path in workflows(repo_root) if b.doc == "ci.md"}
    assert dialects == {"gitea", "github"}


def test_workflow_snippets_lint_clean(repo_root):
    for block, path in workflows(repo_root):
        findings = lint_text(block.text, path=path, dialect=dialect_for(path, "auto", None))
        assert findings == [], f"{block.where}: {findings}"


def test_workflow_snippets_run_check_and_lint(repo_root):
    for block, path in workflows(repo_root):
        cmds = commands(block)
        pinflow = [c[1:] for c in cmds if c[:1] == ["pinflow"]]
        assert [c[0] for c in pinflow] == ["check", "lint"], block.where
        if dialect_for(path, "auto", None) == "github":
            assert all(c[-2:] == ["--format", "github"] for c in pinflow), block.where
        else:
            # Gitea makes no annotations of ::error lines: plain text reads better there.
            assert all("--format" not in c for c in pinflow), block.where


def test_workflow_snippets_pin_what_the_code_pins(repo_root):
    checkout = ACTIONS["checkout"].split(" #")[0]
    for block, _ in workflows(repo_root):
        installs = [c for c in commands(block) if c[:4] == ["python", "-m", "pip", "install"]]
        assert [c[4:] for c in installs] == [[f"pinflow @ git+{REPO_URL}@v{__version__}"]], block.where
        uses = [s["uses"] for s in steps(block) if "uses" in s]
        assert checkout in uses, f"{block.where}: checkout pin differs from render.ACTIONS"
        for s in steps(block):
            if s.get("uses") == checkout:
                assert s["with"]["persist-credentials"] is False, block.where
        assert all("timeout-minutes" in job for job in block.data["jobs"].values()), block.where


def test_pre_commit_snippets_load_and_name_our_hooks(repo_root, tmp_path):
    from pre_commit.clientlib import load_config

    shipped = {h["id"] for h in YAML(typ="safe").load((repo_root / ".pre-commit-hooks.yaml").read_text())}
    configs = [b for b in yaml_blocks(repo_root) if "repos" in b.data]
    named: set[str] = set()
    for i, block in enumerate(configs):
        path = tmp_path / f"{i}.yaml"
        path.write_text(block.text)
        config = load_config(str(path))  # pre-commit's own schema; raises on an invalid config
        for repo in config["repos"]:
            assert (repo["repo"], repo["rev"]) == (REPO_URL, f"v{__version__}"), block.where
            ids = {h["id"] for h in repo["hooks"]}
            assert ids <= shipped, f"{block.where}: {ids - shipped} not in .pre-commit-hooks.yaml"
            named |= ids
    assert named == shipped


def test_workflow_snippets_pass_actionlint(repo_root):
    beside = Path(sys.executable).parent / "actionlint"
    actionlint = str(beside) if beside.is_file() else shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed")
    for block, path in workflows(repo_root):
        res = subprocess.run([actionlint, "-no-color", "-stdin-filename", path, "-"], input=block.text,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, f"{block.where}: {res.stdout}{res.stderr}"
