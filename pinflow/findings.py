"""The record every rule yields and every reporter reads."""
from __future__ import annotations

from typing import NamedTuple

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


class Finding(NamedTuple):
    path: str
    line: int  # 1-based
    column: int  # 1-based
    rule: str  # e.g. "PF201"
    severity: str  # ERROR or WARNING
    message: str
    job: str | None = None
    step: str | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)
