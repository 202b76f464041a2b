from __future__ import annotations

from pathlib import Path

import pytest

from clirun import RunResult, run_cli  # noqa: F401 - re-exported for fixtures


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
