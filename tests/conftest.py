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


@pytest.fixture(autouse=True, scope="session")
def _lint_cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """pinflow lint caches findings under the user's cache folder: the suite
    uses a private one (and never reads a developer's real cache)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PINFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("pinflow-cache")))
    mp.delenv("PINFLOW_NO_CACHE", raising=False)
    yield
    mp.undo()
