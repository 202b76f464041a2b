"""The lint command: files in, findings out.

Loading (yamlio) -> model -> rules (by scope) -> selection and suppression ->
reporter. One bad file never stops the others: a file that is not YAML or not
a workflow is a finding; a path that cannot be read is an error line, and the
run goes on (exit 2 at the end).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from pinflow import yamlio
from pinflow.errors import InputError, PinflowError
from pinflow.findings import ERROR, Finding
from pinflow.lintctx import Context, Options

WORKFLOW_DIRS = (".gitea/workflows", ".forgejo/workflows", ".github/workflows")
_GITEA_DIRS = (".gitea", ".forgejo")
_IGNORE_COMMENT = re.compile(r"#\s*pinflow:\s*ignore\[([A-Za-z0-9_,\s]+)\]")


class Selection(NamedTuple):
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        if self.select and not any(code.startswith(s) for s in self.select):
            return False
        return not any(code.startswith(i) for i in self.ignore)


def lint_text(text: str, path: str = "<text>", dialect: str = "gitea", main_branch: str = "main",
              gitea_version: str = "1.22", selection: Selection = Selection()) -> list[Finding]:
    """Lint a workflow given as text (render's self-check, fix's re-lint)."""
    return _lint_decoded(path, text, Options(dialect, main_branch, gitea_version), selection)


def lint_bytes(path: str, data: bytes, opts: Options, selection: Selection = Selection()) -> list[Finding]:
    try:
        text = yamlio.decode(data)
    except yamlio.YamlProblem as exc:
        return _select([_pf001(path, exc)], selection)
    return _lint_decoded(path, text, opts, selection)


def _lint_decoded(path: str, text: str, opts: Options, selection: Selection) -> list[Finding]:
    findings = _check(path, text, opts)
    findings = _select(findings, selection)
    return sorted(_unsuppressed(findings, text), key=Finding.sort_key)


def _check(path: str, text: str, opts: Options) -> list[Finding]:
    from pinflow import model
    from pinflow.rules import all_rules

    try:
        root = yamlio.compose(text)
    except yamlio.YamlProblem as exc:
        return [_pf001(path, exc)]
    findings = [_duplicate(path, key, first, dup) for key, first, dup in (yamlio.duplicate_keys(root) if root is not None else [])]
    if not model.is_map(root):
        kind = "empty" if model.text(root) is None and not model.is_seq(root) else ("a list" if model.is_seq(root) else "a scalar")
        return findings + [Finding(path, *model.pos(root), "PF002", ERROR, f"not a workflow: the document is {kind}, expected a mapping with `on:` and `jobs:`")]
    ctx = Context(model.build(path, text, root, opts.dialect), opts)
    for r in all_rules().values():
        if r.check is None or not _in_scope(r.scope, ctx):
            continue
        for hit in r.check(ctx):
            findings.append(Finding(path, hit.pos.line, hit.pos.column, r.code, r.severity, hit.message, hit.job, hit.step))
    return findings


def _in_scope(scope: str, ctx: Context) -> bool:
    from pinflow.rules import CONTRACT, GITEA

    if scope == CONTRACT:
        return ctx.is_contract
    if scope == GITEA:
        return ctx.opts.dialect == "gitea"
    return True


def _pf001(path: str, exc: yamlio.YamlProblem) -> Finding:
    return Finding(path, exc.line, exc.column, "PF001", ERROR, f"invalid YAML: {exc.message}")


def _duplicate(path: str, key: str, first: object, dup: object) -> Finding:
    from pinflow.model import pos

    a, b = pos(first), pos(dup)  # type: ignore[arg-type]
    return Finding(path, b.line, b.column, "PF001", ERROR, f"invalid YAML: duplicate key {key!r} (first at {a.line}:{a.column}, again at {b.line}:{b.column})")


def _select(findings: Iterable[Finding], selection: Selection) -> list[Finding]:
    return [f for f in findings if selection.wants(f.rule)]


def _unsuppressed(findings: list[Finding], text: str) -> list[Finding]:
    """Drop findings silenced by `# pinflow: ignore[CODE]` on their line or their job's key line."""
    if "pinflow:" not in text:
        return findings
    lines = text.splitlines()
    job_lines = _job_key_lines(findings, lines)

    def codes_at(line: int) -> set[str]:
        if not 1 <= line <= len(lines):
            return set()
        m = _IGNORE_COMMENT.search(lines[line - 1])
        return {c.strip().upper() for c in m.group(1).split(",")} if m else set()

    kept = []
    for f in findings:
        codes = codes_at(f.line) | (codes_at(job_lines[f.job]) if f.job in job_lines else set())
        if not any(f.rule.startswith(c) for c in codes if c):
            kept.append(f)
    return kept


