from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pinflow.lint import dialect_for, lint_text

GOOD = (Path(__file__).parent / "fixtures" / "lint" / "good_gitea.yml").read_text()


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_invalid_yaml_is_pf001_with_position():
    [f] = lint_text("on: push\njobs: [\n", "x.yml")
    assert f.rule == "PF001" and f.line == 3


def test_duplicate_key_reports_both_positions():
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    if: true\n    if: false\n    steps: [{run: echo}]\n"
    [f] = [f for f in lint_text(text, "x.yml") if f.rule == "PF001"]
    assert (f.line, f.column) == (6, 5)
    assert "first at 5:5" in f.message


@pytest.mark.parametrize(("text", "kind"), [("", "empty"), ("- a\n", "a list"), ("42\n", "a scalar"), ("null\n", "empty")])
def test_not_a_mapping_is_pf002(text, kind):
    [f] = lint_text(text, "x.yml")
    assert f.rule == "PF002" and kind in f.message


def test_inline_ignore_on_line_and_on_job_key():
    bad = GOOD.replace("    if: ${{ success() && github.ref == 'refs/heads/main' }}", "    if: ${{ success() }}")
    assert "PF201" in {f.rule for f in lint_text(bad, "x.yml")}
    on_line = bad.replace("    if: ${{ success() }}", "    if: ${{ success() }}  # pinflow: ignore[PF201]")
    assert "PF201" not in {f.rule for f in lint_text(on_line, "x.yml")}
    on_job = bad.replace("  promote-pin:\n", "  promote-pin:  # pinflow: ignore[PF2]\n")
    assert "PF201" not in {f.rule for f in lint_text(on_job, "x.yml")}
    other_code = bad.replace("    if: ${{ success() }}", "    if: ${{ success() }}  # pinflow: ignore[PF301]")
    assert "PF201" in {f.rule for f in lint_text(other_code, "x.yml")}


@pytest.mark.parametrize(
    ("path", "expected"),
    [(".gitea/workflows/a.yml", "gitea"), (".forgejo/workflows/a.yml", "gitea"), (".github/workflows/a.yml", "github"), ("a.yml", "github")],
)
def test_dialect_from_path(path, expected):
    assert dialect_for(path, "auto", None) == expected
    assert dialect_for(path, "gitea", None) == "gitea"


