from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import pytest


class RunResult(NamedTuple):
    code: int
    out: str
    err: str


def run_cli(argv: Sequence[str], stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> RunResult:
    """Run ``pinflow`` in-process and capture its streams."""
    import sys

    from pinflow._entry import main

    old = sys.stdin, sys.stdout, sys.stderr
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        code = main(list(argv))
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    return RunResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
