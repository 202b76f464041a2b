"""Fuzzing the linter: mutated and random workflows never crash it.

Bounded for CI (PINFLOW_FUZZ_EXAMPLES, default 60 per property); a longer run:
    PINFLOW_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clirun import run_cli

EXAMPLES = int(os.environ.get("PINFLOW_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
SEEDS = [p.read_text() for p in sorted((Path(__file__).parent / "fixtures" / "lint").glob("*.yml"))]
FORMATS = ["text", "json", "sarif", "github"]

# Fragments that stress the parsers: YAML syntax, expressions, shell.
NOISE = ["${{", "}}", "${{ always() }}", "'", '"', ":", ": ", "- ", "[", "]", "{", "}", "&a ", "*a", "|", ">", "#",
         "\t", "\n", "\\", "$(", ")", "`", "||", "&&", "!", "set +e", "curl -f", "|| true", "\x00", "\ufeff", "é"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "duplicate-line", "swap"]))
        if op == "insert":
            text = text[:pos] + draw(st.sampled_from(NOISE) | st.text(max_size=8)) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 40)):]
        elif op == "duplicate-line":
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
                text = "".join(lines)
        else:
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                text = "".join(lines)
    return text


yaml_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(NOISE)
yaml_values = st.recursive(yaml_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)


def _dump(value: object) -> str:
    return json.dumps(value)  # JSON is YAML: random structure, valid syntax


def _check(text: str, fmt: str, dialect: str) -> None:
    res = run_cli(["lint", "-", "--format", fmt, "--dialect", dialect], stdin=text)
    assert res.code in (0, 1), (res.code, res.err)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    if fmt in ("json", "sarif"):
        json.loads(res.out)
    elif fmt == "github":
        assert all(line.startswith(("::error ", "::warning ")) for line in res.out.splitlines())
    else:
        assert res.out.rstrip().splitlines()[-1].endswith(("warning", "warnings"))


@SETTINGS
@given(text=mutated(), fmt=st.sampled_from(FORMATS), dialect=st.sampled_from(["gitea", "github"]))
def test_mutated_workflows_never_crash(text, fmt, dialect):
    _check(text, fmt, dialect)


@SETTINGS
@given(value=st.dictionaries(st.sampled_from(["on", "jobs", "env", "name", "permissions", "defaults"]), yaml_values, max_size=5),
       jobs=st.dictionaries(st.text(min_size=1, max_size=6), st.dictionaries(st.sampled_from(["runs-on", "steps", "needs", "if", "outputs", "uses", "continue-on-error"]), yaml_values, max_size=5), max_size=3),
       fmt=st.sampled_from(FORMATS))
def test_random_workflow_shapes_never_crash(value, jobs, fmt):
    value = dict(value)
    value["jobs"] = jobs
    _check(_dump(value), fmt, "gitea")


# ---------------------------------------------------------------------------
# Configs: whatever a pinflow.toml holds, render either refuses it (exit 2, one
# "pinflow: error:" line per problem) or emits a workflow that keeps the contract.

HOSTILE = ["a'b", 'a"b', "$(id)", "`id`", "a\nb", "${{ secrets.X }}", "a # b", "a: b", "x\x00y", "", " ", "é", "../x", "a//b"]
GOOD = {
    "template_name": ["codex", "hermes-2", "a.b_c"], "dialect": ["gitea", "github"], "main_branch": ["main", "trunk", "release/1.x"],
    "image": ["registry.example.com/team/app", "ghcr.io/org/app"], "server_url": ["https://git.example.com"],
    "gitea_version": ["1.22", "1.26.1"], "dockerfile": ["Dockerfile", "docker/Dockerfile"], "platforms": [["linux/amd64", "linux/arm64"]],
    "build_args": [{"A": "1"}], "smoke_test": [["python3", "-m", "x.smoke"], "true"],
}
NESTED = {
    "registry": {"kind": ["ecr", "ghcr", "generic"], "host": ["123456789012.dkr.ecr.us-east-2.amazonaws.com", "registry.example.com"],
                 "region": ["us-east-2"], "username": ["bot"], "password_secret": ["REG_PW"], "token_secret": ["GHCR_TOKEN"]},
    "runners": {"publish": ["publish", ["publish", "release"]], "default": ["ubuntu-latest"]},
    "promote": {"url": ["https://cp.example.com/cp/admin/runtime-image/promote", "http://127.0.0.1:8080/x"], "token_secret": ["CP_TOKEN"], "verify": [True, False]},
}


def _value(draw: st.DrawFn, choices: list[object]) -> object:
    return draw(st.sampled_from(choices) | st.sampled_from(HOSTILE) | yaml_scalars)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, object]:
    data: dict[str, object] = {"template_name": draw(st.sampled_from(GOOD["template_name"] + HOSTILE))}
    for key in draw(st.lists(st.sampled_from(sorted(GOOD)), max_size=5, unique=True)):
        data[key] = _value(draw, GOOD[key])
    for table in draw(st.lists(st.sampled_from(sorted(NESTED)), max_size=3, unique=True)):
        keys = draw(st.lists(st.sampled_from(sorted(NESTED[table])), max_size=4, unique=True))
        data[table] = {k: _value(draw, NESTED[table][k]) for k in keys}
    if draw(st.booleans()):
        data["promote"] = {"targets": [{"name": n, "url": "https://cp.example.com/p", "token_secret": s}
                                       for n, s in draw(st.lists(st.tuples(st.sampled_from(["prod", "staging", "Bad Name"]), st.sampled_from(["A_TOKEN", "b"])), max_size=3))]}
    if draw(st.booleans()):
        data[draw(st.sampled_from(["template_nmae", "registy", "promte", "zzz"]))] = "x"
    return data


def _toml(data: dict[str, object]) -> str:
    from pinflow.tomlfmt import toml_key, toml_value

    data = {k: v for k, v in data.items() if v is not None}  # TOML has no null
    flat = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [f"[{toml_key(k)}]\n" + "".join(f"{toml_key(ik)} = {toml_value(iv)}\n" for ik, iv in v.items() if iv is not None)
              for k, v in data.items() if isinstance(v, dict)]
    return "\n".join(flat) + "\n" + "\n".join(tables)


@SETTINGS
@given(data=configs())
def test_render_refuses_or_keeps_the_contract(tmp_path_factory, data):
    from pinflow.lint import lint_text

    folder = tmp_path_factory.mktemp("cfg")
    (folder / "pinflow.toml").write_text(_toml(data), encoding="utf-8")
    res = run_cli(["render", "--config", str(folder / "pinflow.toml")])
    assert res.code in (0, 2), (res.code, res.err)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    if res.code == 2:
        assert res.err and all(line.startswith(("pinflow: error:", "Usage:", "Try ", "Error:", "  ")) or not line.strip()
                               for line in res.err.splitlines()), res.err
        return
    dialect = "github" if data.get("dialect") == "github" else "gitea"
    # Only a string survives to the config (None is dropped, other types refused).
    branch = data["main_branch"] if isinstance(data.get("main_branch"), str) else "main"
    errors = [f for f in lint_text(res.out, "rendered.yml", dialect, branch) if f.severity == "error"]
    assert errors == []
