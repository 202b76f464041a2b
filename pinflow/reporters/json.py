from __future__ import annotations

import json
from collections.abc import Sequence

from pinflow.findings import Finding
from pinflow.reporters.base import Reporter, summary


class JsonReporter(Reporter):
    def report(self, findings: Sequence[Finding], files: Sequence[str], errors: Sequence[str] = ()) -> str:
        doc = {
            "findings": [f._asdict() for f in findings],
            "files": list(files),
            "errors": list(errors),
            "summary": summary(findings, files),
        }
        return json.dumps(doc, indent=2) + "\n"
