"""fleet: one row per template repo, every status, every format, --fix-drift, fleet.toml."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import NamedTuple

import pytest
from ruamel.yaml import YAML

from pinflow import __version__, model, yamlio
from pinflow.config import load_config
from pinflow.drift import IN_SYNC, DriftReport
from pinflow.errors import ConfigError
from pinflow.findings import ERROR, WARNING, Finding
from pinflow.fleet import Repo, Row, _row, check_fleet, load_fleet_file, run_fleet
from pinflow.lint import dialect_for, lint_text
from pinflow.render import ACTIONS

GITEA_PATH = ".gitea/workflows/publish-image.yml"
GITHUB_PATH = ".github/workflows/publish-image.yml"
# A user template that adds `run-name:`, which Gitea 1.22 ignores: a PF410
# warning in a file that is otherwise in sync and clean.
RUN_NAME_TEMPLATE = '{% extends "publish-image.yml.j2" %}\n{% block header %}{{ super() }}run-name: publish\n{% endblock %}\n'
TWO_TARGETS = """\
template_name = "gemini-cli"
dialect = "github"

[[promote.targets]]
name = "staging"
url = "https://staging.example.com/cp/admin/runtime-image/promote"
token_secret = "CP_STAGING_TOKEN"

[[promote.targets]]
name = "prod"
url = "https://api.example.com/cp/admin/runtime-image/promote"
token_secret = "CP_PROD_TOKEN"
"""


class TtyIO(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def make_repo(cli, monkeypatch, repo: Path, config: str, output: str = GITEA_PATH, args: tuple[str, ...] = ()) -> Path:
    """A template repo: its config, and the workflow `pinflow render -o` writes from it."""
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "pinflow.toml").write_text(config)
    with monkeypatch.context() as m:
        m.chdir(repo)
        res = cli(["render", *args, "-o", output])
    assert res.code == 0, res
    return repo / output


def drop_main_guard(text: str) -> str:
    """Remove promote-pin's `if:` line: the job then promotes from every branch (contract errors)."""
    promote = model.get(model.get(yamlio.compose(text), "jobs"), "promote-pin")
    key = model.get_key(promote, "if")
    assert key is not None and key.start_mark.line == model.get(promote, "if").end_mark.line
    lines = text.split("\n")
    del lines[key.start_mark.line]
    return "\n".join(lines)


def lint_count(cli, monkeypatch, repo: Path) -> int:
    with monkeypatch.context() as m:
        m.chdir(repo)
        res = cli(["lint", "--format", "json"])
    return len(json.loads(res.out)["findings"])


class Fleet(NamedTuple):
    root: Path
    names: list[str]
    expected: list[dict]  # every row of the JSON, sorted by repo; an error row's detail is a fragment


