"""The fix command: the smallest reviewed change that makes a hand-written
workflow honour the publish-and-promote contract.

It lints the file, plans one repair per contract finding, and edits the text
by *inserting lines* at positions taken from the composed YAML nodes (the
same ruamel marks lint reports). It never dumps the document: a round-trip
dump reflows long lines, re-indents sequences and requotes scalars, while an
insertion leaves every original byte of every original line alone.

Two kinds of original line may change, each on its own line and shown in the
diff: the promote job's ``if:`` (a guard that is not main-only is tightened
to ``(<old>) && github.ref == 'refs/heads/<main>'``, only when the old one
cannot run after a failure) and a one-line ``needs:`` (a scalar or a flow
list cannot grow by insertion; the old items stay first, in order).

Nothing is guessed: two pushing steps, two candidate publishers, a promote
request that is not fail-loud... leave the file as it is, with the reason.
Before anything is written the result must (1) keep the original lines as an
ordered subsequence, (2) load to the original data plus exactly the planned
changes, and (3) lint clean of contract errors (PF1xx-PF3xx).
"""
from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pinflow import model, yamlio
from pinflow.errors import ConfigError, InputError
from pinflow.findings import ERROR, Finding
from pinflow.lint import Selection, dialect_for, expand_paths, lint_text
from pinflow.lintctx import Context, Options, Publisher, condition, output_step_id, output_step_ref
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

    from pinflow.config import Config
    from pinflow.model import Job, Step

CONTRACT_PREFIXES = ("PF1", "PF2", "PF3")
DataPath = tuple[Any, ...]


class Insert(NamedTuple):
    at: int  # 0-based index of the original line the new lines go before
    lines: tuple[str, ...]


class Replace(NamedTuple):
    index: int  # 0-based index of the original line
    line: str


class Repair(NamedTuple):
    summary: str
    edits: tuple[Insert | Replace, ...]
    sets: tuple[tuple[DataPath, Any], ...]  # the same change on the loaded data


class Refusal(NamedTuple):
    finding: Finding | None  # None: the repaired file itself failed a check
    why: str

    def describe(self) -> str:
        f = self.finding
        if f is None:
            return self.why
        return f"{f.rule} line {f.line} ({f.message.rstrip('.')}) because {self.why}"


class FixResult(NamedTuple):
    path: str
    before: str
    after: str  # == before unless every finding was repaired and the result checked out
    repairs: tuple[str, ...]
    refusals: tuple[Refusal, ...]

    @property
    def changed(self) -> bool:
        return self.after != self.before


class Settings(NamedTuple):
    dialect: str = "gitea"
    main_branch: str = "main"
    gitea_version: str = "1.22"
    selection: Selection = Selection()