def _job_key_lines(findings: list[Finding], lines: list[str]) -> dict[str | None, int]:
    # The job key is the line `  <job>:` under `jobs:`; findings carry the job id.
    wanted = {f.job for f in findings if f.job}
    found: dict[str | None, int] = {}
    for i, raw in enumerate(lines, 1):
        stripped = raw.strip()
        for job in wanted:
            if job not in found and (stripped.startswith(f"{job}:") or stripped.startswith(f'"{job}":') or stripped.startswith(f"'{job}':")):
                found[job] = i
    return found


# ---------------------------------------------------------------------------
# The command

class FileResult(NamedTuple):
    path: str
    findings: list[Finding]


def dialect_for(path: str, requested: str, config_dialect: str | None) -> str:
    if requested != "auto":
        return requested
    parts = Path(path).parts
    if any(p in _GITEA_DIRS for p in parts):
        return "gitea"
    if ".github" in parts:
        return "github"
    return config_dialect or "github"


def expand_paths(paths: Sequence[str], cwd: Path) -> tuple[list[str], list[str]]:
    """(files to lint, error lines). Directories give their *.yml/*.yaml files."""
    if not paths:
        found = [str(Path(d) / f) for d in WORKFLOW_DIRS if (cwd / d).is_dir() for f in _yaml_files(cwd / d)]
        if not found:
            return [], [f"no workflow files found under {', '.join(WORKFLOW_DIRS)} (give a PATH)"]
        return found, []
    files, errors = [], []
    for p in paths:
        if p != "-" and os.path.isdir(p):
            names = _yaml_files(Path(p))
            files.extend(str(Path(p) / n) for n in names)
            if not names:
                errors.append(f"{p}: no *.yml or *.yaml files in this directory")
        else:
            files.append(p)
    return files, errors


def _yaml_files(folder: Path) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(folder) if e.name.endswith((".yml", ".yaml")) and not e.is_dir())
    except OSError:
        return []


def run_lint(paths: Sequence[str], fmt: str, dialect: str, select: Sequence[str], ignore: Sequence[str],
             config_path: str | None, out: IO[str], err: IO[str]) -> int:
    from pinflow.reporters import get_reporter

    settings = _settings(config_path, select, ignore)
    files, errors = expand_paths(paths, Path.cwd())
    results = []
    for f in files:
        try:
            source = yamlio.read_source(f)
        except InputError as exc:
            errors.append(exc.message)
            continue
        opts = Options(dialect_for(f, dialect, settings.dialect), settings.main_branch, settings.gitea_version)
        results.append(FileResult(source.path, lint_bytes(source.path, source.data, opts, settings.selection)))
    findings = [f for r in results for f in r.findings]
    out.write(get_reporter(fmt).report(findings, [r.path for r in results]))
    for line in errors:
        err.write(f"pinflow: error: {line}\n")
    if errors:
        return 2
    return 1 if any(f.severity == ERROR for f in findings) else 0


class _Settings(NamedTuple):
    selection: Selection
    dialect: str | None
    main_branch: str
    gitea_version: str


def _settings(config_path: str | None, select: Sequence[str], ignore: Sequence[str]) -> _Settings:
    """CLI selection on top of the config's [lint] section (a config is optional for lint)."""
    from pinflow.config import find_config, load_config

    if config_path is None and find_config(Path.cwd()) is None:
        return _Settings(Selection(tuple(select), tuple(ignore)), None, "main", "1.22")
    try:
        cfg = load_config(config_path, require_template_name=False)
    except PinflowError:
        raise
    lint_cfg = cfg.lint
    sel = tuple(select) or tuple(c.upper() for c in lint_cfg.select)
    ign = tuple(ignore) + tuple(c.upper() for c in lint_cfg.ignore)
    return _Settings(Selection(sel, ign), cfg.dialect if cfg.source else None, cfg.main_branch, cfg.gitea_version)
