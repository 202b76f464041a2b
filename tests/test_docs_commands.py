"""Every command the hand-written docs show is run, so the docs cannot lie.

The convention (docs/architecture.md, "Docs that cannot lie"): in the pages
of RUNNABLE, each ```sh block is run with bash, line by line (one statement
at a time, as tree-sitter-bash splits them), in a scratch template repo. Each
statement must exit 0, or the status a trailing `# exit N` comment names.
`<!-- docs-test: write PATH -->` writes the next block into the scratch repo,
`<!-- docs-test: scratch=empty -->` starts a new, empty one,
`<!-- docs-test: skip (why) -->` leaves the next block alone. ```console
blocks only appear in regions docsgen generates from real runs.

The quick tests check the shape (every `pinflow` command parses with the real
click command, every directive is known); the slow test runs the pages.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import click
import pytest

from mdblocks import Block, Page, read_page
from pinflow import docsgen

ROOT = Path(__file__).resolve().parent.parent
RUNNABLE = ("README.md", "docs/quickstart.md", "docs/commands.md", "docs/architecture.md", "docs/gitea.md")


class Statement(NamedTuple):
    text: str
    line: int  # 1-based, within the page
    expect: int
    last: int  # the page line it ends on (a trailing comment there is its own)


def page(rel: str) -> Page:
    return read_page(ROOT / rel, rel)


def all_pages() -> list[str]:
    return ["README.md", "CHANGELOG.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))]


def runnable_blocks(p: Page) -> list[Block]:
    return [b for b in p.blocks if b.info == "sh" and not _skipped(b) and b.region is None]


def _skipped(block: Block) -> bool:
    return any(d.startswith("skip") for d in block.directives)


def _written(block: Block) -> str | None:
    paths = [d.split(" ", 1)[1].strip() for d in block.directives if d.startswith("write ")]
    return paths[-1] if paths else None


def statements(block: Block) -> list[Statement]:
    """Top-level statements of the block, each with the exit status it must end with."""
    from tree_sitter import Language, Parser
    import tree_sitter_bash

    source = block.text.encode()
    root = Parser(Language(tree_sitter_bash.language())).parse(source).root_node
    assert not root.has_error, f"{block.where}: bash cannot parse this block"
    found: list[Statement] = []
    for node in root.named_children:
        text = source[node.start_byte:node.end_byte].decode()
        if node.type == "comment":
            if found and found[-1].last == block.line + node.start_point[0] and text[1:].strip().startswith("exit "):
                status = text[1:].strip().split()[1].rstrip(":,")
                found[-1] = found[-1]._replace(expect=int(status))
            continue
        found.append(Statement(text, block.line + node.start_point[0], 0, block.line + node.end_point[0]))
    return found


def pinflow_commands(block: Block) -> list[list[str]]:
    from pinflow.shell import command_words

    return [words[1:] for _, _, words in command_words(block.text) if words[:1] == ["pinflow"]]


# ---------------------------------------------------------------------------
# Quick: the shape of the pages


def test_sh_blocks_only_in_runnable_pages():
    stray = [b.where for rel in all_pages() if rel not in RUNNABLE for b in page(rel).blocks if b.info == "sh"]
    assert stray == [], "add the page to RUNNABLE (its sh blocks are then run) or tag the blocks `text`"


def test_console_blocks_are_generated():
    written = [b.where for rel in all_pages() for b in page(rel).blocks if b.info == "console" and b.region is None]
    regions = {(rel, name) for rel, names in docsgen.REGIONS.items() for name in names}
    in_unknown_region = [b.where for rel in all_pages() for b in page(rel).blocks
                         if b.region is not None and (rel, b.region) not in regions]
    # docs/fleet.md is written by hand with its own tests (tests/test_fleet.py).
    assert [w for w in written if not w.startswith("docs/fleet.md")] == []
    assert in_unknown_region == []


def test_directives_are_known():
    for rel in all_pages():
        for kind, value in page(rel).events:
            if kind == "directive":
                assert str(value).startswith(("skip (", "write ", "scratch=empty")), f"{rel}: unknown directive {value!r}"
                assert rel in RUNNABLE, f"{rel}: docs-test directives only work in RUNNABLE pages"


def test_every_skip_and_write_applies_to_a_block():
    for rel in RUNNABLE:
        p = page(rel)
        attached = [d for b in p.blocks for d in b.directives if d.startswith(("skip", "write "))]
        declared = [v for k, v in p.events if k == "directive" and str(v).startswith(("skip", "write "))]
        assert attached == declared, rel


@pytest.mark.parametrize("rel", RUNNABLE)
def test_pinflow_commands_parse(rel):
    from pinflow.cli import cli

    commands = [(b, c) for b in runnable_blocks(page(rel)) for c in pinflow_commands(b)]
    for block, args in commands:
        if args in (["--version"], ["-V"], ["--help"]):
            continue
        parent = click.Context(cli, info_name="pinflow")
        command = cli.get_command(parent, args[0]) if args else None
        assert command is not None, f"{block.where}: no command `pinflow {' '.join(args)}`"
        try:
            command.make_context(args[0], list(args[1:]), parent=parent)
        except click.UsageError as exc:
            pytest.fail(f"{block.where}: `pinflow {' '.join(args)}`: {exc.format_message()}")


def test_runnable_pages_run_something():
    for rel in RUNNABLE:
        assert any(statements(b) for b in runnable_blocks(page(rel))), rel


def test_exit_comment_is_read():
    block = Block("t.md", 10, "sh", "pinflow lint   # exit 1: findings\npinflow check\nfoo \\\n  bar # exit 2\n", None, "", ())
    assert [(s.text.split()[0], s.line, s.expect) for s in statements(block)] == [("pinflow", 10, 1), ("pinflow", 11, 0), ("foo", 12, 2)]


def test_quickstart_pre_commit_config_is_the_documented_one():
    shown = [b.text for b in page("docs/quickstart.md").blocks if _written(b) == ".pre-commit-config.yaml"]
    documented = [b.text for b in page("docs/pre-commit.md").blocks if b.info == "yaml"]
    assert shown and all(s.split("\n", 1)[1] in documented for s in shown)


# ---------------------------------------------------------------------------
# Slow: run them


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60, env=_env(repo.parent))


def _env(tmp: Path) -> dict[str, str]:
    shim = tmp / "bin"
    if not (shim / "pinflow").exists():
        shim.mkdir(exist_ok=True)
        (shim / "pinflow").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pinflow "$@"\n')
        (shim / "pinflow").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PINFLOW_DEBUG"))}
    env.update(
        PATH=os.pathsep.join([str(shim), str(Path(sys.executable).parent), env.get("PATH", "")]),
        PYTHONPATH=str(ROOT), HOME=str(tmp), PRE_COMMIT_HOME=str(tmp / "pre-commit"),
        GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="docs", GIT_AUTHOR_EMAIL="docs@example.test",
        GIT_COMMITTER_NAME="docs", GIT_COMMITTER_EMAIL="docs@example.test",
    )
    return env


def _scratch(tmp: Path, kind: str) -> Path:
    parent = tmp / f"scratch-{len(list(tmp.glob('scratch-*')))}"
    parent.mkdir()
    if kind == "existing":
        repo = docsgen.seed_repo(parent)
    else:
        repo = parent / "workspace-template-demo"
        repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    if kind == "existing":
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "hand-written publish workflow")
    return repo


@pytest.mark.slow
@pytest.mark.parametrize("rel", RUNNABLE)
def test_page_commands_run(rel, tmp_path):
    env = _env(tmp_path)
    repo = _scratch(tmp_path, "existing")
    ran = 0
    for kind, value in page(rel).events:
        if kind == "directive" and value == "scratch=empty":
            repo = _scratch(tmp_path, "empty")
            continue
        if kind != "block":
            continue
        block: Block = value  # type: ignore[assignment]
        target = _written(block)
        if target is not None:
            (repo / target).parent.mkdir(parents=True, exist_ok=True)
            (repo / target).write_text(block.text, encoding="utf-8")
            continue
        if block not in runnable_blocks(page(rel)):
            continue
        for st in statements(block):
            res = subprocess.run(["bash", "-c", st.text], cwd=repo, env=env, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=300)
            assert res.returncode == st.expect, (
                f"{rel}:{st.line}: `{st.text}` exited {res.returncode}, the page says {st.expect}\n{res.stdout[-2000:]}{res.stderr[-2000:]}")
            ran += 1
    assert ran
