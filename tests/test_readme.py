"""The README and the pages around it say what pinflow does.

The generated regions (the README's tour, the quickstart's upgrade note, the
`--help` blocks of docs/commands.md) are regenerated from real runs and
compared; the fresh-machine test command is the one .ci/run runs; the
changelog has an entry for this version; every relative link resolves.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from mdblocks import links, read_page, slug
from pinflow import __version__, docsgen


@pytest.fixture(scope="module")
def regions() -> dict[str, str]:
    root = Path(__file__).resolve().parent.parent
    return docsgen.generated_regions(root)


@pytest.mark.parametrize("rel", sorted(docsgen.REGIONS))
def test_generated_regions_are_current(repo_root, regions, rel):
    committed = (repo_root / rel).read_text(encoding="utf-8")
    assert committed == regions[rel], f"{rel} differs from a real run: run `python -m pinflow.docsgen` and review the diff"


def test_tour_runs_the_five_commands_and_shows_real_statuses(regions):
    tour = regions["README.md"].split(docsgen.markers("tour")[0], 1)[1].split(docsgen.markers("tour")[1], 1)[0]
    shown = [line.split()[2] for line in tour.split("\n") if line.startswith("$ pinflow ")]
    assert {"render", "lint", "check", "fix", "init"} <= set(shown)
    # The story needs these outcomes; if pinflow stops producing them the prose is wrong.
    assert "(exit 1):" in tour and "(exit 0):" in tour
    assert "drifted from its render; fix with: pinflow render -o .gitea/workflows/publish-image.yml" in tour
    assert "PF201" in tour and "is in sync with its render" in tour
    assert "/tmp" not in tour and "pinflow-docs-" not in tour


def test_trim_keeps_head_and_tail():
    lines = [str(i) for i in range(10)]
    assert docsgen.trim(lines, 3, 1) == ["0", "1", "2", "…", "9"]
    assert docsgen.trim(lines, 3, 0) == ["0", "1", "2", "…"]
    assert docsgen.trim(lines, 0, 0) == lines
    assert docsgen.trim(lines, 8, 1) == lines  # cutting one line would only swap it for "…"


def test_fill_replaces_only_the_region():
    start, end = docsgen.markers("x")
    text = f"before\n{start}\nold\n{end}\nafter\n"
    assert docsgen.fill(text, "x", "new\n") == f"before\n{start}\nnew\n{end}\nafter\n"
    with pytest.raises(ValueError):
        docsgen.fill("no markers\n", "x", "new\n")
    with pytest.raises(ValueError):
        docsgen.fill(f"{end}\n{start}\n", "x", "new\n")


def test_scripted_edit_refuses_a_missing_target(tmp_path):
    path = tmp_path / "wf.yml"
    path.write_text("a: 1\n")
    with pytest.raises(ValueError, match="exactly one"):
        docsgen._edit(path, "b: 2", "b: 3")


def test_fresh_machine_commands_are_the_contract(repo_root):
    page = read_page(repo_root / "README.md", "README.md")
    first, second = [b.text for b in page.blocks if b.section == "On a fresh machine"]
    assert first == "python3 -m venv .venv && . .venv/bin/activate && pip install . && pinflow render --template-name codex\n"
    ci = (repo_root / ".ci" / "run").read_text().splitlines()
    assert second == ci[ci.index("# README test command:") + 1] + "\n"
    assert second == "python -m pip install -e '.[test]' && python -m pytest -q\n"


def test_changelog_has_this_version_with_every_command_and_family(repo_root):
    from pinflow.cli import cli
    from pinflow.rules import all_rules

    text = (repo_root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## {__version__}\n" in text, f"CHANGELOG.md has no entry for {__version__}"
    entry = text.split(f"\n## {__version__}\n", 1)[1].split("\n## ", 1)[0]
    for command in cli.commands:
        assert f"`pinflow {command}" in entry, command
    for family in sorted({code[:3] for code in all_rules()}):
        assert f"{family}xx" in entry, family


def _pages(repo_root: Path) -> list[Path]:
    return [repo_root / "README.md", repo_root / "CHANGELOG.md", *sorted((repo_root / "docs").rglob("*.md"))]


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in read_page(path, path.name).headings:
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        anchors.add(base if n == 0 else f"{base}-{n}")
    return anchors


def test_every_relative_link_resolves(repo_root):
    broken = []
    for path in _pages(repo_root):
        page = read_page(path, str(path.relative_to(repo_root)))
        for target in links(page.prose):
            if "://" in target or target.startswith("mailto:"):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            if not dest.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_readme_links_every_top_level_doc(repo_root):
    readme = read_page(repo_root / "README.md", "README.md")
    linked = {(repo_root / t.partition("#")[0]).resolve() for t in links(readme.prose) if "://" not in t}
    missing = [p.name for p in sorted((repo_root / "docs").glob("*.md")) if p.resolve() not in linked]
    assert missing == [], f"README.md's Docs section does not link {missing}"