@pytest.fixture
def fleet(tmp_path, monkeypatch, cli) -> Fleet:
    root = tmp_path / "fleet"
    expected = []

    def row(repo, template, status, findings, targets, detail):
        expected.append({"repo": repo, "template_name": template, "status": status, "findings": findings, "targets": targets, "detail": detail})

    make_repo(cli, monkeypatch, root / "claude-code", 'template_name = "claude-code"\n')
    row("claude-code", "claude-code", "ok", 0, ["prod"], "")

    (root / "codex" / "tpl").mkdir(parents=True)
    (root / "codex" / "tpl" / "mine.yml.j2").write_text(RUN_NAME_TEMPLATE)
    make_repo(cli, monkeypatch, root / "codex", 'template_name = "codex"\ntemplates_dir = "tpl"\ntemplate_file = "mine.yml.j2"\n')
    assert lint_count(cli, monkeypatch, root / "codex") == 1
    row("codex", "codex", "ok", 1, ["prod"], "")  # a warning does not spoil ok

    make_repo(cli, monkeypatch, root / "gemini-cli", TWO_TARGETS, GITHUB_PATH)
    row("gemini-cli", "gemini-cli", "ok", 0, ["staging", "prod"], "")

    # One byte of the header comment: drift, still lint clean.
    hermes = make_repo(cli, monkeypatch, root / "hermes", 'template_name = "hermes"\n')
    text = hermes.read_text()
    edited = text.replace("Do not edit by hand", "Do not edit by hanD", 1)
    assert edited != text and len(edited) == len(text)
    hermes.write_text(edited)
    line = next(n for n, (a, b) in enumerate(zip(text.split("\n"), edited.split("\n")), 1) if a != b)
    row("hermes", "hermes", "drift", 0, ["prod"], f"{GITEA_PATH}:{line}: differs from its render")

    # Drift that also breaks the contract: findings counts what lint finds.
    deep = make_repo(cli, monkeypatch, root / "deepagents", 'template_name = "deepagents"\n')
    text = deep.read_text()
    broken = drop_main_guard(text)
    deep.write_text(broken)
    line = next(n for n, (a, b) in enumerate(zip(text.split("\n"), broken.split("\n")), 1) if a != b)
    findings = lint_count(cli, monkeypatch, root / "deepagents")
    assert findings > 0
    row("deepagents", "deepagents", "drift", findings, ["prod"], f"{GITEA_PATH}:{line}: differs from its render")

    make_repo(cli, monkeypatch, root / "openclaw", 'template_name = "openclaw"\n').unlink()
    row("openclaw", "openclaw", "missing", 0, ["prod"], f"expected {GITEA_PATH}; create it with: pinflow render -o {GITEA_PATH}")

    autogen = make_repo(cli, monkeypatch, root / "autogen", 'template_name = "autogen"\n').parent.parent.parent
    (autogen / "pinflow.toml").write_text('template_name = "autogen"\nplatfroms = ["linux/amd64"]\n')
    row("autogen", "", "error", 0, [], "pinflow.toml: platfroms: unknown key (did you mean 'platforms'?)")

    crewai = make_repo(cli, monkeypatch, root / "crewai", 'template_name = "crewai"\n').parent.parent.parent
    (crewai / "pinflow.toml").write_text('template_name = "crewai\n')
    row("crewai", "", "error", 0, [], "pinflow.toml: invalid TOML")

    (root / "langgraph").mkdir()
    row("langgraph", "", "error", 0, [], "no pinflow.toml")

    (root / "google-adk").write_text("a file, not a repo\n")
    row("google-adk", "", "error", 0, [], "not a directory")

    row("ghost", "", "error", 0, [], "no such directory")

    monkeypatch.chdir(root)
    expected.sort(key=lambda r: r["repo"])
    names = [r["repo"] for r in expected]
    return Fleet(root, names[::-1], expected)  # given unsorted: the output must sort


def assert_rows(rows: list[dict], expected: list[dict]) -> None:
    assert [r["repo"] for r in rows] == [e["repo"] for e in expected]
    for got, want in zip(rows, expected):
        assert list(got) == ["repo", "template_name", "status", "findings", "targets", "detail"]
        if want["status"] == "error":
            assert want["detail"] in got["detail"], got
            assert "\n" not in got["detail"]
            got = {**got, "detail": want["detail"]}
        assert got == want


# ---------------------------------------------------------------------------
# Every status, every format

def test_json_has_every_row_sorted(fleet, cli):
    res = cli(["fleet", "--format", "json", *fleet.names])
    assert res.code == 1, res
    doc = json.loads(res.out)
    assert list(doc) == ["repos", "summary"]
    assert_rows(doc["repos"], fleet.expected)
    assert doc["summary"] == {"ok": 3, "drift": 2, "missing": 1, "error": 5, "total": 11, "fixed": 0}


def test_jobs_do_not_change_the_json(fleet, cli):
    outs = {jobs: cli(["fleet", "--format", "json", "--jobs", jobs, *fleet.names]).out for jobs in ("1", "4")}
    outs["default"] = cli(["fleet", "--format", "json", *fleet.names[::-1]]).out
    assert outs["1"] == outs["4"] == outs["default"]
    assert_rows(json.loads(outs["1"])["repos"], fleet.expected)


def test_exit_0_only_when_every_repo_is_ok(fleet, cli):
    ok = [r["repo"] for r in fleet.expected if r["status"] == "ok"]
    assert cli(["fleet", *ok]).code == 0
    for bad in (r["repo"] for r in fleet.expected if r["status"] != "ok"):
        assert cli(["fleet", *ok, bad]).code == 1, bad


def md_cells(line: str) -> list[str]:
    """The cells of a GFM table row (``\\|`` is not a separator)."""
    cells, cell, escaped = [], "", False
    for c in line.strip()[1:-1]:
        if c == "|" and not escaped:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += c
        escaped = c == "\\" and not escaped
    return cells + [cell.strip()]


