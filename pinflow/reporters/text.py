from __future__ import annotations

from collections.abc import Sequence

from pinflow.findings import Finding
from pinflow.reporters.base import Reporter, summary


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class TextReporter(Reporter):
    def report(self, findings: Sequence[Finding], files: Sequence[str], errors: Sequence[str] = ()) -> str:
        lines = [f"{f.path}:{f.line}:{f.column}: {f.rule} {f.message}" + ("" if f.severity == "error" else " (warning)") for f in findings]
        s = summary(findings, files)
        lines.append(
            f"{_plural(s['files'], 'file')} checked: {_plural(s['errors'], 'error')}, {_plural(s['warnings'], 'warning')}"
        )
        return "\n".join(lines) + "\n"
