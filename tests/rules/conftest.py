from __future__ import annotations

from collections.abc import Callable

import pytest

from pinflow.findings import Finding
from pinflow.lint import lint_text


@pytest.fixture
def lint() -> Callable[..., list[Finding]]:
    def run(text: str, dialect: str = "gitea", **kw: str) -> list[Finding]:
        return lint_text(text, "wf.yml", dialect=dialect, **kw)

    return run