def test_lint_cli_exit_codes_and_formats(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = _write(tmp_path / ".gitea/workflows/publish.yml", GOOD)
    assert cli(["lint"]).code == 0
    bad = _write(tmp_path / "bad.yml", GOOD.replace("--fail-with-body ", ""))
    res = cli(["lint", str(bad), "--format", "json"])
    assert res.code == 1
    doc = json.loads(res.out)
    assert {"path", "line", "column", "rule", "severity", "message"} <= set(doc["findings"][0])
    assert "PF301" in {f["rule"] for f in doc["findings"]}
    assert cli(["lint", str(bad), "--ignore", "PF3"]).code == 0
    assert cli(["lint", str(bad), "--select", "PF1"]).code == 0
    text = cli(["lint", str(good), str(bad)]).out
    assert f"{bad}:" in text and "2 files checked" in text


def test_one_bad_path_does_not_stop_the_others(cli, tmp_path):
    a = _write(tmp_path / "a.yml", GOOD)
    broken = _write(tmp_path / "broken.yml", "on: [\n")
    c = _write(tmp_path / "c.yml", "not: a workflow\n")
    res = cli(["lint", str(a), str(tmp_path / "missing.yml"), str(broken), str(c)])
    assert res.code == 2
    assert "missing.yml: no such file" in res.err
    assert f"{broken}:2:1: PF001" in res.out
    assert f"{c}:" in res.out and "3 files checked" in res.out


def test_stdin(cli):
    res = cli(["lint", "-", "--format", "json"], stdin=GOOD.replace("--fail-with-body ", ""))
    doc = json.loads(res.out)
    assert res.code == 1 and doc["findings"][0]["path"] == "<stdin>"


def test_directory_and_no_workflows(cli, tmp_path, monkeypatch):
    _write(tmp_path / "wf" / "a.yaml", GOOD)
    _write(tmp_path / "wf" / "notes.txt", "x")
    assert "1 file checked" in cli(["lint", str(tmp_path / "wf")]).out
    monkeypatch.chdir(tmp_path)
    res = cli(["lint"])
    assert res.code == 2 and "no workflow files found" in res.err


def test_fifo_is_refused_not_read(cli, tmp_path):
    fifo = tmp_path / "pipe.yml"
    os.mkfifo(fifo)
    res = cli(["lint", str(fifo)])
    assert res.code == 2 and "not a regular file" in res.err


def test_lint_config_section(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = _write(tmp_path / "bad.yml", GOOD.replace("--fail-with-body ", ""))
    (tmp_path / "pinflow.toml").write_text('template_name = "app"\n[lint]\nignore = ["PF301"]\n')
    assert cli(["lint", str(bad)]).code == 0


def test_redefined_anchor_is_valid_yaml_1_2():
    text = "on: push\njobs:\n  a:\n    runs-on: &r ubuntu-latest\n    steps:\n      - run: echo *r\n  b:\n    runs-on: &r other\n    steps:\n      - run: echo\n"
    assert [f for f in lint_text(text, "x.yml") if f.rule == "PF001"] == []


def test_job_key_suppression_uses_the_job_key_not_a_lookalike_line():
    bad = GOOD.replace("--fail-with-body ", "")
    lookalike = bad.replace("  workflow_dispatch:\n", "  workflow_dispatch:\n    inputs:\n      promote-pin:  # pinflow: ignore[PF301]\n        type: boolean\n")
    assert "PF301" in {f.rule for f in lint_text(lookalike, "x.yml")}  # a comment elsewhere hides nothing
    on_key = bad.replace("  promote-pin:\n", "  promote-pin:  # pinflow: ignore[PF301]\n")
    with_input = on_key.replace("  workflow_dispatch:\n", "  workflow_dispatch:\n    inputs:\n      promote-pin:\n        type: boolean\n")
    assert "PF301" not in {f.rule for f in lint_text(with_input, "x.yml")}


def test_job_key_suppression_covers_findings_without_a_job():
    text = GOOD.replace("          GIT_SHA: ${{ needs.resolve-version.outputs.sha }}", "          GIT_SHA: ${{ needs.resolve-version.outputs.sha ")
    assert "PF003" in {f.rule for f in lint_text(text, "x.yml")}
    silenced = text.replace("  promote-pin:\n", "  promote-pin:  # pinflow: ignore[PF003]\n")
    assert "PF003" not in {f.rule for f in lint_text(silenced, "x.yml")}
    other_job = text.replace("  publish:\n", "  publish:  # pinflow: ignore[PF003]\n")
    assert "PF003" in {f.rule for f in lint_text(other_job, "x.yml")}


def test_job_names_are_not_redacted():
    text = GOOD.replace("publish", "vault-token")
    text = text.replace("      digest: ${{ steps.push.outputs.digest }}\n", "")
    [f] = [f for f in lint_text(text, "x.yml") if f.rule == "PF102"]
    assert f.message.startswith("job 'vault-token': does not expose")


def test_unknown_codes_are_usage_errors(cli, tmp_path):
    path = tmp_path / "a.yml"
    path.write_text(GOOD)
    for flag in ("--select", "--ignore"):
        res = cli(["lint", str(path), flag, "PF3O1"])
        assert res.code == 2 and "unknown rule code 'PF3O1'" in res.err
    assert cli(["lint", str(path), "--select", "pf2,PF3"]).code == 0


def test_dialect_from_inside_the_workflow_folder(tmp_path, monkeypatch):
    folder = tmp_path / ".github" / "sub" / ".gitea" / "workflows"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    assert dialect_for("x.yml", "auto", None) == "gitea"
    monkeypatch.chdir(tmp_path / ".github")
    assert dialect_for("x.yml", "auto", None) == "github"


def test_control_character_position():
    [f] = lint_text('on: push\njobs:\n  a:\n    runs-on: x\n    name: "a\x01b"\n', "x.yml")
    assert (f.rule, f.line, f.column) == ("PF001", 5, 13)


def test_a_repo_root_argument_means_its_workflow_folders(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / ".gitea/workflows/publish.yml", GOOD)
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    res = cli(["lint", "."])
    assert res.code == 0 and "1 file checked" in res.out
    res = cli(["lint", ".gitea"])
    assert res.code == 0 and "1 file checked" in res.out