def test_markdown_table(fleet, cli):
    res = cli(["fleet", "--format", "markdown", *fleet.names])
    assert res.code == 1
    lines = res.out.split("\n")
    assert md_cells(lines[0]) == ["Repo", "Template", "Status", "Findings", "Targets", "Detail"]
    assert md_cells(lines[1]) == ["---", "---", "---", "---:", "---", "---"]
    rows = [md_cells(line) for line in lines[2:2 + len(fleet.expected)]]
    for cells, want in zip(rows, fleet.expected):
        assert cells[0] == f"`{want['repo']}`"
        assert cells[1] == want["template_name"]
        assert cells[2] == (want["status"] if want["status"] == "ok" else f"**{want['status']}**")
        assert cells[3] == str(want["findings"])
        assert cells[4] == ", ".join(f"`{t}`" for t in want["targets"])
        assert (cells[5] == "") == (want["detail"] == "")
    assert lines[2 + len(fleet.expected):] == ["", "11 repos: 3 ok, 2 drift, 1 missing, 5 error", ""]
    drift = rows[[r["repo"] for r in fleet.expected].index("hermes")]
    assert drift[5] == fleet.expected[[r["repo"] for r in fleet.expected].index("hermes")]["detail"].replace("_", "\\_")


def test_markdown_escapes_what_would_break_the_table(tmp_path, cli, monkeypatch):
    weird = "we|ird`name*"
    monkeypatch.chdir(tmp_path)
    res = cli(["fleet", "--format", "markdown", weird])
    row = res.out.split("\n")[2]
    cells = md_cells(row)
    assert len(cells) == 6, row
    assert cells[0] == "``we\\|ird`name*``"
    assert cells[2] == "**error**" and cells[5] == "no such directory"


def table_rows(out: str) -> list[str]:
    return out.split("\n\n")[0].split("\n")


def test_table_is_aligned_and_plain_when_not_a_terminal(fleet, cli):
    res = cli(["fleet", *fleet.names])
    assert res.code == 1
    assert "\033[" not in res.out and res.err == ""
    lines = table_rows(res.out)
    assert lines[0].split() == ["REPO", "TEMPLATE", "STATUS", "FINDINGS", "TARGETS", "DETAIL"]
    status_at = lines[0].index("STATUS")
    findings_end = lines[0].index("FINDINGS") + len("FINDINGS")
    for line, want in zip(lines[1:], fleet.expected):
        assert line.startswith(want["repo"] + " ")
        assert line[status_at:].split()[0] == want["status"]
        assert line[:findings_end].split()[-1] == str(want["findings"])  # right-aligned
        assert line.rstrip() == line
    assert len(lines) == 1 + len(fleet.expected)
    assert res.out.endswith("\n\n11 repos: 3 ok, 2 drift, 1 missing, 5 error\n")
    gemini = lines[1 + [r["repo"] for r in fleet.expected].index("gemini-cli")]
    assert gemini.endswith("  staging,prod")


