"""fleet: ``check`` over many template repos, one status row each.

A row's status is exactly one of:

- ``ok``: the committed workflow is byte for byte its render and lint finds
  no error in it (warnings are counted in ``findings`` but keep it ``ok``,
  as they keep ``pinflow check`` at exit 0);
- ``drift``: the committed file differs from its render;
- ``missing``: no file where the config says the workflow lives;
- ``error``: no directory, no readable or valid config, a render that fails,
  an unreadable workflow, or an in-sync file that breaks the contract (the
  config itself renders a broken workflow; render refuses that, so it should
  not happen). ``detail`` says why.

Repos are checked in worker processes: ``check_repo`` is pure Python
(tree-sitter parses, but the shell analysis walking its tree holds the GIL),
so threads do not scale and processes do. A worker gets a three-field
``Repo`` and returns a ``Row``; nothing else crosses. The first repo is
checked in this process before the workers fork, so they inherit its warm-up
(imports, compiled templates, the schema) instead of each paying it.

Nothing here prints: ``run_fleet`` writes the report to ``out`` and the
progress bar and ``fixed ...`` lines to ``err``.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pinflow.errors import ConfigError, PinflowError
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

    from pinflow.config import Config
    from pinflow.drift import DriftReport

OK = "ok"
DRIFT = "drift"
MISSING = "missing"
ERROR = "error"
STATUSES = (OK, DRIFT, MISSING, ERROR)
FLEET_FILE = "fleet.toml"
# Imported before workers fork (or once by the fork server), so they start warm.
_PRELOAD = ["pinflow.drift", "pinflow.render", "pinflow.lint", "pinflow.rules", "pinflow.config"]


class Repo(NamedTuple):
    name: str  # as the user wrote it: the row's "repo"
    path: str  # where it is on disk (fleet.toml entries are joined to the file's folder)
    config: str | None = None  # relative to the repo unless absolute; None = find pinflow.toml


class Row(NamedTuple):
    repo: str
    template_name: str  # "" when no config could be read
    status: str  # one of STATUSES
    findings: int  # lint errors + warnings of the committed file
    targets: tuple[str, ...]  # promote target names, in config order
    detail: str  # one line; "" for ok
    fixed: str = ""  # --fix-drift: the workflow path it rewrote

    def sort_key(self) -> tuple[str, str, str]:
        return (self.repo, self.template_name, self.detail)

    def as_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "template_name": self.template_name,
            "status": self.status,
            "findings": self.findings,
            "targets": list(self.targets),
            "detail": self.detail,
        }


# ---------------------------------------------------------------------------
# Which repos

def load_fleet_file(path: str) -> list[Repo]:
    """The repos a fleet.toml lists, their paths joined to its folder.

    ``repos = ["../codex", ...]`` and/or ``[[repo]]`` tables with ``path``
    and an optional ``config``. Raises ConfigError naming the file and key.
    """
    from pinflow.config import read_toml

    data = read_toml(Path(path), path, "fleet file")
    base = Path(path).parent
    repos = [_fleet_repo(path, base, f"repos[{i}]", {"path": item}) for i, item in enumerate(_list(path, data, "repos"))]
    repos += [_fleet_repo(path, base, f"repo[{i}]", item) for i, item in enumerate(_list(path, data, "repo"))]
    unknown = sorted(set(data) - {"repos", "repo"})
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]}: unknown key (known keys: repo, repos)")
    if not repos:
        raise ConfigError(f"{path}: lists no repos (repos = [\"../codex\", ...] or [[repo]] path = ...)")
    return repos


def _list(path: str, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{path}: {key}: expected a list")
    return value


def _fleet_repo(path: str, base: Path, where: str, item: Any) -> Repo:
    if not isinstance(item, dict):
        raise ConfigError(f"{path}: {where}: expected a table with path = ...")
    unknown = sorted(set(item) - {"path", "config"})
    if unknown:
        raise ConfigError(f"{path}: {where}.{unknown[0]}: unknown key (known keys: config, path)")
    for key in ("path", "config"):
        value = item.get(key, "")
        if not isinstance(value, str) or any(ord(c) < 32 for c in value):
            raise ConfigError(f"{path}: {where}.{key}: expected a path string, got {value!r}")
    if not item.get("path"):
        raise ConfigError(f"{path}: {where}.path: required")
    return Repo(item["path"], str(base / item["path"]), item.get("config") or None)


def _repos(repos: Sequence[str], fleet_file: str | None) -> list[Repo]:
    if repos and fleet_file is not None:
        raise ConfigError("give REPO_DIRs or --fleet-file, not both")
    if fleet_file is not None:
        found = load_fleet_file(fleet_file)
    elif repos:
        found = [Repo(name, name) for name in repos]
    elif os.path.isfile(FLEET_FILE):
        found = load_fleet_file(FLEET_FILE)
    else:
        raise ConfigError(f"no repos: give REPO_DIR..., --fleet-file PATH, or run where a {FLEET_FILE} is")
    # The same repo twice would be checked (and fixed) twice.
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------------------
# One repo (runs in a worker)

def check_one(repo: Repo, fix_drift: bool = False) -> Row:
    """One repo's row; never raises for anything a repo can contain."""
    if not os.path.isdir(repo.path):
        reason = "not a directory" if os.path.lexists(repo.path) else "no such directory"
        return _error(repo, reason)
    try:
        report = _check(repo)
        row = _row(repo, report)
        return _fix(repo, report) if fix_drift and row.status == DRIFT else row
    except PinflowError as exc:
        return _error(repo, _message(repo, exc), _config_or_none(repo, exc))
    except OSError as exc:
        return _error(repo, f"cannot read: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - one broken repo never stops the rest
        if os.environ.get("PINFLOW_DEBUG"):
            raise
        return _error(repo, f"internal error: {type(exc).__name__}: {exc}")


def _check(repo: Repo) -> DriftReport:
    from pinflow.drift import check_repo

    return check_repo(Path(repo.path), config_path=repo.config)


def _fix(repo: Repo, report: DriftReport) -> Row:
    from pinflow.render import render_workflow
    from pinflow.yamlio import atomic_write

    target = Path(report.path) if os.path.isabs(report.path) else Path(repo.path) / report.path
    changed = atomic_write(target, render_workflow(report.config))
    row = _row(repo, _check(repo))
    if not changed:
        return row
    return row._replace(fixed=report.path, detail=row.detail or f"rewrote {report.path}")


def _row(repo: Repo, report: DriftReport) -> Row:
    """The row for a report; pure, so every status is testable without a repo."""
    from pinflow.drift import DRIFT as REPORT_DRIFT, MISSING as REPORT_MISSING

    config = report.config
    targets = tuple(t.name for t in config.targets)
    count = len(report.findings)
    if report.status == REPORT_MISSING:
        detail = f"expected {report.path}; create it with: {report.fix_command}"
        return Row(repo.name, config.template_name, MISSING, count, targets, detail)
    if report.status == REPORT_DRIFT:
        detail = f"{report.path}:{report.line}: differs from its render"
        if report.version_note:
            detail += f" ({report.version_note})"
        return Row(repo.name, config.template_name, DRIFT, count, targets, detail)
    if report.errors:
        first = report.errors[0]
        more = f" (+{len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        detail = f"{report.path}:{first.line}: {first.rule} {first.message}{more} (in sync with its render: the config renders a broken workflow)"
        return Row(repo.name, config.template_name, ERROR, count, targets, _one_line(detail))
    return Row(repo.name, config.template_name, OK, count, targets, "")


def _error(repo: Repo, detail: str, config: Config | None = None) -> Row:
    if config is None:
        return Row(repo.name, "", ERROR, 0, (), _one_line(detail))
    return Row(repo.name, config.template_name, ERROR, 0, tuple(t.name for t in config.targets), _one_line(detail))


def _message(repo: Repo, exc: PinflowError) -> str:
    message = exc.lines()[0]
    # drift names the repo in some messages; the row already does.
    for prefix in (f"{Path(repo.path).as_posix()}: ", f"{repo.path}: "):
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    extra = len(exc.lines()) - 1
    return message + (f" (+{extra} more)" if extra > 0 else "")


def _config_or_none(repo: Repo, exc: PinflowError) -> Config | None:
    """The config, when it loads and the failure came later (render, reading the workflow)."""
    if isinstance(exc, ConfigError):
        return None
    from pinflow.config import load_config

    try:
        return load_config(repo.config, cwd=Path(repo.path))
    except (PinflowError, OSError):
        return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------
# Many repos

def default_jobs() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def check_fleet(repos: Sequence[Repo], jobs: int, fix_drift: bool = False,
                progress: Callable[[int, int], None] | None = None) -> list[Row]:
    """Every repo's row, sorted by repo; ``progress(done, total)`` after each."""
    total = len(repos)
    tick = progress or (lambda done, total: None)
    rows: list[Row] = []
    # The first repo is checked here even with jobs > 1: it pays the one-off
    # costs (imports, compiled templates, the schema, the bash grammar) that
    # forked workers then inherit instead of each paying them again.
    for repo in repos if jobs <= 1 or total <= 2 else repos[:1]:
        rows.append(check_one(repo, fix_drift))
        tick(len(rows), total)
    if len(rows) < total:
        rows += _parallel(repos[1:], min(jobs, total - 1), fix_drift, lambda done: tick(1 + done, total))
    return sorted(rows, key=Row.sort_key)


def _parallel(repos: Sequence[Repo], jobs: int, fix_drift: bool, tick: Callable[[int], None]) -> list[Row]:
    from concurrent.futures import BrokenExecutor, as_completed

    pool = _executor(jobs)
    try:
        try:
            futures = {pool.submit(check_one, repo, fix_drift): repo for repo in repos}
        except (OSError, BrokenExecutor):
            # No worker could start (fork: EAGAIN, ENOMEM): same rows, one at a time.
            pool.shutdown(wait=False, cancel_futures=True)
            rows = []
            for repo in repos:
                rows.append(check_one(repo, fix_drift))
                tick(len(rows))
            return rows
        for done, _ in enumerate(as_completed(futures), 1):
            tick(done)
        return [_result(future, repo) for future, repo in futures.items()]
    finally:
        # On Ctrl-C, don't run the queue out before exiting.
        pool.shutdown(wait=True, cancel_futures=True)


def _executor(jobs: int) -> Executor:
    import importlib
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and threading.active_count() == 1:
        # Forking is safe with no other thread alive, and the cheapest start:
        # workers inherit what is imported here, so import it once.
        for name in _PRELOAD:
            importlib.import_module(name)
        context = multiprocessing.get_context("fork")
    elif "forkserver" in methods:
        # Another thread may hold a lock a forked child would inherit: fork
        # from a clean server process instead, which imports pinflow once.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
    else:  # pragma: no cover - Windows
        context = multiprocessing.get_context("spawn")
    try:
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    except (OSError, NotImplementedError, ImportError):
        # No working semaphores (some sandboxes): check_repo is thread-safe,
        # so threads still give the right answer, only slower.
        return ThreadPoolExecutor(max_workers=jobs)


def _result(future: Future[Row], repo: Repo) -> Row:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a worker killed mid-repo (OOM, a crash in C)
        if os.environ.get("PINFLOW_DEBUG"):
            raise
        return _error(repo, f"worker process failed: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------
# Reports

def summary(rows: Sequence[Row]) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for row in rows:
        counts[row.status] += 1
    return {**counts, "total": len(rows), "fixed": sum(1 for row in rows if row.fixed)}


def _summary_line(rows: Sequence[Row]) -> str:
    counts = summary(rows)
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    fixed = f" ({counts['fixed']} fixed)" if counts["fixed"] else ""
    return f"{counts['total']} repo{'s' if counts['total'] != 1 else ''}: {parts}{fixed}"


def format_json(rows: Sequence[Row], color: bool = False) -> str:
    return json.dumps({"repos": [row.as_json() for row in rows], "summary": summary(rows)}, indent=2) + "\n"


_HEADERS = ("REPO", "TEMPLATE", "STATUS", "FINDINGS", "TARGETS", "DETAIL")
_COLORS = {OK: "\033[32m", DRIFT: "\033[33m", MISSING: "\033[35m", ERROR: "\033[1;31m"}
_RESET = "\033[0m"


def format_table(rows: Sequence[Row], color: bool = False) -> str:
    cells = [list(_HEADERS)] + [
        [_visible(r.repo), _visible(r.template_name) or "-", r.status, str(r.findings), ",".join(r.targets) or "-", _visible(r.detail)]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADERS))]
    lines = []
    for n, line in enumerate(cells):
        padded = [c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))]
        if color and n > 0:
            # Pad first, then colour: escape codes have no width.
            padded[2] = f"{_COLORS[line[2]]}{padded[2]}{_RESET}"
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + f"\n\n{_summary_line(rows)}\n"


