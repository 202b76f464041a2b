from __future__ import annotations

import json

from pinflow.findings import Finding
from pinflow.reporters import REPORTERS, get_reporter

FINDINGS = [
    Finding("a,b.yml", 3, 5, "PF201", "error", "job 'x': `if:` lets: a, b\nthrough", "x"),
    Finding("a,b.yml", 9, 1, "PF106", "warning", "unchecked 100%", "x"),
]


def test_registry_drives_format_choices(cli):
    assert set(REPORTERS) == {"text", "json", "sarif", "github"}
    res = cli(["lint", "--format", "nope", "x.yml"])
    assert res.code == 2 and "nope" in res.err


def test_text():
    out = get_reporter("text").report(FINDINGS, ["a,b.yml"])
    assert out.splitlines()[0].startswith("a,b.yml:3:5: PF201 job 'x'")
    assert out.splitlines()[-1] == "1 file checked: 1 error, 1 warning"


def test_json_roundtrip():
    doc = json.loads(get_reporter("json").report(FINDINGS, ["a,b.yml"]))
    assert doc["findings"][0]["rule"] == "PF201" and doc["findings"][1]["severity"] == "warning"
    assert doc["summary"] == {"files": 1, "errors": 1, "warnings": 1}


def test_sarif_has_every_reported_rule():
    doc = json.loads(get_reporter("sarif").report(FINDINGS, ["a,b.yml"]))
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == ["PF106", "PF201"]
    assert all(r["name"] and r["help"]["text"] for r in run["tool"]["driver"]["rules"])
    res = run["results"][0]
    assert ids[res["ruleIndex"]] == res["ruleId"] == "PF201"
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 5}


def test_github_annotations_escape_properties_and_data():
    lines = get_reporter("github").report(FINDINGS, ["a,b.yml"]).splitlines()
    assert lines[0].startswith("::error file=a%2Cb.yml,line=3,col=5,title=PF201::PF201 job")
    assert "%0Athrough" in lines[0] and "\n" not in lines[0]
    assert lines[1].startswith("::warning ") and lines[1].endswith("100%25")


def test_sarif_locations_are_uri_references():
    findings = [Finding("dir/my flow#1.yml", 1, 1, "PF201", "error", "m"), Finding("/abs/x y.yml", 1, 1, "PF201", "error", "m"),
                Finding("<stdin>", 1, 1, "PF201", "error", "m")]
    doc = json.loads(get_reporter("sarif").report(findings, [f.path for f in findings]))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert uris == ["dir/my%20flow%231.yml", "file:///abs/x%20y.yml", "stdin"]


def test_machine_formats_carry_unreadable_paths(cli, tmp_path):
    missing = str(tmp_path / "nope.yml")
    res = cli(["lint", "--format", "json", missing])
    assert res.code == 2 and json.loads(res.out)["errors"] == [f"{missing}: no such file"]
    res = cli(["lint", "--format", "sarif", missing])
    [invocation] = json.loads(res.out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == f"{missing}: no such file"


def test_check_json_reports_a_config_error_on_stdout(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pinflow.toml").write_text('template_nme = "x"\n')
    res = cli(["check", "--format", "json"])
    assert res.code == 2 and json.loads(res.out)["status"] == "error" and "template_nme" in res.err
