"""Generate the docs that are derived from code or from a run, so they cannot lie.

Two kinds of output:

- whole pages under docs/: ``rules/`` from the rules' docstrings and
  ``config.md`` from the config schema (``generated_pages``);
- regions of hand-written pages, between ``<!-- NAME:start -->`` and
  ``<!-- NAME:end -->``, filled with the output of real ``pinflow`` runs in a
  scratch template repo (``generated_regions``): the README's tour, the
  quickstart's upgrade note, the ``--help`` of every command.

`python -m pinflow.docsgen` rewrites both; tests/test_docs.py and
tests/test_readme.py fail when a committed page differs from what this
produces. The runs are real subprocesses (``python -m pinflow``, the code this
module belongs to), with stdout and stderr interleaved as a terminal shows
them; the scratch repo's path never reaches the output.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pinflow import __version__
from pinflow.records import NamedTuple
from pinflow.rules import all_rules, render_doc

# ---------------------------------------------------------------------------
# Whole pages


def rule_pages() -> dict[str, str]:
    """Relative path under docs/ -> page text."""
    rules = all_rules()
    pages = {f"rules/{code}.md": render_doc(r) for code, r in rules.items()}
    index = ["# Rules", "", "Generated from the rules' own documentation by `python -m pinflow.docsgen`; `pinflow rule CODE` prints the same page.", "",
             "| code | name | severity | summary |", "|---|---|---|---|"]
    index += [f"| [{c}]({c}.md) | {r.name} | {r.severity} | {r.summary} |" for c, r in rules.items()]
    pages["rules/README.md"] = "\n".join(index) + "\n"
    return pages


def generated_pages() -> dict[str, str]:
    pages = rule_pages()
    try:
        from pinflow.configdoc import config_page
    except ImportError:
        return pages
    pages["config.md"] = config_page()
    return pages


# ---------------------------------------------------------------------------
# The scratch template repo the runs happen in

REPO_NAME = "workspace-template-codex"  # `pinflow init` reads the template name from a name like this
WORKFLOW = ".gitea/workflows/publish-image.yml"
# Synthetic, shaped like a fleet repo before it promoted anything: it builds
# and pushes, its push step has no id, its job no digest output, and no job
# posts the digest to the control plane.
HAND_WRITTEN = """\
name: publish-image

on:
  push:
    branches: [main]
  workflow_dispatch:

env:
  GITHUB_SERVER_URL: https://git.moleculesai.app
  IMAGE_NAME: registry.moleculesai.app/molecule-ai/workspace-template-codex

permissions:
  contents: read

jobs:
  publish:
    name: Build and push
    runs-on: [publish, release]
    timeout-minutes: 60
    steps:
      - name: Checkout
        uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2
        with:
          persist-credentials: false
      - name: Log in to the registry
        uses: docker/login-action@5e57cd118135c172c3672efd75eb46360885c0ef # v3.6.0
        with:
          registry: registry.moleculesai.app
          username: ${{ secrets.REGISTRY_USERNAME }}
          password: ${{ secrets.REGISTRY_PASSWORD }}
      - name: Build and push
        uses: docker/build-push-action@bcafcacb16a39f128d818304e6c9c0c18556b85f # v7.1.0
        with:
          context: .
          push: true
          tags: ${{ env.IMAGE_NAME }}:latest
