from __future__ import annotations

from collections.abc import Sequence

from pinflow.findings import ERROR, WARNING, Finding


class Reporter:
    """Formats the findings of one lint run (all files at once).

    ``errors`` are the paths that could not be read (one line each): text and
    github leave them to stderr, json and sarif carry them so a machine
    reading only the report never takes a failed run for a clean one."""

    def report(self, findings: Sequence[Finding], files: Sequence[str], errors: Sequence[str] = ()) -> str:
        raise NotImplementedError


def summary(findings: Sequence[Finding], files: Sequence[str]) -> dict[str, int]:
    return {
        "files": len(files),
        "errors": sum(f.severity == ERROR for f in findings),
        "warnings": sum(f.severity == WARNING for f in findings),
    }
