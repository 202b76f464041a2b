"""The lint command: files in, findings out.

Loading (yamlio) -> model -> rules (by scope) -> selection and suppression ->
reporter. One bad file never stops the others: a file that is not YAML or not
a workflow is a finding; a path that cannot be read is an error line, and the
run goes on (exit 2 at the end).
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import IO, TYPE_CHECKING, TypeVar

from pinflow import yamlio
from pinflow.errors import InputError
from pinflow.findings import ERROR, Finding, redact_quoted
from pinflow.lintctx import Context, Options
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from pathlib import Path

    from ruamel.yaml.nodes import Node

    from pinflow.cache import LintCache

WORKFLOW_DIRS = (".gitea/workflows", ".forgejo/workflows", ".github/workflows")
_GITEA_DIRS = (".gitea", ".forgejo")
_IGNORE_COMMENT = re.compile(r"#\s*pinflow:\s*ignore\[([A-Za-z0-9_,\s]+)\]")
T = TypeVar("T")
R = TypeVar("R")


class Selection(NamedTuple):
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        if self.select and not any(code.startswith(s) for s in self.select):
            return False
        return not any(code.startswith(i) for i in self.ignore)


def lint_text(text: str, path: str = "<text>", dialect: str = "gitea", main_branch: str = "main",
              gitea_version: str = "1.22", selection: Selection = Selection(), root: Node | None = None) -> list[Finding]:
    """Lint a workflow given as text (render's self-check, fix's re-lint).

    ``root``: the text's nodes, when the caller has composed them already (render).
    """
    return _lint_decoded(path, text, Options(dialect, main_branch, gitea_version), selection, root)


def lint_bytes(path: str, data: bytes, opts: Options, selection: Selection = Selection()) -> list[Finding]:
    try:
        text = yamlio.decode(data)
    except yamlio.YamlProblem as exc:
        return _select([_pf001(path, exc)], selection)
    return _lint_decoded(path, text, opts, selection)


def _lint_decoded(path: str, text: str, opts: Options, selection: Selection, root: Node | None = None) -> list[Finding]:
    findings, jobs = _check(path, text, opts, root)
    findings = _select(findings, selection)
    return sorted(_unsuppressed(findings, text, jobs), key=Finding.sort_key)


class JobSpan(NamedTuple):
    """Where a job sits in the file: its key line and its last line (1-based)."""

    job: str
    key_line: int
    end_line: int


def _check(path: str, text: str, opts: Options, root: Node | None = None) -> tuple[list[Finding], list[JobSpan]]:
    from pinflow import model
    from pinflow.rules import all_rules

    try:
        root = yamlio.compose(text) if root is None else root
    except yamlio.YamlProblem as exc:
        return [_pf001(path, exc)], []
    findings = [_duplicate(path, key, first, dup) for key, first, dup in (yamlio.duplicate_keys(root) if root is not None else [])]
    if not model.is_map(root):
        kind = "empty" if model.text(root) is None and not model.is_seq(root) else ("a list" if model.is_seq(root) else "a scalar")
        return findings + [Finding(path, *model.pos(root), "PF002", ERROR, f"not a workflow: the document is {kind}, expected a mapping with `on:` and `jobs:`")], []
    ctx = Context(model.build(path, text, root, opts.dialect), opts)
    # A block mapping ends at the start of the next key's line: that line is not the job's.
    spans = [JobSpan(job_id, key.start_mark.line + 1, value.end_mark.line + (1 if value.end_mark.column else 0))
             for job_id, key, value in model.items(model.get(root, "jobs"))]
    for r in all_rules().values():
        if r.check is None or not _in_scope(r.scope, ctx):
            continue
        for hit in r.check(ctx):
            findings.append(Finding(path, hit.pos.line, hit.pos.column, r.code, r.severity, redact_quoted(hit.message), hit.job, hit.step))
    return findings, spans


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


def _unsuppressed(findings: list[Finding], text: str, jobs: Sequence[JobSpan]) -> list[Finding]:
    """Drop findings silenced by `# pinflow: ignore[CODE]` on their line or on
    the key line of their job (the job they name, else the job they sit in)."""
    if "pinflow:" not in text:
        return findings
    lines = text.splitlines()
    key_line = {span.job: span.key_line for span in jobs}

    def codes_at(line: int) -> set[str]:
        if not 1 <= line <= len(lines):
            return set()
        return {c.strip().upper() for m in _IGNORE_COMMENT.finditer(lines[line - 1]) for c in m.group(1).split(",")}

    def job_of(f: Finding) -> str | None:
        if f.job in key_line:
            return f.job
        return next((s.job for s in jobs if s.key_line <= f.line <= s.end_line), None)

    kept = []
    for f in findings:
        job = job_of(f)
        codes = codes_at(f.line) | (codes_at(key_line[job]) if job is not None else set())
        if not any(f.rule.startswith(c) for c in codes if c):
            kept.append(f)
    return kept


# ---------------------------------------------------------------------------
# The command

class FileResult(NamedTuple):
    path: str
    findings: list[Finding]


def dialect_for(path: str, requested: str, config_dialect: str | None) -> str:
    if requested != "auto":
        return requested
    # The innermost forge folder decides, wherever the user runs from
    # (`cd .gitea/workflows && pinflow lint x.yml` is still gitea).
    full = path if path == "-" else os.path.abspath(path)
    for part in reversed(full.replace(os.sep, "/").split("/")):
        if part in _GITEA_DIRS:
            return "gitea"
        if part == ".github":
            return "github"
    return config_dialect or "github"


def expand_paths(paths: Sequence[str], cwd: Path | str) -> tuple[list[str], list[str]]:
    """(files to lint, error lines). Directories give their *.yml/*.yaml files."""
    # pathlib only where folders are listed: file arguments (pre-commit's) skip its import.
    if not paths:
        from pathlib import Path

        root = Path(cwd)
        found = [str(Path(d) / f) for d in WORKFLOW_DIRS if (root / d).is_dir() for f in _yaml_files(root / d)]
        if not found:
            return [], [f"no workflow files found under {', '.join(WORKFLOW_DIRS)} (give a PATH)"]
        return found, []
    files, errors = [], []
    for p in paths:
        if p != "-" and os.path.isdir(p):
            found = _folder_workflows(p)
            files.extend(found)
            if not found:
                errors.append(f"{p}: no workflow files in this directory (nor under {', '.join(WORKFLOW_DIRS)})")
        else:
            files.append(p)
    return files, errors


def _folder_workflows(folder: str) -> list[str]:
    """What a folder argument means: a repo root gives its workflow folders
    (`pinflow lint .` must not lint .pre-commit-config.yaml), `.gitea` its
    `workflows/`, any other folder its own *.yml/*.yaml files."""
    from pathlib import Path

    base = Path(folder)
    roots = [base / d for d in WORKFLOW_DIRS if (base / d).is_dir()]
    if not roots and base.resolve().name in (".gitea", ".forgejo", ".github") and (base / "workflows").is_dir():
        roots = [base / "workflows"]
    roots = roots or [base]
    return [str(root / name) for root in roots for name in _yaml_files(root)]


def _yaml_files(folder: Path | str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(folder) if e.name.endswith((".yml", ".yaml")) and not e.is_dir())
    except OSError:
        return []


def run_lint(paths: Sequence[str], fmt: str, dialect: str, select: Sequence[str], ignore: Sequence[str],
             config_path: str | None, out: IO[str], err: IO[str], use_cache: bool = True) -> int:
    from pinflow.reporters import get_reporter

    check_codes(select, "--select")
    check_codes(ignore, "--ignore")
    store = open_cache() if use_cache else None
    settings = _settings(config_path, select, ignore, store)
    check_codes(settings.selection.select + settings.selection.ignore, "[lint] in the config")
    files, errors = expand_paths(paths, os.getcwd())
    sources = []
    for f in files:
        try:
            source = yamlio.read_source(f)
        except InputError as exc:
            errors.append(exc.message)
            continue
        opts = Options(dialect_for(f, dialect, settings.dialect), settings.main_branch, settings.gitea_version)
        sources.append((source.path, source.data, opts))
    results = [FileResult(path, found) for (path, _, _), found in zip(sources, lint_sources(sources, settings.selection, store=store))]
    findings = [f for r in results for f in r.findings]
    out.write(get_reporter(fmt).report(findings, [r.path for r in results], errors))
    for line in errors:
        err.write(f"pinflow: error: {line}\n")
    if errors:
        return 2
    return 1 if any(f.severity == ERROR for f in findings) else 0


def open_cache() -> LintCache | None:
    """This working directory's lint cache, or None when PINFLOW_NO_CACHE says so."""
    from pinflow import cache

    return cache.LintCache.load(os.getcwd()) if cache.enabled() else None


def lint_sources(sources: Sequence[tuple[str, bytes, Options]], selection: Selection = Selection(),
                 use_cache: bool = False, store: LintCache | None = None) -> list[list[Finding]]:
    """The findings of each (path, bytes, options), in order.

    Answers from the cache (pinflow/cache.py: ``store``, or this directory's
    when ``use_cache``), computes each distinct content once, and spreads
    many files over the CPUs.
    """
    if store is None and use_cache:
        store = open_cache()
    results: list[list[Finding] | None] = [None] * len(sources)
    keys: list[bytes | None] = [None] * len(sources)
    todo: dict[tuple[bytes, Options], list[int]] = {}
    for i, (path, data, opts) in enumerate(sources):
        if store is not None and path != "<stdin>":
            keys[i] = store.key(path, data, (opts, selection))
            results[i] = store.get(keys[i], path)
        if results[i] is None:
            todo.setdefault((data, opts), []).append(i)
    # Identical contents (a fleet rendered from one template) are linted once.
    firsts = [idx[0] for idx in todo.values()]
    computed = _lint_many([sources[i] for i in firsts], selection)
    for idx, found in zip(todo.values(), computed):
        for i in idx:
            path = sources[i][0]
            results[i] = found if i == idx[0] else [f._replace(path=path) for f in found]
            if store is not None and keys[i] is not None:
                store.put(keys[i], results[i])  # type: ignore[arg-type]
    if store is not None:
        store.save()
    return results  # type: ignore[return-value]


# Below this many files per CPU, forking costs more than it saves.
_MIN_FILES_PER_WORKER = 8


def _lint_many(sources: Sequence[tuple[str, bytes, Options]], selection: Selection) -> list[list[Finding]]:
    workers = min(_cpus(), len(sources) // _MIN_FILES_PER_WORKER)
    if workers < 2 or not hasattr(os, "fork"):
        return [lint_bytes(path, data, opts, selection) for path, data, opts in sources]
    return _map_forked(lambda item: lint_bytes(item[0], item[1], item[2], selection), list(sources), workers)


def _map_forked(fn: Callable[[T], R], items: list[T], workers: int) -> list[R]:
    """``[fn(x) for x in items]`` over ``workers`` processes, this one included.

    The first item runs here before forking, so the children inherit warm
    state (compiled schema, parser, memoised scripts) copy-on-write instead of
    importing and warming up again. Each child takes every workers-th item
    and sends its pickled results back through a pipe; an exception in a child
    is raised here, as it would have been sequentially.
    """
    import gc
    import signal

    first = fn(items[0])
    rest = items[1:]
    chunks = [rest[w::workers] for w in range(workers)]
    children: list[tuple[int, int, int]] = []
    # Frozen objects are never scanned by the children's GC, so the pages
    # holding them stay shared instead of being copied on first touch.
    gc.freeze()
    try:
        local = [0]  # chunks this process runs: its own, and any whose fork failed
        for w in range(1, workers):
            read_fd, write_fd = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # out of processes or memory: do that share here
                os.close(read_fd)
                os.close(write_fd)
                local.append(w)
                continue
            if pid == 0:  # pragma: no cover - runs in the child (coverage cannot see it)
                os.close(read_fd)
                _child(fn, chunks[w], write_fd)
            os.close(write_fd)
            children.append((w, pid, read_fd))
        gc.unfreeze()
        parts: dict[int, list[R]] = {w: [fn(x) for x in chunks[w]] for w in local}
        while children:
            w, pid, fd = children.pop(0)
            parts[w] = _collect(pid, fd)  # type: ignore[assignment]
    finally:
        gc.unfreeze()
        for _, pid, fd in children:  # only after an error here: stop and reap the rest
            os.close(fd)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    out: list[R] = [first] * (1 + len(rest))
    for w, part in parts.items():
        out[1 + w::workers] = part
    return out


def _child(fn: Callable[[T], R], chunk: list[T], fd: int) -> None:  # pragma: no cover - child process
    import pickle

    status = 0
    try:
        try:
            payload = pickle.dumps((True, [fn(x) for x in chunk]), pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            try:
                payload = pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
    except BaseException:  # noqa: BLE001 - the parent sees the missing payload
        status = 1
    finally:
        os._exit(status)  # never return into the parent's code, never run its atexit hooks


def _collect(pid: int, fd: int) -> list[object]:
    import pickle

    with os.fdopen(fd, "rb") as fh:
        payload = fh.read()
    os.waitpid(pid, 0)
    if not payload:
        raise RuntimeError("a lint worker process died without a result")
    ok, value = pickle.loads(payload)
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Settings(NamedTuple):
    selection: Selection
    dialect: str | None
    main_branch: str
    gitea_version: str


# What config.find_config looks for in the working directory (tests/test_imports.py
# keeps the two in step): without either file, lint never imports the config code.
_CONFIG_FILES = ("pinflow.toml", "pyproject.toml")


class _FromConfig(NamedTuple):
    """What lint takes from a config."""

    select: tuple[str, ...]
    ignore: tuple[str, ...]
    dialect: str | None
    main_branch: str
    gitea_version: str


def _settings(config_path: str | None, select: Sequence[str], ignore: Sequence[str],
              store: LintCache | None = None) -> _Settings:
    """CLI selection on top of the config's [lint] section (a config is optional for lint)."""
    defaults = _Settings(Selection(tuple(select), tuple(ignore)), None, "main", "1.22")
    if config_path is None and not any(os.path.lexists(name) for name in _CONFIG_FILES):
        return defaults
    key = _config_key(config_path, store)
    cfg = _stored_config(store, key) if store is not None and key is not None else None
    if cfg is None:
        cfg = _from_config(config_path)
        if store is not None and key is not None:
            store.put_value(key, tuple(cfg))
    if not isinstance(cfg, _FromConfig):  # no config after all (a pyproject.toml without [tool.pinflow])
        return defaults
    sel = tuple(select) or tuple(c.upper() for c in cfg.select)
    ign = tuple(ignore) + tuple(c.upper() for c in cfg.ignore)
    return _Settings(Selection(sel, ign), cfg.dialect, cfg.main_branch, cfg.gitea_version)


def _from_config(config_path: str | None) -> _FromConfig | tuple[()]:
    """What the config gives lint; () when there is no config to load."""
    from pinflow.config import find_config, load_config

    if config_path is None and find_config(os.getcwd()) is None:
        return ()
    cfg = load_config(config_path, require_template_name=False)
    return _FromConfig(tuple(cfg.lint.select), tuple(cfg.lint.ignore), cfg.dialect if cfg.source else None,
                       cfg.main_branch, cfg.gitea_version)


def _stored_config(store: LintCache, key: bytes) -> _FromConfig | tuple[()] | None:
    """A remembered _from_config answer, or None (not there, or not one)."""
    stored = store.get_value(key)
    try:
        return _FromConfig(*stored) if stored else (() if stored == () else None)
    except TypeError:
        return None


def _config_key(config_path: str | None, store: LintCache | None) -> bytes | None:
    """The lint cache's key for what a config gives lint, or None (do not cache).

    Loading a config (tomllib, validation) costs more than linting a cached
    file. The outcome depends only on the bytes of the files config.py reads,
    except `templates_dir`, whose folder must exist: a config naming one is
    loaded every time. Only successful loads are kept (errors raise first).
    """
    if store is None:
        return None
    names = [config_path] if config_path is not None else list(_CONFIG_FILES)
    contents = []
    for name in names:
        try:
            with open(name, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            data = None
        except OSError:
            return None
        if data is not None and b"templates_dir" in data:
            return None
        contents.append((name, data))
    return store.value_key("config", repr(contents))


def check_codes(codes: Sequence[str], where: str) -> None:
    """A code or prefix that names no rule is a typo (`PF3O1`): refuse it
    rather than silently select nothing and pass."""
    if not codes:
        return  # the common case: nothing to check, and no rule module to import (a cache hit needs none)
    from pinflow.errors import ConfigError
    from pinflow.rules import all_rules

    known = all_rules()
    bad = [c for c in codes if not any(code.startswith(c) for code in known)]
    if bad:
        raise ConfigError(f"{where}: unknown rule code {bad[0]!r} (codes look like PF201 or a prefix like PF2; see `pinflow rules`)")
