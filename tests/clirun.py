"""Run the pinflow CLI in-process and capture its streams (shared by tests)."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import NamedTuple


class RunResult(NamedTuple):
    code: int
    out: str
    err: str


def run_cli(argv: Sequence[str], stdin: str | None = None) -> RunResult:
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
