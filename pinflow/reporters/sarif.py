from __future__ import annotations

import json
from collections.abc import Sequence

from pinflow import __version__
from pinflow.findings import Finding
from pinflow.reporters.base import Reporter

_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_DOCS = "https://github.com/pinflow/pinflow/blob/main/docs/rules/{code}.md"


class SarifReporter(Reporter):
    def report(self, findings: Sequence[Finding], files: Sequence[str], errors: Sequence[str] = ()) -> str:
        from pinflow.rules import all_rules, get_rule

        codes = sorted({f.rule for f in findings})
        rules = []
        for code in codes:
            r = get_rule(code)
            name = r.name if r else code
            text = r.summary if r else code
            rules.append({
                "id": code,
                "name": name,
                "shortDescription": {"text": text},
                "help": {"text": (r.body if r and r.body else text), "markdown": (r.body if r and r.body else text)},
                "helpUri": _DOCS.format(code=code),
                "defaultConfiguration": {"level": "error" if (r is None or r.severity == "error") else "warning"},
            })
        all_rules()
        index = {code: i for i, code in enumerate(codes)}
        results = [{
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)},
                "region": {"startLine": f.line, "startColumn": f.column},
            }}],
        } for f in findings]
        doc = {
            "$schema": _SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "pinflow", "version": __version__, "informationUri": "https://github.com/pinflow/pinflow", "rules": rules}},
                "artifacts": [{"location": {"uri": _uri(p)}} for p in files],
                "invocations": [{
                    "executionSuccessful": not errors,
                    "toolExecutionNotifications": [{"level": "error", "message": {"text": e}} for e in errors],
                }],
                "results": results,
            }],
        }
        return json.dumps(doc, indent=2) + "\n"


def _uri(path: str) -> str:
    """A SARIF artifact location must be a URI reference: relative paths stay
    relative (percent-encoded), absolute ones become file:// URIs."""
    from pathlib import PurePosixPath
    from urllib.parse import quote

    if path == "<stdin>":
        return "stdin"
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return PurePosixPath(posix).as_uri()
    return quote(posix, safe="/")