"""


def seed_repo(parent: Path) -> Path:
    """``parent/workspace-template-codex`` holding only the hand-written workflow."""
    repo = parent / REPO_NAME
    (repo / WORKFLOW).parent.mkdir(parents=True)
    (repo / WORKFLOW).write_text(HAND_WRITTEN, encoding="utf-8")
    return repo


def run_pinflow(args: Sequence[str], cwd: Path) -> tuple[int, str]:
    """(exit status, stdout and stderr as one stream) of ``pinflow ARGS`` run in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PINFLOW_DEBUG", "PYTHONPATH")}
    # The code of this checkout, unbuffered so the two streams interleave as
    # on a terminal; no lint cache, no colour, a fixed width for click's help.
    env.update(PYTHONPATH=str(Path(__file__).resolve().parent.parent), PYTHONUNBUFFERED="1",
               PINFLOW_NO_CACHE="1", NO_COLOR="1", COLUMNS="88")
    res = subprocess.run([sys.executable, "-m", "pinflow", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    return res.returncode, res.stdout


# ---------------------------------------------------------------------------
# Scripted runs: a list of steps, each some prose and a console block


class Cmd(NamedTuple):
    args: tuple[str, ...]
    head: int = 0  # show the first `head` lines of the output (0: all of it)...
    tail: int = 0  # ...and the last `tail`, with "…" for what is cut


class Step(NamedTuple):
    say: str | None  # markdown before the block ("{code}": the last command's exit status); None: run, show nothing
    cmds: tuple[Cmd, ...] = ()
    edit: tuple[str, str] | None = None  # (old, new): a hand edit of the workflow, made before the commands
    show: int = 0  # after the commands, show the first `show` lines of the workflow


def trim(lines: list[str], head: int, tail: int) -> list[str]:
    if not head or len(lines) <= head + tail + 1:
        return lines
    return lines[:head] + ["…"] + (lines[-tail:] if tail else [])


def play(steps: Sequence[Step], repo: Path) -> str:
    """Run the steps in ``repo``; the markdown that tells them."""
    parts = []
    for step in steps:
        if step.edit is not None:
            _edit(repo / WORKFLOW, *step.edit)
        shown, code = [], 0
        for cmd in step.cmds:
            code, output = run_pinflow(cmd.args, repo)
            output = output.replace(str(repo), f"~/{REPO_NAME}").replace(os.path.realpath(repo), f"~/{REPO_NAME}")
            shown += ["$ " + shlex.join(["pinflow", *cmd.args])] + trim(output.rstrip("\n").split("\n") if output else [], cmd.head, cmd.tail)
        if step.say is None:
            continue
        parts.append(step.say.replace("{code}", str(code)))
        if shown:
            parts.append("```console\n" + "\n".join(shown) + "\n```")
        if step.show:
            head = (repo / WORKFLOW).read_text(encoding="utf-8").split("\n")[:step.show]
            parts.append("```yaml\n" + "\n".join(head) + "\n```")
    return "\n\n".join(parts) + "\n"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise ValueError(f"docsgen: the scripted edit expects exactly one {old!r} in {path.name}; the render changed: update the script")
    path.write_text(text.replace(old, new), encoding="utf-8")


def scripted(steps: Sequence[Step]) -> Callable[[], str]:
    def generate() -> str:
        with tempfile.TemporaryDirectory(prefix="pinflow-docs-") as tmp:
            return play(steps, seed_repo(Path(tmp)))
    return generate


GUARD = "if: ${{ success() && github.ref == 'refs/heads/main' }}"
LOOSE_GUARD = "if: ${{ success() && (github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch') }}"

TOUR = (
    Step("A template repo has a hand-written publish workflow: it builds and pushes the image, and nothing "
         "ever tells the control plane. `pinflow lint` checks it against the publish-and-promote contract "
         "(exit {code}):", (Cmd(("lint",)),)),
    Step("`pinflow init` reads that workflow and writes a `pinflow.toml` with what it could infer, each value "
         "with the line it came from, and lists what it could not:", (Cmd(("init",)),)),
    Step("With a config, `pinflow fix` makes the smallest additive repair of the hand-written file; `--diff` "
         "prints it and writes nothing (cut short here):", (Cmd(("fix", "--diff", WORKFLOW), head=24, tail=1),)),
    Step("Or adopt the generated workflow. `pinflow render` writes it from the config, after linting its own "
         "output (it refuses to write a workflow that breaks the contract):", (Cmd(("render", "-o", WORKFLOW)),), show=3),
    Step("Its header names the pinflow version and the command that regenerates it. `pinflow lint` is now clean, "
         "and `pinflow check`, the CI gate, finds the committed file in sync with its render (exit {code}):",
         (Cmd(("lint",)), Cmd(("check",)))),
    Step("Someone edits the generated file by hand to let a manual dispatch promote from any branch. `pinflow check` "
         "shows the drift, the command that undoes it, and what the edit broke (exit {code}):",
         (Cmd(("check",)),), edit=(GUARD, LOOSE_GUARD)),
    Step("Every finding has a page (`pinflow rules` lists them all):", (Cmd(("rule", "PF201"), head=9),)),
)

OLD_VERSION = "0.0.9"

UPGRADE = (
    Step(None, (Cmd(("init",)), Cmd(("render", "-o", WORKFLOW)))),
    Step("Here the committed file was rendered by pinflow " + OLD_VERSION + " and CI now runs a newer pinflow "
         "(exit {code}):", (Cmd(("check",)),), edit=(f"# Generated by pinflow {__version__} ", f"# Generated by pinflow {OLD_VERSION} ")),
)

COMMANDS = ("render", "lint", "check", "fix", "init", "fleet", "rules", "rule")


def help_text(command: str) -> Callable[[], str]:
    def generate() -> str:
        with tempfile.TemporaryDirectory(prefix="pinflow-docs-") as tmp:
            code, output = run_pinflow((command, "--help"), Path(tmp))
        if code != 0:
            raise RuntimeError(f"pinflow {command} --help exited {code}: {output}")
        return "```text\n$ pinflow " + command + " --help\n" + output.rstrip("\n") + "\n```\n"
    return generate


# ---------------------------------------------------------------------------
# Regions of hand-written pages

# Relative path from the repo root -> region name -> generator.
REGIONS: dict[str, dict[str, Callable[[], str]]] = {
    "README.md": {"tour": scripted(TOUR)},
    "docs/quickstart.md": {"upgrade": scripted(UPGRADE)},
    "docs/commands.md": {f"help-{c}": help_text(c) for c in COMMANDS},
}


def markers(name: str) -> tuple[str, str]:
    return (f"<!-- {name}:start (generated by `python -m pinflow.docsgen`: do not edit) -->", f"<!-- {name}:end -->")


def fill(text: str, name: str, body: str) -> str:
    """``text`` with the region ``name`` holding ``body``; ValueError if its markers are not there once each."""
    start, end = markers(name)
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"region {name!r}: expected one {start!r} followed by one {end!r}")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{body}{end}{after}"


def generated_regions(root: Path, only: Sequence[str] = ()) -> dict[str, str]:
    """Relative path -> the page's text with its regions regenerated (every page, or those in ``only``)."""
    pages = {}
    for rel, regions in REGIONS.items():
        if only and rel not in only:
            continue
        text = (root / rel).read_text(encoding="utf-8")
        for name, generate in regions.items():
            text = fill(text, name, generate())
        pages[rel] = text
    return pages


def write(docs: Path) -> list[str]:
    """Regenerate everything under ``docs`` and the regions of the pages beside it; the paths that changed."""
    from pinflow.yamlio import atomic_write

    changed = [f"docs/{rel}" for rel, text in generated_pages().items() if atomic_write(docs / rel, text)]
    changed += [rel for rel, text in generated_regions(docs.parent).items() if atomic_write(docs.parent / rel, text)]
    return changed


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs"
    for rel in write(root):
        print(f"wrote {rel}")