def format_markdown(rows: Sequence[Row], color: bool = False) -> str:
    lines = [
        "| Repo | Template | Status | Findings | Targets | Detail |",
        "| --- | --- | --- | ---: | --- | --- |",
    ]
    for r in rows:
        status = r.status if r.status == OK else f"**{r.status}**"
        targets = ", ".join(_md_code(t) for t in r.targets)
        lines.append(f"| {_md_code(r.repo)} | {_md_text(r.template_name)} | {status} | {r.findings} | {targets} | {_md_text(r.detail)} |")
    return "\n".join(lines) + f"\n\n{_summary_line(rows)}\n"


FORMATS: dict[str, Callable[[Sequence[Row], bool], str]] = {
    "table": format_table,
    "json": format_json,
    "markdown": format_markdown,
}


def _visible(text: str) -> str:
    # A repo path or message with an escape byte must not drive the terminal.
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" for c in text)


# What can start emphasis, a link, an HTML tag or an entity, or end a cell.
_MD_SPECIAL = set("\\`*_[]<>|~&")


def _md_text(text: str) -> str:
    return "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in _visible(text))


def _md_code(text: str) -> str:
    if not text:
        return ""
    # A code span is literal except for backticks (a longer fence) and,
    # inside a table, the cell separator.
    text = _visible(text).replace("|", "\\|")
    longest = 0
    run = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# ---------------------------------------------------------------------------
# The command

def run_fleet(*, repos: Sequence[str], fmt: str, jobs: int | None, fleet_file: str | None, fix_drift: bool,
              out: IO[str], err: IO[str]) -> int:
    found = _repos(repos, fleet_file)
    bar = _ProgressBar(err) if _isatty(err) else None
    try:
        rows = check_fleet(found, jobs or default_jobs(), fix_drift, bar.update if bar else None)
    finally:
        if bar is not None:
            bar.clear()
    for row in rows:
        if row.fixed:
            err.write(f"pinflow: fixed {_visible(row.repo)}: rewrote {row.fixed}\n")
    color = fmt == "table" and _isatty(out) and not os.environ.get("NO_COLOR")
    out.write(FORMATS[fmt](rows, color))
    return 0 if all(row.status == OK for row in rows) else 1


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


class _ProgressBar:
    WIDTH = 30

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def update(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} repos")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()
