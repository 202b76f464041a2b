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
