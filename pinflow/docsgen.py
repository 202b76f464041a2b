"""Generate the docs that are derived from code: docs/rules/ from the rules.

`python -m pinflow.docsgen` rewrites them; tests/test_docs.py fails when the
committed pages differ from what this produces.
"""
from __future__ import annotations

import sys
from pathlib import Path

from pinflow.rules import all_rules, render_doc


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


def write(docs: Path) -> list[str]:
    from pinflow.yamlio import atomic_write

    changed = []
    for rel, text in generated_pages().items():
        if atomic_write(docs / rel, text):
            changed.append(rel)
    return changed


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs"
    for rel in write(root):
        print(f"wrote docs/{rel}")
