"""Hostile workflow files: each ends quickly in a finding or an error, never a crash.

In-process cases run in the quick loop; the subprocess cases (marked slow)
also cap the address space at 1 GiB and the time at 20 s, so a blow-up
fails the test instead of the machine.
"""
from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from pinflow.lint import lint_bytes
from pinflow.lintctx import Options


def _bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


CASES: dict[str, tuple[bytes, str, str]] = {
    # name: (bytes, expected rule, message fragment)
    "alias-bomb": (_bomb().encode(), "PF001", "alias bomb"),
    "recursive-alias": (b"a: &x [1, *x]\n", "PF001", "recursive alias"),
    "deep-flow": (b"[" * 100_000 + b"]" * 100_000, "PF001", "nesting deeper"),
    "deep-block": ("".join(" " * i + "a:\n" for i in range(1000)).encode(), "PF001", "nesting deeper"),
    "deep-seq": (b"- " * 50_000 + b"x\n", "PF001", "nesting deeper"),
    "too-large": (b"on: push\n" + b"# padding\n" * 500_000, "PF001", "MiB limit"),
    "binary": (bytes(random.Random(1).getrandbits(8) for _ in range(20_000)), "PF001", "invalid YAML"),
    "invalid-utf8": (b"on: push\nname: caf\xe9\n", "PF001", "byte 0xe9"),
    "nul": (b"on: push\x00\n", "PF001", "NUL"),
    "tabs": (b"on: push\njobs:\n\ta:\n", "PF001", "tab character"),
    "two-documents": (b"on: push\n---\njobs: {}\n", "PF001", "single document"),
    "empty": (b"", "PF002", "empty"),
    "null": (b"null\n", "PF002", "empty"),
    "list": (b"- on: push\n", "PF002", "a list"),
    "steps-number": (b"on: push\njobs:\n  a:\n    runs-on: x\n    steps: 5\n", "PF002", "expected a list of steps"),
    "step-is-list": (b"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - [1, 2]\n", "PF002", "got a list"),
    "id-is-mapping": (b"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: {x: 1}\n        run: echo\n", "PF002", "jobs.a.steps[0].id"),
    "jobs-is-list": (b"on: push\njobs: [a, b]\n", "PF002", "jobs"),
    "bad-expression": (b"on: push\njobs:\n  a:\n    runs-on: ${{ matrix.os\n    steps: [{run: echo}]\n", "PF003", "not closed"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_is_a_finding(name):
    data, rule, fragment = CASES[name]
    findings = lint_bytes(f"{name}.yml", data, Options("gitea"))
    matching = [f for f in findings if f.rule == rule]
    assert matching, findings
    assert any(fragment in f.message for f in matching), [f.message for f in matching]
    assert all(f.line >= 1 and f.column >= 1 for f in findings)


def test_utf16_with_bom_is_read():
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n"
    data = b"\xff\xfe" + text.encode("utf-16-le")
    assert [f for f in lint_bytes("u.yml", data, Options("github")) if f.severity == "error"] == []


def test_unparsable_run_script_is_not_called_fine():
    text = (
        "on: push\njobs:\n  publish:\n    runs-on: x\n"
        "    outputs: {digest: '${{ steps.push.outputs.digest }}'}\n"
        "    steps:\n      - id: push\n        uses: docker/build-push-action@v6\n        with: {push: true}\n"
        "  promote:\n    needs: publish\n    if: github.ref == 'refs/heads/main'\n    runs-on: x\n"
        "    steps:\n      - env: {D: '${{ needs.publish.outputs.digest }}'}\n"
        "        run: |\n          if [ ; then curl -X POST $URL ((( \n"
    )
    [f] = [f for f in lint_bytes("r.yml", text.encode(), Options("gitea")) if f.rule == "PF301"]
    assert "cannot prove" in f.message and "does not parse" in f.message


def _limited() -> None:
    limit = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.slow
def test_hostile_files_in_a_real_process_stay_bounded(tmp_path):
    paths = []
    for name, (data, _, _) in CASES.items():
        path = tmp_path / f"{name}.yml"
        path.write_bytes(data)
        paths.append(str(path))
    proc = subprocess.run([sys.executable, "-m", "pinflow", "lint", "--format", "json", *paths],
                          capture_output=True, text=True, timeout=60, preexec_fn=_limited)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    import json

    reported = {Path(f["path"]).stem for f in json.loads(proc.stdout)["findings"]}
    assert reported == set(CASES)  # one bad file never stops the others


@pytest.mark.parametrize("kind", ["dangling", "loop", "fifo", "directory-as-file"])
def test_unreadable_paths_are_errors_naming_the_file(cli, tmp_path, kind):
    good = tmp_path / "good.yml"
    good.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n")
    bad = tmp_path / "bad.yml"
    if kind == "dangling":
        bad.symlink_to(tmp_path / "nowhere.yml")
    elif kind == "loop":
        other = tmp_path / "other.yml"
        bad.symlink_to(other)
        other.symlink_to(bad)
    elif kind == "fifo":
        os.mkfifo(bad)
    else:
        bad = tmp_path / "good.yml" / "inside.yml"
    res = cli(["lint", str(good), str(bad)])
    assert res.code == 2
    assert str(bad) in res.err and "Traceback" not in res.err
    assert "1 file checked" in res.out


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_fix_init_on_hostile_files(cli, tmp_path, monkeypatch, name):
    """check, fix and init end in a finding or an error, and write nothing."""
    data = CASES[name][0]
    monkeypatch.chdir(tmp_path)
    wf = tmp_path / ".gitea" / "workflows" / "publish-image.yml"
    wf.parent.mkdir(parents=True)
    wf.write_bytes(data)
    res = cli(["init"])
    assert res.code == 2 and "Traceback" not in res.err and "internal error" not in res.err, res.err
    assert not (tmp_path / "pinflow.toml").exists()
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\n')
    for argv in (["check"], ["check", "--semantic"], ["fix", str(wf)], ["fix", "--diff", str(wf)]):
        res = cli(argv)
        assert res.code in (1, 2), (argv, res.code, res.err)
        assert "Traceback" not in res.err and "internal error" not in res.err, (argv, res.err)
    assert wf.read_bytes() == data
