from __future__ import annotations

from pinflow.docsgen import generated_pages
from pinflow.rules import all_rules, get_rule, render_doc


def test_generated_docs_are_committed_and_current(repo_root):
    stale = [rel for rel, text in generated_pages().items()
             if not (repo_root / "docs" / rel).is_file() or (repo_root / "docs" / rel).read_text() != text]
    assert stale == [], f"run `python -m pinflow.docsgen` to regenerate: {stale}"


def test_every_rule_documents_why_and_examples():
    for code, r in all_rules().items():
        assert r.summary and r.name, code
        for section in ("## Why", "## Fails", "## Passes"):
            assert section in r.body, f"{code} lacks {section}"


def test_rule_command_prints_the_doc(cli):
    res = cli(["rule", "pf201"])
    assert res.code == 0 and res.out == render_doc(get_rule("PF201"))
    assert cli(["rule", "PF999"]).code == 2


def test_rules_command_lists_codes(cli):
    import json

    res = cli(["rules", "--format", "json"])
    rows = json.loads(res.out)
    assert [r["code"] for r in rows] == sorted(all_rules())
    assert {"code", "name", "severity", "summary"} <= set(rows[0])