class _Refuse(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def is_contract_error(f: Finding) -> bool:
    return f.severity == ERROR and f.rule.startswith(CONTRACT_PREFIXES)


# ---------------------------------------------------------------------------
# Public API

def fix_text(text: str, path: str, settings: Settings, config: Config | None = None) -> FixResult:
    """Plan, apply and check the repairs of one workflow text (no I/O)."""
    findings = _lint(text, path, settings)
    errors = [f for f in findings if is_contract_error(f)]
    broken = [f for f in findings if f.rule == "PF001"]
    if broken:
        return FixResult(path, text, text, (), tuple(Refusal(f, "the file is not valid YAML") for f in broken))
    if not errors:
        return FixResult(path, text, text, (), ())
    problem = _unsupported_text(text)
    if problem:
        return FixResult(path, text, text, (), tuple(Refusal(f, problem) for f in errors))
    ctx = _context(text, path, settings)
    lines = text.split("\n")
    repairs, refusals = _Planner(ctx, lines, settings, config).plan(errors)
    if refusals:
        return FixResult(path, text, text, (), tuple(refusals))
    after = _apply(lines, [e for r in repairs for e in r.edits])
    failed = _verify(text, after, repairs, findings, path, settings)
    if failed:
        return FixResult(path, text, text, (), (Refusal(None, failed),))
    return FixResult(path, text, after, tuple(r.summary for r in repairs), ())


def run_fix(*, paths: Sequence[str], show_diff: bool, config_path: str | None, out: IO[str], err: IO[str]) -> int:
    config = _load_config(config_path)
    files, errors = expand_paths(paths, Path.cwd())
    status = 0
    for name in files:
        try:
            status = max(status, _fix_file(name, show_diff, config, out, err))
        except InputError as exc:
            errors.append(exc.message)
    for line in errors:
        err.write(f"pinflow: error: {line}\n")
    return 2 if errors else status


# ---------------------------------------------------------------------------
# The command

def _load_config(config_path: str | None) -> Config | None:
    from pinflow.config import find_config, load_config

    if config_path is None and find_config(Path.cwd()) is None:
        return None
    return load_config(config_path, require_template_name=False)


def _settings(path: str, config: Config | None) -> Settings:
    if config is None:
        return Settings(dialect_for(path, "auto", None))
    selection = Selection(tuple(c.upper() for c in config.lint.select), tuple(c.upper() for c in config.lint.ignore))
    return Settings(dialect_for(path, "auto", config.dialect), config.main_branch, config.gitea_version, selection)


def _fix_file(name: str, show_diff: bool, config: Config | None, out: IO[str], err: IO[str]) -> int:
    if name == "-":
        raise InputError("-: fix edits files in place; give a path, not stdin")
    source = yamlio.read_source(name)
    bom = source.data.startswith(codecs.BOM_UTF8)
    if not bom and source.data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # UTF-32 LE starts with the UTF-16 LE mark too: both are refused here.
        err.write(f"could not fix {name}: the file is not UTF-8 (pinflow writes UTF-8 only)\n")
        return 1
    try:
        text = yamlio.decode(source.data)
    except yamlio.YamlProblem as exc:
        err.write(f"could not fix {name}: PF001 line {exc.line}: {exc.message}\n")
        return 1
    settings = _settings(name, config)
    result = fix_text(text, name, settings, config)
    if result.refusals:
        for refusal in result.refusals:
            err.write(f"could not fix {name}: {refusal.describe()}\n")
        return 1
    if not result.changed:
        err.write(f"unchanged {name}\n")
    elif show_diff:
        out.writelines(unified_diff(result.before, result.after, name))
        err.write(f"would fix {name}: {'; '.join(result.repairs)}\n")
    else:
        yamlio.atomic_write(name, ("\ufeff" if bom else "") + result.after)
        err.write(f"fixed {name}: {'; '.join(result.repairs)}\n")
    return _report_remaining(name, result.after, settings, err)


def _report_remaining(name: str, text: str, settings: Settings, err: IO[str]) -> int:
    """Exit 0 means "this file is now fine": errors fix does not repair
    (structure, expressions, dialect) keep the status at 1."""
    remaining = [f for f in lint_text(text, name, settings.dialect, settings.main_branch,
                                      settings.gitea_version, settings.selection) if f.severity == ERROR]
    if not remaining:
        return 0
    first = remaining[0]
    more = f" (and {len(remaining) - 1} more)" if len(remaining) > 1 else ""
    err.write(f"{name}: {len(remaining)} error(s) remain that fix does not repair, e.g. "
              f"{first.rule} line {first.line}: {first.message}{more}; see `pinflow lint {name}`\n")
    return 1


def unified_diff(before: str, after: str, path: str) -> list[str]:
    from pinflow.drift import unified_diff as diff_lines  # one diff format (escaped, redacted)

    return diff_lines(_with_ends(before), _with_ends(after), f"a/{path}", f"b/{path}").splitlines(keepends=True)


def _with_ends(text: str) -> list[str]:
    # Lines as YAML (and the edits) count them: str.splitlines would also
    # break at form feeds and other characters YAML keeps inside a line.
    *lines, last = text.split("\n")
    return [line + "\n" for line in lines] + ([last] if last else [])


# ---------------------------------------------------------------------------
# Reading

def _lint(text: str, path: str, settings: Settings) -> list[Finding]:
    return lint_text(text, path, settings.dialect, settings.main_branch, settings.gitea_version, settings.selection)


def _context(text: str, path: str, settings: Settings) -> Context:
    root = yamlio.compose(text)
    return Context(model.build(path, text, root, settings.dialect), Options(settings.dialect, settings.main_branch, settings.gitea_version))


def _unsupported_text(text: str) -> str | None:
    # ruamel counts these as line breaks and str.split("\n") does not: the
    # node marks would point at the wrong lines.
    if any(c in text for c in "\x85\u2028\u2029") or "\r" in text.replace("\r\n", ""):
        return "the file has line breaks other than \\n and \\r\\n"
    return None


# ---------------------------------------------------------------------------
# Where things are in the text (0-based line indexes)

def _block(node: Node) -> bool:
    return not getattr(node, "flow_style", False)


def _last_line(node: Node, lines: list[str]) -> int:
    """The last line holding part of ``node`` (not trailing blanks or comments)."""
    if model.is_map(node) and _block(node) and node.value:
        key, value = node.value[-1]
        return max(_last_line(key, lines), _last_line(value, lines))
    if model.is_seq(node) and _block(node) and node.value:
        return _last_line(node.value[-1], lines)
    end, start = node.end_mark, node.start_mark.line
    last = max(start, end.line if end.column > 0 else end.line - 1)
    if getattr(node, "style", None) in ("|", ">"):
        # A block scalar's end mark lies past its trailing blank lines; only
        # `|+` keeps them (a value ending in N newlines keeps N-1 blank lines).
        while last > start and last < len(lines) and not lines[last].strip():
            last -= 1
        value = str(node.value)
        last += max(0, len(value) - len(value.rstrip("\n")) - 1)
    return last


def _entry_end(key: Node, value: Node, lines: list[str]) -> int:
    return max(_last_line(key, lines), _last_line(value, lines))


def _before_key(mapping: Node, keys: tuple[str, ...], lines: list[str]) -> int:
    """Where a new entry goes: after the entry preceding the first of ``keys``
    (so comments above that key stay with it), else after the last entry."""
    entries = list(mapping.value)
    for i, (key, _) in enumerate(entries):
        if model.is_scalar(key) and key.value in keys:
            return key.start_mark.line if i == 0 else _entry_end(*entries[i - 1], lines) + 1
    return _entry_end(*entries[-1], lines) + 1


def _pad(column: int, text: str) -> str:
    return " " * column + text


def _unit(job: Job) -> int:
    step = job.node.start_mark.column - job.key_node.start_mark.column
    return step if step > 0 else 2


def _one_line(key: Node, value: Node, lines: list[str]) -> bool:
    return key.start_mark.line == value.start_mark.line == _last_line(value, lines)


def _replace_span(lines: list[str], node: Node, new: str) -> Replace:
    line = lines[node.start_mark.line]
    return Replace(node.start_mark.line, line[: node.start_mark.column] + new + line[node.end_mark.column:])


def _yaml(value: str) -> str:
    from pinflow.render import yaml_scalar

    return yaml_scalar(value)


# ---------------------------------------------------------------------------
# Planning

class _Planner:
    def __init__(self, ctx: Context, lines: list[str], settings: Settings, config: Config | None) -> None:
        self.ctx = ctx
        self.lines = lines
        self.settings = settings
        self.config = config
        self.jobs = ctx.wf.jobs
        self.publishers = {p.job.id: p for p in ctx.publishers}
        self.promoters = {j.id: j for j in ctx.promoters}
        self.added_needs: dict[str, list[str]] = {}

    def plan(self, errors: list[Finding]) -> tuple[list[Repair], list[Refusal]]:
        repairs: list[Repair] = []
        refusals: list[Refusal] = []
        groups: dict[tuple[str, str], list[Finding]] = {}
        for f in errors:
            groups.setdefault(self._group(f), []).append(f)
        # Promoters before PF105: a promote job that gains its missing `needs:`
        # covers the publisher PF105 reported.
        order = sorted(groups, key=lambda g: ("publisher", "promoter", "append", "other").index(g[0]))
        for kind, job in order:
            found = groups[(kind, job)]
            try:
                repairs.extend(self._repair(kind, job, found))
            except _Refuse as exc:
                refusals.extend(Refusal(f, exc.why) for f in found)
        return repairs, refusals

    def _group(self, f: Finding) -> tuple[str, str]:
        if f.rule in ("PF101", "PF102") and f.job in self.publishers:
            return ("publisher", f.job)
        if f.rule in ("PF103", "PF201", "PF202") and f.job in self.promoters:
            return ("promoter", f.job)
        if f.rule == "PF105":
            return ("append", "")
        return ("other", f"{f.rule}:{f.line}:{f.column}")

    def _repair(self, kind: str, job: str, found: list[Finding]) -> list[Repair]:
        rules = {f.rule for f in found}
        if kind == "publisher":
            return _publisher_repairs(self.publishers[job], self.lines)
        if kind == "promoter":
            return self._promoter_repairs(self.promoters[job], rules)
        if kind == "append":
            return self._append()
        raise _Refuse(_no_repair(found[0], self.publishers))

    # -- promote jobs that exist -------------------------------------------

    def _promoter_repairs(self, job: Job, rules: set[str]) -> list[Repair]:
        if "PF202" in rules:
            raise _Refuse(f"the `if:` of job '{job.id}' lets it run after a failed or cancelled publish; "
                          "pinflow won't guess whether that was meant (make it `success() && …`)")
        _require_block(job)
        repairs = []
        if "PF103" in rules:
            add = self._missing_needs(job)
            self.added_needs[job.id] = add
            repairs.append(_needs_repair(job, add, self.lines))
        if "PF201" in rules:
            repairs.append(_guard_repair(job, self.settings.main_branch, self.lines))
        return repairs

    def _missing_needs(self, job: Job) -> list[str]:
        add: list[str] = []
        for read in self.ctx.digest_reads(job):
            if read.job in job.needs or read.job in add:
                continue
            if read.job not in self.jobs or read.job == job.id:
                raise _Refuse(f"job '{job.id}' reads needs.{read.job}.outputs.{read.output}, but there is no other job '{read.job}'")
            add.append(read.job)
        if not self._upstream(list(job.needs) + add) & set(self.publishers):
            if len(self.publishers) != 1:
                names = "', '".join(self.publishers)
                raise _Refuse(f"job '{job.id}' could promote the digest of '{names}': which one is ambiguous (add it to `needs:` by hand)")
            add.extend(self.publishers)
        for name in add:
            if job.id in self._upstream([name]):
                raise _Refuse(f"adding '{name}' to the `needs:` of job '{job.id}' would make a cycle")
        return add

    def _upstream(self, names: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(self.jobs[name].needs if name in self.jobs else ())
        return seen

    # -- a promote job to append -------------------------------------------

    def _append(self) -> list[Repair]:
        if self.promoters:
            promoted = set()
            for job in self.promoters.values():
                promoted |= self._upstream(list(job.needs) + self.added_needs.get(job.id, []))
            left = [p for p in self.publishers if p not in promoted]
            if left:
                names = "', '".join(self.promoters)
                raise _Refuse(f"job '{names}' already promotes, but not the digest of '{left[0]}'; pinflow won't rewire it")
            return []
        if len(self.publishers) > 1:
            names = "', '".join(self.publishers)
            raise _Refuse(f"two or more jobs push an image ('{names}'): which digest to promote is ambiguous")
        if self.config is None or not self.config.template_name:
            raise _Refuse("no config with a template_name to render the promote job from: run `pinflow init` or pass --config")
        [pub] = self.publishers.values()
        return [_append_repair(self.ctx, pub, self.config, self._sha_job(pub), self.lines)]

    def _sha_job(self, pub: Publisher) -> str | None:
        """The job whose ``outputs.sha`` the promote posts as git_sha (else github.sha)."""
        candidates = [j.id for j in self.jobs.values() if "sha" in j.outputs and j.id != pub.job.id]
        upstream = self._upstream(list(pub.job.needs))
        return next((j for j in candidates if j in upstream), candidates[0] if candidates else None)


def _no_repair(f: Finding, publishers: dict[str, Publisher]) -> str:
    reasons = {
        "PF104": "pinflow won't rewrite a promote step's inputs (read needs.<publisher>.outputs.digest)",
        "PF202": "pinflow won't remove a `continue-on-error` someone put there",
        "PF301": "the promote request is not fail-loud, and pinflow won't rewrite a script (use `curl --fail-with-body` under `set -euo pipefail`)",
        "PF302": "the promote request's failure is swallowed, and pinflow won't rewrite a script",
        "PF303": "pinflow won't rewrite how a script handles the token (pass it through `env:`)",
    }
    if f.rule in reasons:
        return reasons[f.rule]
    if f.rule in ("PF101", "PF102") and f.job not in publishers:
        return f"job '{f.job}' is not a publisher pinflow can edit"
    return f"{f.rule} has no automatic repair"


def _require_block(job: Job) -> None:
    if not _block(job.node):
        raise _Refuse(f"job '{job.id}' is written as a flow mapping ({{…}}); pinflow only inserts into block mappings")


# ---------------------------------------------------------------------------
# The repairs

def _publisher_repairs(pub: Publisher, lines: list[str]) -> list[Repair]:
    job, step = pub.job, pub.step
    if len(pub.steps) > 1:
        labels = ", ".join(s.label() for s in pub.steps)
        raise _Refuse(f"job '{job.id}' has {len(pub.steps)} pushing steps ({labels}): which digest to promote is ambiguous")
    if step.uses is None:
        raise _Refuse(f"the pushing {step.label()} is a `run:` script, which has no `digest` output unless it writes one; pinflow won't guess")
    _require_block(job)
    if not _block(step.node):
        raise _Refuse(f"the pushing {step.label()} is a flow mapping ({{…}}); pinflow only inserts into block mappings")
    repairs = []
    digest = job.outputs.get("digest")
    step_id = step.id
    if step_id is None:
        taken = {s.id for s in job.steps if s.id}
        named = output_step_id(digest)
        step_id = named if named and named not in taken else _unique("push", taken)
        repairs.append(_step_id_repair(job, step, step_id, lines))
    if digest is None:
        repairs.append(_output_repair(job, step_id, lines))
    elif output_step_ref(digest) != (step_id, "digest"):
        raise _Refuse(f"`outputs.digest` of job '{job.id}' is already set to {model.text(digest)!r}; pinflow won't overwrite it")
    return repairs


def _unique(base: str, taken: set[str]) -> str:
    n = 2
    name = base
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def _step_id_repair(job: Job, step: Step, step_id: str, lines: list[str]) -> Repair:
    # After the step's first entry: `- name: …` keeps its place at the top.
    key, value = step.node.value[0]
    at = _entry_end(key, value, lines) + 1
    line = _pad(key.start_mark.column, f"id: {_yaml(step_id)}")
    return Repair(f"`id: {step_id}` on the pushing {step.label()} of job '{job.id}'", (Insert(at, (line,)),),
                  ((("jobs", job.id, "steps", step.index, "id"), step_id),))


def _output_repair(job: Job, step_id: str, lines: list[str]) -> Repair:
    value = f"${{{{ steps.{step_id}.outputs.digest }}}}"
    entry = f"digest: {_yaml(value)}"
    key = model.get_key(job.node, "outputs")
    outputs = model.get(job.node, "outputs")
    column = job.node.start_mark.column
    if key is None:
        at = _before_key(job.node, ("steps",), lines)
        new = (_pad(column, "outputs:"), _pad(column + _unit(job), entry))
    elif model.is_map(outputs) and _block(outputs):
        at = _last_line(outputs, lines) + 1
        new = (_pad(outputs.start_mark.column, entry),)
    elif model.is_scalar(outputs) and model.text(outputs) is None and _one_line(key, outputs, lines):
        at = key.start_mark.line + 1  # `outputs:` with nothing under it yet
        new = (_pad(column + _unit(job), entry),)
    else:
        raise _Refuse(f"`outputs:` of job '{job.id}' is not a block mapping pinflow can add `digest:` to")
    return Repair(f"`outputs.digest` on job '{job.id}'", (Insert(at, new),), ((("jobs", job.id, "outputs", "digest"), value),))


def _needs_repair(job: Job, add: list[str], lines: list[str]) -> Repair:
    key = model.get_key(job.node, "needs")
    node = model.get(job.node, "needs")
    data = ((("jobs", job.id, "needs"), list(job.needs) + add),)
    summary = f"{', '.join(repr(a) for a in add)} added to the `needs:` of job '{job.id}'"
    if key is None:
        at = _before_key(job.node, ("if", "steps"), lines)
        return Repair(summary, (Insert(at, (_pad(job.node.start_mark.column, f"needs: {_flow(add)}"),)),), data)
    if model.is_seq(node) and _block(node):
        new = tuple(_pad(node.start_mark.column, f"- {_yaml(a)}") for a in add)
        return Repair(summary, (Insert(_last_line(node, lines) + 1, new),), data)
    if (model.is_scalar(node) and model.text(node) is not None) or (model.is_seq(node) and all(model.is_scalar(i) for i in node.value)):
        if _one_line(key, node, lines):
            items = node.value if model.is_seq(node) else [node]
            old = [lines[i.start_mark.line][i.start_mark.column:i.end_mark.column] for i in items]
            new_text = "[" + ", ".join(old + [_yaml(a) for a in add]) + "]"
            return Repair(summary + " (that line rewritten as a list)", (_replace_span(lines, node, new_text),), data)
    raise _Refuse(f"the `needs:` of job '{job.id}' is not a form pinflow can extend (a block list, a one-line list or a name)")


def _flow(names: list[str]) -> str:
    return "[" + ", ".join(_yaml(n) for n in names) + "]"


def _main_ref(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def _guard_repair(job: Job, branch: str, lines: list[str]) -> Repair:
    from pinflow import expressions
    from pinflow.render import expr_str

    ref = _main_ref(branch)
    check = f"github.ref == {expr_str(ref)}"
    if job.if_ is None:
        value = f"${{{{ success() && {check} }}}}"
        at = _before_key(job.node, ("steps",), lines)
        return Repair(f"`if:` on job '{job.id}' (success on {ref} only)", (Insert(at, (_pad(job.node.start_mark.column, f"if: {_yaml(value)}"),)),),
                      ((("jobs", job.id, "if"), value),))
    key, node = model.get_key(job.node, "if"), model.get(job.node, "if")
    old = _expression_source(job.if_)
    if old is None or not _one_line(key, node, lines):
        raise _Refuse(f"the `if:` of job '{job.id}' is not one expression on one line; pinflow won't guess how to tighten it")
    cond = condition(job.if_)
    simple = type(cond) in (expressions.Call, expressions.Context, expressions.Not, expressions.Literal)
    value = f"${{{{ {old if simple else f'({old})'} && {check} }}}}"
    _check_tightened(job, value, ref)
    return Repair(f"tightened the `if:` of job '{job.id}' to {ref} only (that line rewritten)", (_replace_span(lines, node, _yaml(value)),),
                  ((("jobs", job.id, "if"), value),))


def _expression_source(value: str) -> str | None:
    """The expression of an ``if:``: bare, or one ``${{ }}`` that is the whole value."""
    from pinflow import expressions

    text = value.strip()
    if "${{" not in text:
        return text or None
    try:
        embedded = expressions.find_embedded(text)
    except expressions.ExprError:
        return None
    if len(embedded) == 1 and embedded[0].start == 0 and embedded[0].end == len(text):
        return embedded[0].source.strip() or None
    return None  # text outside ${{ }}: an always-true string


def _check_tightened(job: Job, value: str, ref: str) -> None:
    from pinflow import expressions

    new = condition(value)
    if new is None or expressions.implies_ref(new, ref).holds is not True:
        raise _Refuse(f"ANDing the main check into the `if:` of job '{job.id}' would still not prove it main-only")
    # A guard written for another branch ANDed with main is never true: the
    # promote would silently never run. That is a question for a person.
    if expressions.truth_on_push(new, ref) is False:
        raise _Refuse(f"the `if:` of job '{job.id}' is false for a push to {ref}: tightening it would make the promote never run")


def _append_repair(ctx: Context, pub: Publisher, config: Config, sha_job: str | None, lines: list[str]) -> Repair:
    from pinflow.render import PROMOTE_JOB, VERIFY_JOB, render_promote_jobs

    jobs_node = ctx.wf.field("jobs")
    if not model.is_map(jobs_node) or not _block(jobs_node):
        raise _Refuse("`jobs:` is not a block mapping pinflow can append a job to")
    new_ids = (PROMOTE_JOB, VERIFY_JOB) if config.verify else (PROMOTE_JOB,)
    clash = [j for j in new_ids if any(k == j for k, _, _ in model.items(jobs_node))]
    if clash:
        raise _Refuse(f"a job named '{clash[0]}' already exists but does not promote '{pub.job.id}'")
    try:
        snippet = render_promote_jobs(config, publish_job=pub.job.id, sha_job=sha_job)
    except ConfigError as exc:
        raise _Refuse(exc.message) from None
    column = pub.job.key_node.start_mark.column
    body = _reindent(snippet, column - 2)
    at = _after_last_job(jobs_node, column, lines)
    new = ("", *body.rstrip("\n").split("\n"))
    return Repair(f"appended job{'s' if len(new_ids) > 1 else ''} {', '.join(repr(j) for j in new_ids)} promoting needs.{pub.job.id}.outputs.digest",
                  (Insert(at, new),), tuple((("jobs", k), v) for k, v in _load("jobs:\n" + body)["jobs"].items()))


def _reindent(snippet: str, delta: int) -> str:
    """Shift the rendered jobs (2-space indent) to the file's job column; every
    line moves alike, so block scalars keep their content."""
    if delta >= 0:
        return "\n".join(" " * delta + line if line else line for line in snippet.split("\n"))
    return "\n".join(line[-delta:] if line else line for line in snippet.split("\n"))


def _after_last_job(jobs_node: Node, column: int, lines: list[str]) -> int:
    """After the last job's last line and the comments indented under it; a
    trailing comment at the file's margin stays below the new job."""
    at = _last_line(jobs_node, lines) + 1
    while at < len(lines) and lines[at].lstrip().startswith("#") and len(lines[at]) - len(lines[at].lstrip()) > column:
        at += 1
    return at


# ---------------------------------------------------------------------------
# Applying and checking

def _apply(lines: list[str], edits: list[Insert | Replace]) -> str:
    crlf = sum(line.endswith("\r") for line in lines) * 2 > len(lines)
    inserts: dict[int, list[str]] = {}
    replaced: dict[int, str] = {}
    for e in edits:
        if isinstance(e, Insert):
            inserts.setdefault(e.at, []).extend(line + ("\r" if crlf else "") for line in e.lines)
        else:
            replaced[e.index] = e.line
    out: list[str] = []
    for i, line in enumerate(lines):
        out.extend(inserts.get(i, ()))
        out.append(replaced.get(i, line))
    tail = inserts.get(len(lines), [])
    out.extend(tail)
    if tail and lines[-1] != "":
        # Lines added after a last line without a newline: end the file with
        # one, or the last block scalar added would lose its own.
        out.append("")
    return "\n".join(out)


def is_additive(before: str, after: str, changed: frozenset[int] = frozenset()) -> bool:
    """Every original line, except those at ``changed``, is in ``after`` in order."""
    kept = [line for i, line in enumerate(before.split("\n")) if i not in changed]
    it = iter(after.split("\n"))
    return all(any(line == candidate for candidate in it) for line in kept)


def _verify(before: str, after: str, repairs: list[Repair], findings: list[Finding], path: str, settings: Settings) -> str | None:
    changed = frozenset(e.index for r in repairs for e in r.edits if isinstance(e, Replace))
    if not is_additive(before, after, changed):
        return "the repaired text would not keep every original line in order (nothing written)"
    # Lines appended after a last line without a newline give it one (see
    # _apply): the only change a block scalar ending the file may see.
    baseline = before + "\n" if after.endswith("\n") and not before.endswith("\n") else before
    if _load(after) != _expected(baseline, repairs):
        return "the repaired file would load to more than the planned changes (nothing written)"
    new_findings = _lint(after, path, settings)
    still = [f for f in new_findings if is_contract_error(f)]
    if still:
        f = still[0]
        return f"the repaired file would still fail lint, so nothing was written: {f.rule} line {f.line}: {f.message}"
    old = _error_counts(findings)
    worse = [rule for rule, n in _error_counts(new_findings).items() if n > old.get(rule, 0)]
    if worse:
        return f"the repaired file would draw a new {worse[0]} error, so nothing was written"
    return None


def _error_counts(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        if f.severity == ERROR:
            counts[f.rule] = counts.get(f.rule, 0) + 1
    return counts


def _load(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=False).load(text)


def _expected(before: str, repairs: list[Repair]) -> Any:
    data = _load(before)
    for repair in repairs:
        for path, value in repair.sets:
            _set(data, path, value)
    return data


def _set(data: Any, path: DataPath, value: Any) -> None:
    node = data
    for part in path[:-1]:
        nxt = node[part] if isinstance(node, list) or part in node else None
        if nxt is None:
            nxt = node[part] = {}
        node = nxt
    node[path[-1]] = value

