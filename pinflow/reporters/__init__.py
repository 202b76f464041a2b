"""Reporters turn findings into text. `--format` choices come from REPORTERS."""
from __future__ import annotations

from pinflow.reporters.base import Reporter
from pinflow.reporters.github import GithubReporter
from pinflow.reporters.json import JsonReporter
from pinflow.reporters.sarif import SarifReporter
from pinflow.reporters.text import TextReporter

REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "sarif": SarifReporter,
    "github": GithubReporter,
}


def get_reporter(name: str) -> Reporter:
    return REPORTERS[name]()
