"""Reporters turn findings into text. `--format` choices come from REPORTERS.

Each reporter is imported only when asked for: `pinflow lint` prints text and
should not pay for json (or sarif's rule table) on every commit.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pinflow.reporters.base import Reporter

if TYPE_CHECKING:
    REPORTERS: dict[str, type[Reporter]]

_WHERE = {
    "text": ("pinflow.reporters.text", "TextReporter"),
    "json": ("pinflow.reporters.json", "JsonReporter"),
    "sarif": ("pinflow.reporters.sarif", "SarifReporter"),
    "github": ("pinflow.reporters.github", "GithubReporter"),
}
# The `--format` choices of `pinflow lint`: a new reporter is one entry above.
FORMATS: tuple[str, ...] = tuple(_WHERE)


def _load(name: str) -> type[Reporter]:
    module, cls = _WHERE[name]
    found: type[Reporter] = getattr(importlib.import_module(module), cls)
    return found


def get_reporter(name: str) -> Reporter:
    return _load(name)()


def __getattr__(name: str) -> Any:
    # REPORTERS (name -> class) is built on first use: it imports every reporter.
    if name == "REPORTERS":
        return {key: _load(key) for key in _WHERE}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