def test_table_colours_a_terminal_unless_no_color(fleet, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out, err = TtyIO(), io.StringIO()
    assert run_fleet(repos=fleet.names, fmt="table", jobs=2, fleet_file=None, fix_drift=False, out=out, err=err) == 1
    colored = table_rows(out.getvalue())
    assert "\033[32mok" in colored[1 + [r["repo"] for r in fleet.expected].index("codex")]
    assert "\033[1;31merror" in colored[1]
    assert err.getvalue() == ""  # stderr is not a terminal: no progress bar

    monkeypatch.setenv("NO_COLOR", "1")
    plain = TtyIO()
    run_fleet(repos=fleet.names, fmt="table", jobs=2, fleet_file=None, fix_drift=False, out=plain, err=io.StringIO())
    assert "\033[" not in plain.getvalue()
    # Colour only wraps padded cells: without the codes the table is the same.
    strip = out.getvalue()
    for code in ("\033[32m", "\033[33m", "\033[35m", "\033[1;31m", "\033[0m"):
        strip = strip.replace(code, "")
    assert [line.rstrip() for line in strip.split("\n")] == plain.getvalue().split("\n")

    monkeypatch.delenv("NO_COLOR")
    for fmt in ("json", "markdown"):
        other = TtyIO()
        run_fleet(repos=fleet.names, fmt=fmt, jobs=1, fleet_file=None, fix_drift=False, out=other, err=io.StringIO())
        assert "\033[" not in other.getvalue(), fmt


@pytest.mark.parametrize("jobs", [1, 3])
def test_progress_bar_on_a_terminal_stderr(fleet, jobs):
    out, err = io.StringIO(), TtyIO()
    run_fleet(repos=fleet.names, fmt="json", jobs=jobs, fleet_file=None, fix_drift=False, out=out, err=err)
    total = len(fleet.names)
    frames = err.getvalue().split("\r")[1:]
    assert frames[-1] == "\033[K"  # the bar is erased before the report
    counts = [int(f.rsplit("] ", 1)[1].split("/")[0]) for f in frames[:-1]]
    assert counts == list(range(1, total + 1))
    assert frames[-2] == f"[{'#' * 30}] {total}/{total} repos"
    assert json.loads(out.getvalue())["summary"]["total"] == total


def test_control_characters_never_reach_the_terminal(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli(["fleet", "evil\033]0;pwned\007"])
    assert "\033" not in res.out and "\007" not in res.out
    assert "evil\\x1b]0;pwned\\x07" in res.out
    assert json.loads(cli(["fleet", "--format", "json", "evil\033"]).out)["repos"][0]["repo"] == "evil\033"


# ---------------------------------------------------------------------------
# --fix-drift

def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_fix_drift_rewrites_only_the_drifted(fleet, cli, monkeypatch):
    drifted = [r["repo"] for r in fleet.expected if r["status"] == "drift"]
    untouched = {r["repo"]: snapshot(fleet.root / r["repo"]) for r in fleet.expected
                 if r["status"] != "drift" and (fleet.root / r["repo"]).is_dir()}
    res = cli(["fleet", "--fix-drift", "--format", "json", *fleet.names])
    assert res.code == 1  # missing and error rows remain
    assert res.err == "".join(f"pinflow: fixed {name}: rewrote {GITEA_PATH}\n" for name in sorted(drifted))
    doc = json.loads(res.out)
    for got, want in zip(doc["repos"], fleet.expected):
        if want["repo"] in drifted:
            assert (got["status"], got["detail"]) == ("ok", f"rewrote {GITEA_PATH}")
            assert got["findings"] == 0
        else:
            assert got["status"] == want["status"]
    assert doc["summary"] == {"ok": 5, "drift": 0, "missing": 1, "error": 5, "total": 11, "fixed": 2}
    for name, files in untouched.items():
        assert snapshot(fleet.root / name) == files, name  # same bytes, same mtimes
    assert not (fleet.root / "openclaw" / GITEA_PATH).exists()
    for name in drifted:
        with monkeypatch.context() as m:
            m.chdir(fleet.root / name)
            assert cli(["check"]).code == 0, name
        assert not [p for p in (fleet.root / name).rglob("*pinflow-tmp")]
    again = json.loads(cli(["fleet", "--format", "json", "--fix-drift", *fleet.names]).out)
    assert again["summary"]["fixed"] == 0 and again["summary"]["drift"] == 0


def test_fix_drift_table_says_what_changed(fleet, cli):
    res = cli(["fleet", "--fix-drift", "hermes", "claude-code"])
    assert res.code == 0
    assert res.err == f"pinflow: fixed hermes: rewrote {GITEA_PATH}\n"
    lines = table_rows(res.out)
    assert lines[2].split()[:3] == ["hermes", "hermes", "ok"] and lines[2].endswith(f"rewrote {GITEA_PATH}")
    assert res.out.endswith("2 repos: 2 ok, 0 drift, 0 missing, 0 error (1 fixed)\n")


# ---------------------------------------------------------------------------
# fleet.toml

def test_fleet_toml_in_cwd_is_the_default(fleet, cli, tmp_path, monkeypatch):
    meta = tmp_path / "meta"
    meta.mkdir()
    (meta / "fleet.toml").write_text('repos = ["../fleet/hermes", "../fleet/codex"]\n')
    monkeypatch.chdir(meta)
    doc = json.loads(cli(["fleet", "--format", "json"]).out)
    assert [(r["repo"], r["status"]) for r in doc["repos"]] == [("../fleet/codex", "ok"), ("../fleet/hermes", "drift")]
    # From elsewhere, paths stay relative to the file and rows keep their names.
    monkeypatch.chdir(tmp_path)
    again = cli(["fleet", "--format", "json", "--fleet-file", "meta/fleet.toml"])
    assert again.out == json.dumps(doc, indent=2) + "\n"


def test_fleet_toml_repo_tables_name_a_config(tmp_path, cli, monkeypatch):
    repo = tmp_path / "repos" / "special"
    (repo / "ci").mkdir(parents=True)
    (repo / "ci" / "pinflow.toml").write_text('template_name = "special"\n')
    with monkeypatch.context() as m:
        m.chdir(repo)
        assert cli(["render", "--config", "ci/pinflow.toml", "-o", GITEA_PATH]).code == 0
    fleet_file = tmp_path / "fleet.toml"
    fleet_file.write_text('repos = []\n\n[[repo]]\npath = "repos/special"\nconfig = "ci/pinflow.toml"\n\n[[repo]]\npath = "repos/special"\n')
    assert load_fleet_file(str(fleet_file)) == [
        Repo("repos/special", str(tmp_path / "repos" / "special"), "ci/pinflow.toml"),
        Repo("repos/special", str(tmp_path / "repos" / "special"), None),
    ]
    res = cli(["fleet", "--format", "json", "--fleet-file", str(fleet_file)])
    rows = json.loads(res.out)["repos"]
    assert [(r["template_name"], r["status"]) for r in rows] == [("", "error"), ("special", "ok")]
    assert "no pinflow.toml" in rows[0]["detail"]


def test_no_repos_is_a_usage_error(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli(["fleet"])
    assert res.code == 2 and res.out == ""
    assert res.err == "pinflow: error: no repos: give REPO_DIR..., --fleet-file PATH, or run where a fleet.toml is\n"
    (tmp_path / "fleet.toml").write_text('repos = ["a"]\n')
    res = cli(["fleet", "--fleet-file", "fleet.toml", "b"])
    assert (res.code, res.err) == (2, "pinflow: error: give REPO_DIRs or --fleet-file, not both\n")
    assert cli(["fleet", "--jobs", "0", "a"]).code == 2


@pytest.mark.parametrize("text, message", [
    ("", "fleet.toml: lists no repos"),
    ('repos = "../codex"\n', "fleet.toml: repos: expected a list"),
    ("repos = [1]\n", "fleet.toml: repos[0].path: expected a path string, got 1"),
    ('repo = [{config = "x"}]\n', "fleet.toml: repo[0].path: required"),
    ('[[repo]]\npath = "a"\nworkflow = "b"\n', "fleet.toml: repo[0].workflow: unknown key (known keys: config, path)"),
    ('repos = ["a"]\nrepoz = ["b"]\n', "fleet.toml: repoz: unknown key (known keys: repo, repos)"),
    ('repos = ["a"\n', "fleet.toml: invalid TOML"),
])
def test_bad_fleet_toml_names_file_and_key(tmp_path, cli, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fleet.toml").write_text(text)
    res = cli(["fleet"])
    assert res.code == 2 and res.out == ""
    assert res.err.startswith(f"pinflow: error: {message}"), res.err
    with pytest.raises(ConfigError):
        load_fleet_file("fleet.toml")


def test_missing_fleet_file_is_a_usage_error(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli(["fleet", "--fleet-file", "nope.toml"])
    assert (res.code, res.err) == (2, "pinflow: error: nope.toml: no such file\n")


def test_a_repo_given_twice_is_one_row(fleet, cli):
    doc = json.loads(cli(["fleet", "--format", "json", "codex", "codex", "hermes"]).out)
    assert [r["repo"] for r in doc["repos"]] == ["codex", "hermes"]


# ---------------------------------------------------------------------------
# The API

def test_check_fleet_api_matches_the_command(fleet, cli):
    repos = [Repo(name, name) for name in fleet.names]
    calls = []
    rows = check_fleet(repos, jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert all(isinstance(r, Row) for r in rows)
    assert [r.as_json() for r in rows] == json.loads(cli(["fleet", "--format", "json", *fleet.names]).out)["repos"]
    assert calls == [(n, len(repos)) for n in range(1, len(repos) + 1)]


def test_workers_start_safely_with_another_thread_alive(fleet):
    # Forking while another thread may hold a lock is unsafe: fleet then
    # starts its workers from a fork server. Same rows either way.
    repos = [Repo(name, name) for name in fleet.names]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        rows = check_fleet(repos, jobs=3)
    finally:
        stop.set()
        other.join()
    assert rows == check_fleet(repos, jobs=1)
    assert_rows([r.as_json() for r in rows], fleet.expected)


def test_in_sync_but_breaking_the_contract_is_an_error_row(tmp_path):
    # render refuses to emit a broken contract, so no repo can produce this:
    # the row is built from a report as check_repo would return it.
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\n')
    config = load_config(cwd=tmp_path)
    findings = [
        Finding(GITEA_PATH, 40, 5, "PF201", ERROR, "promote can run from any branch"),
        Finding(GITEA_PATH, 41, 5, "PF301", ERROR, "curl without --fail"),
        Finding(GITEA_PATH, 1, 1, "PF407", WARNING, "no timeout"),
    ]
    report = DriftReport(IN_SYNC, GITEA_PATH, "", findings, config, "pinflow render -o x", "")
    row = _row(Repo("codex", str(tmp_path)), report)
    assert row == Row("codex", "codex", "error", 3, ("prod",),
                      f"{GITEA_PATH}:40: PF201 promote can run from any branch (+1 more) (in sync with its render: the config renders a broken workflow)")
    warned = _row(Repo("codex", str(tmp_path)), report._replace(findings=findings[2:]))
    assert (warned.status, warned.findings, warned.detail) == ("ok", 1, "")


def test_fleet_module_imports_no_heavy_dependency():
    code = "import sys, pinflow.fleet; print(sorted(m for m in ('jinja2', 'jsonschema', 'ruamel', 'tree_sitter', 'click') if m in sys.modules))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "[]", res


# ---------------------------------------------------------------------------
# docs/fleet.md

def fenced(text: str, language: str) -> list[str]:
    blocks, body, inside = [], [], None
    for line in text.split("\n"):
        if inside is None and line.startswith("```"):
            inside, body = line[3:].strip(), []
        elif inside is not None and line.startswith("```"):
            if inside == language:
                blocks.append("".join(b + "\n" for b in body))
            inside = None
        elif inside is not None:
            body.append(line)
    assert inside is None, "unclosed fence"
    return blocks


def test_docs_fleet_toml_example_loads(repo_root, tmp_path):
    blocks = fenced((repo_root / "docs" / "fleet.md").read_text(), "toml")
    assert blocks
    for i, block in enumerate(blocks):
        path = tmp_path / f"{i}" / "fleet.toml"
        path.parent.mkdir()
        path.write_text(block)
        assert load_fleet_file(str(path))


def test_docs_ci_example_lints_clean_and_runs_fleet(repo_root):
    blocks = fenced((repo_root / "docs" / "fleet.md").read_text(), "yaml")
    assert blocks
    checkout = ACTIONS["checkout"].split(" #")[0]
    for block in blocks:
        path = block.split("\n", 1)[0].removeprefix("# ").strip()
        findings = lint_text(block, path=path, dialect=dialect_for(path, "auto", None))
        assert findings == [], findings
        data = YAML(typ="safe").load(block)
        steps = [s for job in data["jobs"].values() for s in job["steps"]]
        assert checkout in [s.get("uses") for s in steps]
        runs = " ".join(s.get("run", "") for s in steps)
        assert f'"pinflow @ git+https://github.com/pinflow/pinflow@v{__version__}"' in runs
        assert "pinflow fleet" in runs


def test_docs_ci_example_passes_actionlint(repo_root):
    beside = Path(sys.executable).parent / "actionlint"
    actionlint = str(beside) if beside.is_file() else shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed")
    for block in fenced((repo_root / "docs" / "fleet.md").read_text(), "yaml"):
        path = block.split("\n", 1)[0].removeprefix("# ").strip()
        res = subprocess.run([actionlint, "-no-color", "-stdin-filename", path, "-"], input=block,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr


def test_docs_cover_every_status(repo_root):
    text = (repo_root / "docs" / "fleet.md").read_text()
    for status in ("`ok`", "`drift`", "`missing`", "`error`", "NO_COLOR", "--fix-drift", "--jobs"):
        assert status in text, status
