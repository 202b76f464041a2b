from __future__ import annotations

from collections.abc import Sequence

from pinflow.findings import Finding
from pinflow.reporters.base import Reporter


def _escape_data(value: str) -> str:
    # Workflow-command escaping as the runner's toolkit does it.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    def report(self, findings: Sequence[Finding], files: Sequence[str], errors: Sequence[str] = ()) -> str:
        lines = []
        for f in findings:
            level = "error" if f.severity == "error" else "warning"
            props = f"file={_escape_property(f.path)},line={f.line},col={f.column},title={_escape_property(f.rule)}"
            lines.append(f"::{level} {props}::{_escape_data(f'{f.rule} {f.message}')}")
        return "".join(line + "\n" for line in lines)
