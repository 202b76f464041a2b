"""Helpers for rule tests: fixtures, one-place mutations, positions."""
from __future__ import annotations

from pathlib import Path

from pinflow.findings import Finding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def mutate(text: str, old: str, new: str) -> str:
    """Replace exactly one occurrence, so a fixture change can't silently no-op."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, f"{needle!r} on lines {lines}"
    return lines[0]


def codes(findings: list[Finding], prefix: str = "PF") -> list[str]:
    return sorted(f.rule for f in findings if f.rule.startswith(prefix) and f.severity == "error")
