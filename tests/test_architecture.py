"""docs/architecture.md stays true to the code it describes.

The module map names every module of the package (and nothing else), the
template-block table lists exactly the blocks of the built-in template, and
the places the page says a new reporter must be registered are the places
`--format` reads.
"""
from __future__ import annotations

from pathlib import Path

from pinflow.resources import read_template

ROOT = Path(__file__).resolve().parent.parent


def section(title: str) -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    marker = f"\n## {title}\n"
    assert marker in text, f"docs/architecture.md has no section {title!r}"
    return text.split(marker, 1)[1].split("\n## ", 1)[0]


def first_column(table_text: str) -> list[str]:
    """The first cell of each body row of the markdown tables in the text, code quotes removed."""
    rows = [line for line in table_text.split("\n") if line.startswith("| ")]
    cells = [row.split(" | ")[0][2:].strip() for row in rows]
    return [c.strip("`") for c in cells if c.startswith("`")]


def test_module_map_names_every_module():
    package = ROOT / "pinflow"
    modules = {p.name for p in package.glob("*.py")}
    subpackages = {f"{p.name}/" for p in package.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    documented = first_column(section("Modules"))
    assert len(documented) == len(set(documented)), "a module is listed twice"
    assert set(documented) == modules | subpackages


def test_module_map_names_every_rule_family():
    from pinflow.rules import _FAMILIES

    row = next(line for line in section("Modules").split("\n") if line.startswith("| `rules/`"))
    for family in _FAMILIES:
        assert f"`{family}.py`" in row, family


def test_template_block_table_matches_the_template():
    import jinja2
    from jinja2 import nodes

    tree = jinja2.Environment().parse(read_template("publish-image.yml.j2") or "")
    blocks = [b.name for b in tree.find_all(nodes.Block)]
    documented = first_column(section("How to add a template block"))
    assert sorted(documented) == sorted(blocks)


def test_reporter_steps_name_the_places_format_reads():
    from pinflow.cli import cli
    from pinflow.reporters import REPORTERS

    # The click command is built from LINT_OPTIONS, so its choices are the ones both parsers accept.
    fmt = next(p for p in cli.commands["lint"].params if "--format" in p.opts)
    assert set(fmt.type.choices) == set(REPORTERS), "LINT_OPTIONS' --format choices and the reporter registry disagree"
    steps = section("How to add a reporter")
    assert "`_WHERE`" in steps and "`LINT_OPTIONS`" in steps
