"""The record every rule yields and every reporter reads."""
from __future__ import annotations

from pinflow.records import NamedTuple


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


# Messages quote workflow text; a workflow may hard-code a credential. Such
# values never reach pinflow's output: anything that looks like one is masked
# (a `$VAR` or `${{ }}` reference, a printf `%s` or a `<placeholder>` is not
# a value and stays readable).
_SECRET_PATTERNS = (
    # Authorization: Bearer <value>, Basic, token
    r"(?i)(authorization:\s*(?:bearer|basic|token)\s+)(?![$\"'{%<])([^\s\"'`]+)",
    # curl -u user:pass / --user user:pass
    r"((?:^|\s)(?:-u|--user)\s*[\"']?[^\s:\"']+:)(?![$])([^\s\"'`]+)",
    # password=..., token: ..., api_key=..., secret=...
    r"(?i)((?:password|passwd|pass|token|secret|api[_-]?key)[\"']?\s*[=:]\s*[\"']?)(?![$\s{%<])([^\s\"'`,;]{4,})",
    # well-known token shapes, wherever they appear
    r"()((?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{8,}|github_pat_[A-Za-z0-9_]{8,}|glpat-[A-Za-z0-9_-]{8,}|xox[abposr]-[A-Za-z0-9-]{8,}|AKIA[0-9A-Z]{16})",
)
_compiled: list[object] = []


def redact(text: str) -> str:
    """Mask credential-looking values in text quoted from a workflow."""
    if not _compiled:
        import re

        _compiled.extend(re.compile(p) for p in _SECRET_PATTERNS)
    for pattern in _compiled:
        text = pattern.sub(lambda m: m.group(1) + "***", text)  # type: ignore[attr-defined]
    return text


def redact_quoted(message: str) -> str:
    """Redact only the workflow text a message quotes (between backticks), so
    a job named `vault-token` stays readable in pinflow's own words."""
    if "`" not in message:
        return message
    parts = message.split("`")
    return "`".join(redact(p) if i % 2 else p for i, p in enumerate(parts))
