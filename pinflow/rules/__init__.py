"""The rule registry.

A rule is a function plus its code, name and severity; its docstring is its
documentation (first line: summary; then markdown sections "Why", "Fails",
"Passes"), printed by ``pinflow rule CODE`` and generated into docs/rules/.
Rule modules register on import; ``all_rules()`` imports them all once.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING

from pinflow.findings import ERROR, WARNING
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from pinflow.lintctx import Context, Hit

# Scopes: which workflows a rule looks at.
ANY = "any"  # every workflow (structure)
CONTRACT = "contract"  # workflows that publish an image or promote a digest
GITEA = "gitea"  # workflows of the gitea dialect

_FAMILIES = ("structure", "wiring", "guards", "http", "gitea")

Check = Callable[["Context"], Iterable["Hit"]]


class Rule(NamedTuple):
    code: str
    name: str
    severity: str
    scope: str
    check: Check | None  # None: emitted by the loader itself (PF001)
    doc: str

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    @property
    def body(self) -> str:
        lines = self.doc.strip().splitlines()
        return cleandoc("\n".join(lines[1:])) if len(lines) > 1 else ""


_REGISTRY: dict[str, Rule] = {}


def rule(code: str, name: str, severity: str = ERROR, scope: str = CONTRACT) -> Callable[[Check], Check]:
    assert severity in (ERROR, WARNING), severity

    def register(fn: Check) -> Check:
        assert code not in _REGISTRY, f"duplicate rule {code}"
        _REGISTRY[code] = Rule(code, name, severity, scope, fn, cleandoc(fn.__doc__) if isinstance(fn.__doc__, str) else "")
        return fn

    return register


def documented(code: str, name: str, severity: str, scope: str, doc: str) -> None:
    """Register a rule that the loader emits (no check function)."""
    _REGISTRY[code] = Rule(code, name, severity, scope, None, cleandoc(doc))


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc``: rules register on every lint run, and importing
    inspect costs more than linting a small file (tests/test_imports.py
    checks both give the same text for every rule)."""
    lines = doc.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.lstrip()]
    margin = min(indents, default=None)
    lines[0] = lines[0].lstrip()
    if margin is not None:
        lines[1:] = [line[margin:] for line in lines[1:]]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def all_rules() -> dict[str, Rule]:
    if not _loaded:
        for family in _FAMILIES:
            importlib.import_module(f"pinflow.rules.{family}")
        _loaded.append(True)
    return dict(sorted(_REGISTRY.items()))


_loaded: list[bool] = []


def get_rule(code: str) -> Rule | None:
    return all_rules().get(code.upper())


def render_doc(r: Rule) -> str:
    """The markdown page of one rule (what `pinflow rule` prints, docs/rules/ holds)."""
    head = f"# {r.code} {r.name}\n\n**Severity:** {r.severity} · **Applies to:** {_SCOPE_TEXT[r.scope]}\n\n{r.summary}\n"
    suppress = (
        "\n## Suppress\n\n"
        f"`pinflow lint --ignore {r.code}`, `ignore = [\"{r.code}\"]` under `[lint]` in the config, "
        f"or a comment `# pinflow: ignore[{r.code}]` on the reported line or on the job's key line.\n"
    )
    return head + ("\n" + r.body + "\n" if r.body else "") + suppress


_SCOPE_TEXT = {
    ANY: "every workflow",
    CONTRACT: "workflows that publish an image or promote a digest",
    GITEA: "workflows of the gitea dialect",
}


def run_rules(fmt: str, out: IO[str]) -> int:
    rules = all_rules().values()
    if fmt == "json":
        import json

        rows = [{"code": r.code, "name": r.name, "severity": r.severity, "scope": r.scope, "summary": r.summary} for r in rules]
        out.write(json.dumps(rows, indent=2) + "\n")
    else:
        for r in rules:
            out.write(f"{r.code}  {r.severity:<7}  {r.name:<32}  {r.summary}\n")
    return 0


def run_rule(code: str, out: IO[str]) -> int:
    from pinflow.errors import ConfigError

    r = get_rule(code)
    if r is None:
        raise ConfigError(f"unknown rule {code!r} (see `pinflow rules`)")
    out.write(render_doc(r))
    return 0
