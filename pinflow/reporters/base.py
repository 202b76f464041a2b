from __future__ import annotations

from collections.abc import Sequence

from pinflow.findings import ERROR, WARNING, Finding


class Reporter:
    """Formats the findings of one lint run (all files at once)."""

    def report(self, findings: Sequence[Finding], files: Sequence[str]) -> str:
        raise NotImplementedError


def summary(findings: Sequence[Finding], files: Sequence[str]) -> dict[str, int]:
    return {
        "files": len(files),
        "errors": sum(f.severity == ERROR for f in findings),
        "warnings": sum(f.severity == WARNING for f in findings),
    }
