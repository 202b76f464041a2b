"""init: write a pinflow.toml inferred from a repo's hand-written publish workflow.

The workflow is read through the typed model (job/step ``env``, ``with:``,
``runs-on``, the matrix) and the bash parser (``run:`` words), never by
pattern over the file: an image comes from what the push step pushes (its
``${{ env.X }}`` and ``$X`` resolved through step, job and workflow env), the
registry from the login step, promote targets from the promote job's curl
command evaluated once per matrix leg.

Every value is checked against the config schema before it is kept. What
cannot be inferred (an image name built from ``${{ vars.X }}``, credentials
fetched from a vault at run time) is reported with what was found, and left
to the defaults: the report is the list a reviewer has to look at.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pinflow import __version__, model, yamlio
from pinflow.config import DEFAULT_OUTPUT, IMAGE_PATH, PYPROJECT, REGISTRY_KEYS, SCHEMA
from pinflow.errors import ConfigError, InputError, PinflowError
from pinflow.records import NamedTuple
from pinflow.tomlfmt import toml_value
from pinflow.lintctx import BUILD_PUSH_ACTION, IMAGE_PUSHES, Context, Options, Publisher, action_name
from pinflow.model import Job, Step, Workflow

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

    from pinflow.expressions import Node as ExprNode

PREFERRED = (".gitea/workflows/publish-image.yml", ".github/workflows/publish-image.yml")
WORKFLOW_DIRS = (".gitea/workflows", ".forgejo/workflows", ".github/workflows")
_FORGE_DIRS = {".gitea": "gitea", ".forgejo": "gitea", ".github": "github"}
FOLDER_MARK = "workspace-template-"
# Matrix keys that name a promote target, in the order they are preferred.
TARGET_KEYS = ("target", "env_name", "environment", "env", "stage", "name")
VERSION_ARG = "RUNTIME_VERSION"
_MAX_DEPTH = 8  # env values that name other env values: stop before a cycle bites

# A `$NAME` / `${NAME}` in one shell word (a value already cut out by the parser).
_SHELL_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")

# Wrappers that run their arguments as a command (`timeout 480 docker push …`).
_DOCKER_RUN_VALUE_OPTS = frozenset({
    "-e", "--env", "--env-file", "--entrypoint", "--name", "-v", "--volume", "--mount", "--network", "--net",
    "-u", "--user", "-w", "--workdir", "--platform", "-p", "--publish", "--add-host", "--cpus", "-m", "--memory",
    "-l", "--label", "--label-file", "--gpus", "--shm-size", "--ulimit", "--cap-add", "--cap-drop", "--device",
    "--dns", "--hostname", "-h", "--ipc", "--pid", "--pull", "--restart", "--runtime", "--security-opt",
    "--stop-signal", "--stop-timeout", "--tmpfs", "--log-driver", "--log-opt", "--cidfile", "--expose",
})
_HARMLESS_RUN_OPTS = frozenset({"--rm", "-i", "-t", "-it", "--init", "--entrypoint", "--pull"})
_DOCKER_BUILD_VALUE_OPTS = frozenset({
    "-f", "--file", "-t", "--tag", "--platform", "--build-arg", "--label", "--target", "--cache-from",
    "--cache-to", "-o", "--output", "--secret", "--ssh", "--iidfile", "--metadata-file", "--progress",
    "--network", "--builder", "--build-context", "--attest", "--annotation", "--shm-size", "--ulimit",
})


class Fact(NamedTuple):
    key: str  # dotted config key as shown, e.g. "promote.targets[1].url"
    value: Any
    where: str  # "jobs.publish.runs-on, line 97"


class Miss(NamedTuple):
    key: str
    reason: str


class Inference(NamedTuple):
    workflow: str  # as shown to the user
    data: dict[str, Any]  # the config table, ready to format
    facts: tuple[Fact, ...]
    misses: tuple[Miss, ...]
    notes: tuple[str, ...]


class Layout(NamedTuple):
    root: Path  # the repo root: the folder holding .gitea/.github/.forgejo (else the cwd)
    rel: str | None  # the workflow's path from the root when it lives in a workflows folder
    dialect: str | None


# ---------------------------------------------------------------------------
# Finding the workflow

def discover_workflow(root: Path) -> str:
    """The repo's publish workflow, relative to ``root``; InputError when none or several."""
    for rel in PREFERRED:
        if (root / rel).is_file():
            return rel
    found = [rel for rel in _workflow_files(root) if _publishes(root / rel, rel)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(f"no workflow under {', '.join(WORKFLOW_DIRS)} pushes an image: give its path (pinflow init WORKFLOW)")
    raise InputError(f"{len(found)} workflows push an image ({', '.join(found)}): give the one to adopt (pinflow init WORKFLOW)")


def _workflow_files(root: Path) -> list[str]:
    files = []
    for folder in WORKFLOW_DIRS:
        if (root / folder).is_dir():
            names = sorted(e.name for e in os.scandir(root / folder) if e.name.endswith((".yml", ".yaml")) and e.is_file())
            files.extend(f"{folder}/{name}" for name in names)
    return files


def _publishes(path: Path, shown: str) -> bool:
    try:
        wf = load_workflow(str(path), shown, "gitea")
    except PinflowError:
        return False  # not ours to report: discovery only asks who pushes
    return bool(publishers(wf))


def load_workflow(path: str, shown: str, dialect: str) -> Workflow:
    source = yamlio.read_source(path)
    try:
        text = yamlio.decode(source.data)
        root = yamlio.compose(text)
    except yamlio.YamlProblem as exc:
        raise InputError(f"{shown}:{exc.line}:{exc.column}: not a usable YAML document: {exc.message}") from None
    if not model.is_map(model.get(root, "jobs")):
        raise InputError(f"{shown}: not a workflow (no jobs: mapping)")
    return model.build(shown, text, root, dialect)  # type: ignore[arg-type]


def layout_of(workflow: str, cwd: Path) -> Layout:
    parts = Path(os.path.abspath(cwd / workflow)).parts
    if len(parts) >= 3 and parts[-2] == "workflows" and parts[-3] in _FORGE_DIRS:
        return Layout(Path(*parts[:-3]), "/".join(parts[-3:]), _FORGE_DIRS[parts[-3]])
    return Layout(cwd, None, None)


# ---------------------------------------------------------------------------
# Who pushes

def publishers(wf: Workflow) -> list[Publisher]:
    return Context(wf, Options(wf.dialect)).publishers


def _commands(script: str) -> list[tuple[int, int, list[str]]]:
    if not script:
        return []
    from pinflow.shell import command_words

    return command_words(script)


def _push_args(words: list[str]) -> list[str] | None:
    for head in IMAGE_PUSHES:
        if tuple(words[: len(head)]) == head:
            return [w for w in words[len(head):] if not w.startswith("-")]
    return None


def _main_publisher(pubs: list[Publisher]) -> tuple[Publisher, list[Publisher]]:
    """The publisher no other publisher feeds (``publish`` if several), and the rest."""
    ids = {p.job.id for p in pubs}
    roots = [p for p in pubs if not set(p.job.needs) & ids]
    main = next((p for p in roots if p.job.id == "publish"), roots[0] if roots else pubs[0])
    return main, [p for p in pubs if p is not main]


# ---------------------------------------------------------------------------
# Values and where they came from

def _line(node: Node | None) -> int:
    return model.pos(node).line


def _step_path(job: Job, step: Step) -> str:
    return f"jobs.{job.id}.steps[{step.index}]"


def _at(path: str, node: Node | None) -> str:
    return f"{path}, line {_line(node)}"


class _Scope:
    """Where names resolve: a step's env, then its job's, then the workflow's;
    ``leg`` is one matrix ``include`` entry (lowercased keys)."""

    def __init__(self, wf: Workflow, job: Job | None = None, step: Step | None = None,
                 leg: Mapping[str, tuple[str, str]] | None = None) -> None:
        self.wf, self.job, self.step = wf, job, step
        self.leg = leg or {}
        self.origins: list[str] = []

    def env(self, name: str) -> tuple[Node, str] | None:
        layers: list[tuple[dict[str, Node], str]] = []
        if self.job is not None and self.step is not None:
            layers.append((self.step.env, f"{_step_path(self.job, self.step)}.env"))
        if self.job is not None:
            layers.append((self.job.env, f"jobs.{self.job.id}.env"))
        layers.append((self.wf.env, "env"))
        for mapping, prefix in layers:
            for key, node in mapping.items():
                if key.lower() == name.lower():
                    return node, f"{prefix}.{key}"
        return None

    def expand(self, value: str, depth: int = 0) -> str:
        """``${{ env.X }}`` and ``${{ matrix.k }}`` replaced by their literal;
        any other expression is left as written (so the result fails the schema)."""
        from pinflow import expressions

        try:
            embedded = expressions.find_embedded(value)
        except expressions.ExprError:
            return value
        out, pos = [], 0
        for emb in embedded:
            out.append(value[pos:emb.start])
            try:
                node = expressions.parse(emb.source)
            except expressions.ExprError:
                node = None
            sub = self._expr_text(node, depth) if node is not None else None
            out.append(value[emb.start:emb.end] if sub is None else sub)
            pos = emb.end
        out.append(value[pos:])
        return "".join(out)

    def _expr_text(self, node: ExprNode, depth: int) -> str | None:
        from pinflow.expressions import Context as Ctx
        from pinflow.expressions import Literal, Logical

        if type(node) is Literal and isinstance(node.value, str):
            return node.value
        if type(node) is Ctx and len(node.path) == 2 and node.path[0] == "env":
            return self._env_text(node.path[1], depth)
        if type(node) is Ctx and len(node.path) == 2 and node.path[0] == "matrix" and node.path[1] in self.leg:
            value, where = self.leg[node.path[1]]
            self.origins.append(where)
            return value
        if (type(node) is Logical and node.op == "||" and type(node.left) is Ctx and node.left.path[0] == "vars"
                and type(node.right) is Literal and isinstance(node.right.value, str) and node.right.value):
            # `vars.X || 'default'`: the fallback is what runs wherever the
            # variable is unset; the report says so, since it may well be set.
            self.origins.append(f"the fallback of vars.{'.'.join(node.left.path[1:]).upper()} (assumed unset)")
            return node.right.value
        return None

    def _env_text(self, name: str, depth: int) -> str | None:
        found = self.env(name)
        text = model.text(found[0]) if found else None
        if found is None or text is None or depth >= _MAX_DEPTH:
            return None
        self.origins.append(_at(found[1], found[0]))
        return self.expand(text, depth + 1)

    def shell_word(self, word: str) -> str:
        """A parsed shell word with ``$X``/``${X}`` replaced from env (unknown ones kept)."""
        def sub(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2)
            text = self._env_text(name, 0)
            return m.group(0) if text is None else text

        return _SHELL_VAR.sub(sub, word)

    def secret_of(self, value: str, depth: int = 0) -> str | None:
        """The secret name a ``${{ }}`` value reads for this leg (``secrets.X``,
        ``secrets[matrix.k]``, pinflow's per-target chain, ``env.X`` holding
        one of those), else None."""
        from pinflow import expressions
        from pinflow.expressions import Context as Ctx

        try:
            embedded = expressions.find_embedded(value)
            if len(embedded) != 1 or value[:embedded[0].start].strip() or value[embedded[0].end:].strip():
                return None
            node = expressions.parse(embedded[0].source)
        except expressions.ExprError:
            return None
        if any(p[0] == "github" and p[1:] == ("token",) for p in expressions.contexts_used(node)):
            return "GITHUB_TOKEN"
        if type(node) is Ctx and len(node.path) == 2 and node.path[0] == "env" and depth < _MAX_DEPTH:
            found = self.env(node.path[1])
            text = model.text(found[0]) if found else None
            return self.secret_of(text, depth + 1) if text else None
        leg = {k: v for k, (v, _) in self.leg.items()}
        result = expressions.evaluate(node, {"matrix": leg, "secrets": _SecretNames()})
        if isinstance(result, str) and result.startswith(_SecretNames.MARK):
            return result[len(_SecretNames.MARK):]
        return None

    def word_where(self, step: Step, line: int, col: int) -> str:
        run = step.field("run")
        if run is None or self.job is None:
            return _step_path(self.job, step) if self.job else "?"
        p = model.scalar_position(run, self.wf.lines(), line, col)
        return f"{_step_path(self.job, step)}.run, line {p.line}"

    def resolve(self, value: str, where: str) -> tuple[str, str]:
        """(expanded value, where it came from: ``where`` and every env/matrix entry read)."""
        self.origins = []
        return self.expand(value), self._where(where)

    def resolve_word(self, word: str, where: str) -> tuple[str, str]:
        self.origins = []
        return self.shell_word(word), self._where(where)

    def _where(self, where: str) -> str:
        seen = [o for i, o in enumerate(self.origins) if o not in self.origins[:i] and o != where]
        self.origins = []
        return "; ".join([where, *(f"via {o}" for o in seen)])


class _SecretNames(dict):  # type: ignore[type-arg]
    """A secrets context whose every value names its secret."""

    MARK = "\0secret:"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __getitem__(self, key: str) -> str:
        return self.MARK + key.upper()


def _one_secret(scope: _Scope, value: str | None) -> str | None:
    return scope.secret_of(value) if value else None


# ---------------------------------------------------------------------------
# The collector: every value checked against the schema before it is kept

class _Collector:
    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        from pinflow.resources import load_schema

        self.schema = load_schema(SCHEMA)
        self.validator = Draft202012Validator(self.schema)
        self.data: dict[str, Any] = {}
        self.facts: list[Fact] = []
        self.misses: list[Miss] = []
        self.notes: list[str] = []

    def fits(self, path: Sequence[str], value: Any) -> bool:
        return bool(self.validator.evolve(schema=self._subschema(path)).is_valid(value))

    def _subschema(self, path: Sequence[str]) -> Mapping[str, Any]:
        node: Mapping[str, Any] = self.schema
        for part in path:
            while "$ref" in node:
                node = self.schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            node = node["items"] if part == "[]" else node["additionalProperties"] if part == "*" else node["properties"][part]
        return node

    def put(self, key: str, value: Any, where: str, *, schema: Sequence[str] | None = None,
            into: dict[str, Any] | None = None) -> bool:
        path = tuple(schema) if schema is not None else tuple(key.split("."))
        if not self.fits(path, value):
            self.miss(key, f"found {_show(value)} ({where}), which does not fit the config schema for {path[-1]}")
            return False
        table = into if into is not None else self._table(path[:-1])
        table[path[-1]] = value
        self.facts.append(Fact(key, value, where))
        return True

    def _table(self, path: Sequence[str]) -> dict[str, Any]:
        table = self.data
        for part in path:
            table = table.setdefault(part, {})
        return table

    def miss(self, key: str, reason: str) -> None:
        self.misses.append(Miss(key, reason))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _show(value: Any, limit: int = 72) -> str:
    text = value if isinstance(value, str) else " ".join(value) if isinstance(value, (list, tuple)) else repr(value)
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return "`" + (text if len(text) <= limit else text[: limit - 1] + "…") + "`"


# ---------------------------------------------------------------------------
# Inference

def infer(wf: Workflow, layout: Layout) -> Inference:
    out = _Collector()
    dialect = _infer_layout(out, layout)
    pubs = publishers(wf)
    ctx = Context(wf, Options(dialect or "gitea"))
    pub_ids = {p.job.id for p in pubs}
    promoters = [j for j in ctx.promoters if j.id not in pub_ids]
    if not pubs:
        out.miss("image", "no job of this workflow pushes an image (a reusable-workflow call is not followed)")
        main, extras, promoter = None, [], (promoters[0] if promoters else None)
    else:
        main, extras = _main_publisher(pubs)
        promoter = _promoter_of(ctx, main, promoters, pubs)
    image = _infer_image(out, wf, main, "", None) if main else None
    _infer_template_name(out, wf, promoter, image, layout)
    if main is not None:
        _infer_build(out, wf, main, "", out.data)
        _infer_registry(out, wf, main, image)
        _infer_runner(out, "runners.publish", main.job)
    _infer_default_runner(out, wf, promoter, pub_ids)
    _infer_main_branch(out, wf, promoter)
    if promoter is None:
        out.miss("promote", "no job promotes the pushed digest (the default target, prod, applies)")
    else:
        _infer_targets(out, wf, promoter)
        _infer_verify(out, wf, promoter, pub_ids)
    _infer_server_url(out, wf)
    for extra in extras:
        _infer_extra(out, ctx, wf, extra, promoters, pubs)
    return Inference(wf.path, out.data, tuple(out.facts), tuple(out.misses), tuple(out.notes))


def _infer_layout(out: _Collector, layout: Layout) -> str | None:
    if layout.dialect is None:
        out.miss("dialect", "the workflow is not in a .gitea/, .forgejo/ or .github/ workflows folder (gitea applies)")
        return None
    out.put("dialect", layout.dialect, f"the path {layout.rel}")
    if layout.rel != DEFAULT_OUTPUT[layout.dialect]:
        out.put("output", layout.rel, f"the path {layout.rel}")
    return layout.dialect


def _promoter_of(ctx: Context, pub: Publisher, promoters: list[Job], pubs: list[Publisher]) -> Job | None:
    reading = [j for j in promoters if any(r.job == pub.job.id for r in ctx.digest_reads(j))]
    if reading:
        return reading[0]
    claimed = {j.id for p in pubs for j in promoters if any(r.job == p.job.id for r in ctx.digest_reads(j))}
    rest = [j for j in promoters if j.id not in claimed]
    return rest[0] if rest and pub is _main_publisher(pubs)[0] else None


# --- image -----------------------------------------------------------------

def _infer_image(out: _Collector, wf: Workflow, pub: Publisher, prefix: str, into: dict[str, Any] | None) -> str | None:
    key = f"{prefix}image"
    candidates = _pushed_images(wf, pub)
    if not candidates:
        out.miss(key, f"the push step ({_step_path(pub.job, pub.step)}) names no image it pushes")
        return None
    schema = ("extra_images", "[]", "image") if prefix else ("image",)
    candidates = [(_docker_hub(out, value, where), where) for value, where in candidates]
    for value, where in candidates:
        if out.fits(schema, value):
            others = sorted({v for v, _ in candidates if v != value and out.fits(schema, v)})
            if others:
                out.note(f"{_step_path(pub.job, pub.step)} also pushes {', '.join(others)} (only {value} is kept)")
            out.put(key, value, where, schema=schema, into=into)
            _other_names(out, wf, value)
            return value
    value, where = candidates[0]
    default = "" if prefix else f" (the default, <registry host>/{IMAGE_PATH.format(name='<template_name>')}, applies)"
    out.miss(key, f"found {_show(value)} ({where}), which is not a plain image name{default}")
    return None


def _pushed_images(wf: Workflow, pub: Publisher) -> list[tuple[str, str]]:
    step, job = pub.step, pub.job
    scope = _Scope(wf, job, step)
    found: list[tuple[str, str]] = []
    if step.uses and action_name(step.uses) == BUILD_PUSH_ACTION:
        tags = step.with_.get("tags")
        for tag in _list_items(model.text(tags) or ""):
            ref, where = scope.resolve(tag, _at(f"{_step_path(job, step)}.with.tags", tags))
            found.append((_repository(ref), where))
    for line, col, words in _commands(step.run or ""):
        args = _push_args(words)
        if args is None and words[:2] == ["docker", "buildx"]:
            args = _option_values(words, ("-t", "--tag"))
        for arg in args or ():
            ref, where = scope.resolve_word(arg, scope.word_where(step, line, col))
            found.append((_repository(ref), where))
    return found


def _docker_hub(out: _Collector, ref: str, where: str) -> str:
    """`org/app` is Docker Hub's `docker.io/org/app`: the config wants the host spelled out."""
    first = ref.split("/", 1)[0]
    if "/" not in ref or "." in first or ":" in first or first == "localhost" or "$" in ref:
        return ref
    out.note(f"{ref} ({where}) is a Docker Hub name: kept as docker.io/{ref}")
    return f"docker.io/{ref}"


def _other_names(out: _Collector, wf: Workflow, image: str) -> None:
    """Say so when the workflow env names another image (a canonical pull name, say)."""
    scope = _Scope(wf)
    for key, node in wf.env.items():
        text = model.text(node)
        if text is None or "IMAGE" not in key.upper():
            continue
        other, where = scope.resolve(text, _at(f"env.{key}", node))
        other = _repository(other)
        if other != image and f"docker.io/{other}" != image and out.fits(("image",), other) and "/" in other:
            out.note(f"{where} names {other}, but the push goes to {image}: the config keeps the pushed name")


def _list_items(text: str) -> list[str]:
    return [item.strip() for line in text.splitlines() for item in line.split(",") if item.strip()]


def _repository(ref: str) -> str:
    """`host/path:tag@sha256:…` -> `host/path`."""
    ref = ref.split("@", 1)[0].strip()
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    return ref[:colon] if colon > slash else ref


def _option_values(words: list[str], names: Sequence[str]) -> list[str]:
    values = []
    for i, w in enumerate(words):
        if w in names and i + 1 < len(words):
            values.append(words[i + 1])
        for n in names:
            if n.startswith("--") and w.startswith(n + "="):
                values.append(w[len(n) + 1:])
    return values


# --- template name ---------------------------------------------------------

def _infer_template_name(out: _Collector, wf: Workflow, promoter: Job | None, image: str | None, layout: Layout) -> None:
    sources: list[tuple[str, str]] = []
    if promoter is not None:
        found = _template_env(wf, promoter)
        if found is not None:
            sources.append(found)
    if image:
        sources.append((_name_from_image(image), "the image name"))
    folder = _name_from_folder(layout.root.name)
    if folder:
        sources.append((folder, f"the folder name {layout.root.name}"))
    for value, where in sources:
        if out.put("template_name", value, where):
            for other, from_ in sources:
                if other != value and out.fits(("template_name",), other):
                    out.note(f"{from_} suggests template_name {other!r}, not {value!r}")
            return
    out.miss("template_name", "no TEMPLATE_NAME in the promote job, no usable image name, and the folder is not named "
             "*-workspace-template-<name>")


def _template_env(wf: Workflow, job: Job) -> tuple[str, str] | None:
    for step in job.steps:
        scope = _Scope(wf, job, step)
        found = scope.env("TEMPLATE_NAME")
        text = model.text(found[0]) if found else None
        if found is not None and text is not None:
            return scope.resolve(text, _at(found[1], found[0]))
    return None


def _name_from_image(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last[len(FOLDER_MARK):] if last.startswith(FOLDER_MARK) else last


def _name_from_folder(folder: str) -> str | None:
    """`molecule-ai-workspace-template-codex` (or `workspace-template-codex`) -> `codex`."""
    _, mark, name = folder.rpartition(FOLDER_MARK)
    if not mark or not name or not (_ == "" or _.endswith("-")):
        return None
    return name


# --- build: dockerfile, context, platforms, build args, smoke test ---------

def _infer_build(out: _Collector, wf: Workflow, pub: Publisher, prefix: str, into: dict[str, Any]) -> None:
    job, step = pub.job, pub.step
    build = _build_step(job, step)
    schema = ("extra_images", "[]") if prefix else ()
    if build is not None:
        _from_action(out, wf, job, build, prefix, schema, into)
    else:
        _from_docker_build(out, wf, job, step, prefix, schema, into)
    _infer_smoke(out, wf, job, step, build, prefix, schema, into)


def _build_step(job: Job, push: Step) -> Step | None:
    if push.uses and action_name(push.uses) == BUILD_PUSH_ACTION:
        return push
    earlier = [s for s in job.steps if s.index < push.index and s.uses and action_name(s.uses) == BUILD_PUSH_ACTION]
    return earlier[-1] if earlier else None


def _from_action(out: _Collector, wf: Workflow, job: Job, step: Step, prefix: str, schema: tuple[str, ...],
                 into: dict[str, Any]) -> None:
    scope = _Scope(wf, job, step)
    base = f"{_step_path(job, step)}.with"
    for name, key in (("file", "dockerfile"), ("context", "context")):
        node = step.with_.get(name)
        text = model.text(node)
        if text is not None:
            value, where = scope.resolve(text, _at(f"{base}.{name}", node))
            out.put(prefix + key, _rel_path(value), where, schema=schema + (key,), into=into)
    node = step.with_.get("platforms")
    if model.text(node) is not None:
        value, where = scope.resolve(model.text(node) or "", _at(f"{base}.platforms", node))
        out.put(prefix + "platforms", _list_items(value), where, schema=schema + ("platforms",), into=into)
    node = step.with_.get("build-args")
    args = [(line, f"{base}.build-args") for line in (model.text(node) or "").splitlines() if line.strip()]
    _put_build_args(out, scope, args, node, prefix, schema, into)


def _from_docker_build(out: _Collector, wf: Workflow, job: Job, push: Step, prefix: str, schema: tuple[str, ...],
                       into: dict[str, Any]) -> None:
    for step in [s for s in job.steps if s.index <= push.index and s.run]:
        for line, col, words in _commands(step.run or ""):
            if not _is_docker_build(words):
                continue
            scope = _Scope(wf, job, step)
            where = scope.word_where(step, line, col)
            file = _option_values(words, ("-f", "--file"))
            if file:
                value, at = scope.resolve_word(file[0], where)
                out.put(prefix + "dockerfile", _rel_path(value), at, schema=schema + ("dockerfile",), into=into)
            context = _build_context(words)
            if context is not None:
                value, at = scope.resolve_word(context, where)
                out.put(prefix + "context", _rel_path(value), at, schema=schema + ("context",), into=into)
            platforms = _option_values(words, ("--platform",))
            if platforms:
                value, at = scope.resolve_word(",".join(platforms), where)
                out.put(prefix + "platforms", _list_items(value), at, schema=schema + ("platforms",), into=into)
            args = [scope.resolve_word(a, where) for a in _option_values(words, ("--build-arg",))]
            _put_build_args(out, scope, args, step.field("run"), prefix, schema, into)
            return


def _is_docker_build(words: list[str]) -> bool:
    return words[:2] in (["docker", "build"], ["podman", "build"]) or words[:3] in (
        ["docker", "buildx", "build"], ["docker", "image", "build"])


def _build_context(words: list[str]) -> str | None:
    start = 3 if words[1] in ("buildx", "image") else 2
    positional, skip = [], False
    for w in words[start:]:
        if skip:
            skip = False
        elif w in _DOCKER_BUILD_VALUE_OPTS:
            skip = True
        elif not w.startswith("-"):
            positional.append(w)
    return positional[-1] if positional else None


def _put_build_args(out: _Collector, scope: _Scope, lines: list[tuple[str, str]], node: Node | None, prefix: str,
                    schema: tuple[str, ...], into: dict[str, Any]) -> None:
    args: dict[str, str] = {}
    for raw, path in lines:
        name, sep, value = raw.strip().partition("=")
        where = _at(path, node) if path.endswith(".build-args") else path
        if not sep:
            out.miss(f"{prefix}build_args", f"found {_show(raw)} ({where}): not NAME=VALUE")
            continue
        if name == VERSION_ARG and "${{" in value and "outputs.version" in value:
            out.note(f"{VERSION_ARG} ({where}) is left out: render passes it from .runtime-version by default")
            continue
        expanded, where = scope.resolve(value, where)
        if out.fits(schema + ("build_args",), {name: expanded}):
            args[name] = expanded
            out.facts.append(Fact(f"{prefix}build_args.{name}", expanded, where))
        else:
            out.miss(f"{prefix}build_args.{name}", f"found {_show(expanded)} ({where}), which is not a plain value")
    if args:
        into["build_args"] = args


def _rel_path(path: str) -> str:
    while path.startswith("./") and len(path) > 2:
        path = path[2:]
    return "." if path in ("./", "") else path


def _infer_smoke(out: _Collector, wf: Workflow, job: Job, push: Step, build: Step | None, prefix: str,
                 schema: tuple[str, ...], into: dict[str, Any]) -> None:
    first = build.index if build is not None and build.index < push.index else -1
    for step in [s for s in job.steps if first < s.index < push.index and s.run]:
        scope = _Scope(wf, job, step)
        smoke_args = step.env.get("SMOKE_ARGS")
        if model.text(smoke_args) is not None:
            words = (model.text(smoke_args) or "").split()
            where = _at(f"{_step_path(job, step)}.env.SMOKE_ARGS", smoke_args)
            out.put(prefix + "smoke_test", words, where, schema=schema + ("smoke_test",), into=into)
            return
        for line, col, words in _commands(step.run or ""):
            argv = _docker_run_argv(words)
            if argv is None:
                continue
            where = scope.word_where(step, line, col)
            kept = argv.argv
            if argv.dropped:
                out.note(f"the smoke test's docker run options {_show(argv.dropped)} ({where}) are not carried over")
            if kept and not argv.entrypoint:
                out.note(f"the smoke test ({where}) passes its words to the image's ENTRYPOINT; render runs them as the command")
            if not kept:
                out.miss(prefix + "smoke_test", f"the smoke step ({where}) runs the image's default command")
            elif out.fits(schema + ("smoke_test",), kept):
                out.put(prefix + "smoke_test", kept, where, schema=schema + ("smoke_test",), into=into)
            else:
                out.miss(prefix + "smoke_test", f"found {_show(kept)} ({where}): only plain words can be carried over")
            return


class _Run(NamedTuple):
    argv: list[str]  # what runs in the image
    dropped: list[str]  # docker options the config cannot say
    entrypoint: bool  # --entrypoint was given (else the image's ENTRYPOINT gets argv)


def _docker_run_argv(words: list[str]) -> _Run | None:
    if words[:2] == ["docker", "run"]:
        rest = words[2:]
    elif words[:3] == ["docker", "container", "run"]:
        rest = words[3:]
    else:
        return None
    entrypoint: list[str] | None = None
    dropped: list[str] = []
    i = 0
    while i < len(rest) and rest[i].startswith("-"):
        opt, eq, inline = rest[i].partition("=")
        takes = not eq and opt in _DOCKER_RUN_VALUE_OPTS
        value = inline if eq else rest[i + 1] if takes and i + 1 < len(rest) else ""
        if opt == "--entrypoint":
            entrypoint = [value] if value else []
        elif opt not in _HARMLESS_RUN_OPTS:
            dropped += [rest[i], value] if takes else [rest[i]]
        i += 2 if takes else 1
    if i >= len(rest):
        return None  # no image word: not a run we understand
    return _Run((entrypoint or []) + rest[i + 1:], dropped, entrypoint is not None)


# --- registry --------------------------------------------------------------

class _Login(NamedTuple):
    kind: str  # ecr | ghcr | generic
    host: str | None
    where: str
    values: dict[str, tuple[str, str]]  # registry key -> (value, where)
    misses: list[tuple[str, str]]


def _infer_registry(out: _Collector, wf: Workflow, pub: Publisher, image: str | None) -> None:
    logins = [login for step in pub.job.steps for login in _logins(wf, pub.job, step)]
    image_host = image.split("/", 1)[0] if image else None
    if not logins:
        kind = _kind_of_host(image_host) if image_host else None
        if kind is not None:
            out.put("registry.kind", kind, "the image host")
        out.miss("registry", f"no login step found in jobs.{pub.job.id} (the {kind or 'dialect'}'s default secret names apply)")
        return
    login = _pick_login(logins, image_host)
    kind = login.kind if login.kind != "generic" or image_host is None else _kind_of_host(image_host) or "generic"
    out.put("registry.kind", kind, login.where)
    if login.host and image_host and login.host != image_host:
        out.note(f"the login ({login.where}) is to {login.host}, but the image is pushed to {image_host}")
    if login.host and not image_host:
        out.put("registry.host", login.host, login.where)
    for key, (value, where) in sorted(login.values.items()):
        if key not in REGISTRY_KEYS[kind]:
            out.note(f"registry.{key} = {value!r} ({where}) is left out: kind {kind!r} does not use it")
            continue
        if key == "region" and image_host and _ecr_region(image_host) not in ("", value):
            out.miss("registry.region", f"found {value!r} ({where}), but the image host is in {_ecr_region(image_host)}")
            continue
        out.put(f"registry.{key}", value, where)
    for key, reason in login.misses:
        out.miss(f"registry.{key}", reason)


def _pick_login(logins: list[_Login], image_host: str | None) -> _Login:
    """The login that covers the push. An ECR job logs in twice (`aws ecr
    get-login-password | docker login`): the AWS half names the secrets."""
    ecr = [lg for lg in logins if lg.kind == "ecr"]
    same = [lg for lg in logins if image_host and lg.host == image_host]
    groups = [[lg for lg in ecr if lg.values], ecr] if _kind_of_host(image_host) == "ecr" or not same else []
    for group in (*groups, same, logins):
        if group:
            return group[0]
    raise AssertionError("no login")  # pragma: no cover - callers pass at least one


def _kind_of_host(host: str | None) -> str | None:
    if host is None:
        return None
    if _ecr_region(host):
        return "ecr"
    return "ghcr" if host == "ghcr.io" else "generic"


def _ecr_region(host: str) -> str:
    parts = host.split(":", 1)[0].split(".")
    if len(parts) == 6 and parts[1:3] == ["dkr", "ecr"] and parts[4:] == ["amazonaws", "com"]:
        return parts[3]
    return ""


def _logins(wf: Workflow, job: Job, step: Step) -> Iterator[_Login]:
    scope = _Scope(wf, job, step)
    path = _step_path(job, step)
    name = action_name(step.uses) if step.uses else ""
    if name == "aws-actions/configure-aws-credentials":
        yield _aws_action(scope, step, path)
    elif name == "aws-actions/amazon-ecr-login":
        yield _Login("ecr", None, _at(path, step.node), {}, [])
    elif name == "docker/login-action":
        yield _login_action(scope, step, path)
    for line, col, words in _commands(step.run or ""):
        where = scope.word_where(step, line, col)
        if words[:3] == ["aws", "ecr", "get-login-password"] or words[:3] == ["aws", "ecr", "get-login"]:
            yield _aws_cli(scope, words, where)
        elif words[:2] == ["docker", "login"] or words[:2] == ["podman", "login"]:
            yield _docker_login(scope, step, words, line, where)


def _aws_action(scope: _Scope, step: Step, path: str) -> _Login:
    values: dict[str, tuple[str, str]] = {}
    misses: list[tuple[str, str]] = []
    for field, key in (("aws-access-key-id", "access_key_id_secret"), ("aws-secret-access-key", "secret_access_key_secret")):
        node = step.with_.get(field)
        _secret_value(scope, model.text(node), key, _at(f"{path}.with.{field}", node), values, misses)
    region = step.with_.get("aws-region")
    if model.text(region) is not None:
        values["region"] = scope.resolve(model.text(region) or "", _at(f"{path}.with.aws-region", region))
    return _Login("ecr", None, _at(path, step.node), values, misses)


def _aws_cli(scope: _Scope, words: list[str], where: str) -> _Login:
    values: dict[str, tuple[str, str]] = {}
    misses: list[tuple[str, str]] = []
    for var, key in (("AWS_ACCESS_KEY_ID", "access_key_id_secret"), ("AWS_SECRET_ACCESS_KEY", "secret_access_key_secret")):
        found = scope.env(var)
        if found is None:
            misses.append((key, f"{var} is not set from a secret in env where `aws ecr` runs ({where})"))
            continue
        _secret_value(scope, model.text(found[0]), key, _at(found[1], found[0]), values, misses)
    region = _option_values(words, ("--region",))
    if region:
        values["region"] = scope.resolve_word(region[0], where)
    else:
        for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            found = scope.env(var)
            if found is not None and model.text(found[0]):
                values["region"] = scope.resolve(model.text(found[0]) or "", _at(found[1], found[0]))
                break
    return _Login("ecr", None, where, values, misses)


def _secret_value(scope: _Scope, text: str | None, key: str, where: str, values: dict[str, tuple[str, str]],
                  misses: list[tuple[str, str]]) -> None:
    secret = _one_secret(scope, text)
    if secret is not None:
        values[key] = (secret, where)
    elif text is not None:
        misses.append((key, f"found {_show(text)} ({where}), which does not read one secret"))


def _login_action(scope: _Scope, step: Step, path: str) -> _Login:
    values: dict[str, tuple[str, str]] = {}
    misses: list[tuple[str, str]] = []
    reg = step.with_.get("registry")
    reg_where = _at(f"{path}.with.registry", reg) if reg else _at(path, step.node)
    host, host_where = scope.resolve(model.text(reg) or "docker.io", reg_where)
    kind = _kind_of_host(host) or "generic"
    user_node, pass_node = step.with_.get("username"), step.with_.get("password")
    user, password = model.text(user_node), model.text(pass_node)
    if kind == "ecr":
        _secret_value(scope, user, "access_key_id_secret", _at(f"{path}.with.username", user_node), values, misses)
        _secret_value(scope, password, "secret_access_key_secret", _at(f"{path}.with.password", pass_node), values, misses)
    else:
        _user(scope, user, kind, _at(f"{path}.with.username", user_node), values, misses)
        key = "token_secret" if kind == "ghcr" else "password_secret"
        _secret_value(scope, password, key, _at(f"{path}.with.password", pass_node), values, misses)
    return _Login(kind, host, host_where, values, misses)


def _user(scope: _Scope, text: str | None, kind: str, where: str, values: dict[str, tuple[str, str]],
          misses: list[tuple[str, str]]) -> None:
    if text is None:
        return
    if text.replace(" ", "") == "${{github.actor}}":
        if kind != "ghcr":
            misses.append(("username", f"the login uses github.actor ({where}), which render only does for ghcr"))
        return
    secret = _one_secret(scope, text)
    if secret is not None:
        values["username_secret"] = (secret, where)
        return
    literal, at = scope.resolve(text, where)
    if "${{" in literal:
        misses.append(("username", f"found {_show(text)} ({where}), which is neither a literal user nor one secret"))
    else:
        values["username"] = (literal, at)


def _docker_login(scope: _Scope, step: Step, words: list[str], line: int, where: str) -> _Login:
    values: dict[str, tuple[str, str]] = {}
    misses: list[tuple[str, str]] = []
    valued = ("-u", "--username", "-p", "--password")
    args = [w for i, w in enumerate(words[2:], 2) if not w.startswith("-") and words[i - 1] not in valued]
    host, host_where = scope.resolve_word(args[0], where) if args else ("docker.io", where)
    kind = _kind_of_host(host) or "generic"
    if "$" in host:
        misses.append(("host", f"found {_show(host)} ({where}) as the login host"))
        host = ""
    user = _option_values(words, ("-u", "--username"))
    if user:
        _shell_credential(scope, step, user[0], "username", where, values, misses)
    password = _option_values(words, ("-p", "--password"))
    if not password and "--password-stdin" in words:
        password = _stdin_feeder(step, line)
    key = "token_secret" if kind == "ghcr" else "password_secret"
    if password:
        _shell_credential(scope, step, password[0], key, where, values, misses)
    else:
        misses.append((key, f"the password of the login ({where}) does not come from an env variable"))
    return _Login(kind, host or None, host_where, values, misses)


def _stdin_feeder(step: Step, line: int) -> list[str]:
    """The variable an `echo "$X" | docker login --password-stdin` pipes in."""
    for cmd_line, _, words in _commands(step.run or ""):
        if cmd_line == line and words and words[0] in ("echo", "printf"):
            refs = [w for w in words[1:] if _SHELL_VAR.fullmatch(w)]
            if refs:
                return refs[-1:]
    return []


def _shell_credential(scope: _Scope, step: Step, word: str, key: str, where: str,
                      values: dict[str, tuple[str, str]], misses: list[tuple[str, str]]) -> None:
    ref = _SHELL_VAR.fullmatch(word)
    if ref is None:
        if key == "username" and "$" not in word:
            values["username"] = (word, where)
        else:
            misses.append((key, f"found {_show(word)} ({where})"))
        return
    name = ref.group(1) or ref.group(2)
    found = scope.env(name)
    if found is None:
        vault = sorted(n for n in step.env if n.upper().startswith(("INFISICAL", "VAULT", "DOPPLER")))
        how = f"; the step reads {', '.join(vault)}: credentials fetched at run time" if vault else ""
        label = "registry.username_secret" if key == "username" else f"registry.{key}"
        misses.append((key, f"${name} is set by the script, not from a secret ({where}{how}); set {label} by hand"))
        return
    text = model.text(found[0])
    secret = _one_secret(scope, text)
    if secret is not None:
        values["username_secret" if key == "username" else key] = (secret, _at(found[1], found[0]))
    elif key == "username" and text and "${{" not in text and "$" not in text:
        values["username"] = (text, _at(found[1], found[0]))
    else:
        misses.append((key, f"found {_show(text or '')} ({_at(found[1], found[0])}), which does not read one secret"))


# --- runners ---------------------------------------------------------------

def _runs_on(job: Job) -> tuple[Any, str] | None:
    node = job.field("runs-on")
    if node is None:
        return None
    where = _at(f"jobs.{job.id}.runs-on", node)
    if model.is_seq(node):
        labels = [model.text(n) for n in node.value]  # type: ignore[union-attr]
        return ([lb for lb in labels if lb is not None] if None not in labels else node, where)
    return (model.text(node) if model.text(node) is not None else node, where)


def _infer_runner(out: _Collector, key: str, job: Job) -> None:
    found = _runs_on(job)
    if found is None:
        out.miss(key, f"jobs.{job.id} has no runs-on")
        return
    value, where = found
    if isinstance(value, (str, list)):
        out.put(key, value, where)
    else:
        out.miss(key, f"jobs.{job.id}.runs-on ({where}) is not a label or a list of labels")


def _infer_default_runner(out: _Collector, wf: Workflow, promoter: Job | None, pub_ids: set[str]) -> None:
    if promoter is not None:
        _infer_runner(out, "runners.default", promoter)
        return
    others = [(j, _runs_on(j)) for j in wf.jobs.values() if j.id not in pub_ids]
    values = {repr(f[0]) for _, f in others if f is not None}
    if len(values) == 1:
        job = next(j for j, f in others if f is not None)
        _infer_runner(out, "runners.default", job)


# --- main branch -----------------------------------------------------------

def _infer_main_branch(out: _Collector, wf: Workflow, promoter: Job | None) -> None:
    guard = _guard_branch(promoter) if promoter is not None else None
    pushed = _push_branch(wf)
    chosen = guard or pushed
    if chosen is None:
        out.miss("main_branch", "neither a promote guard (github.ref == 'refs/heads/<x>') "
                 "nor a single on.push branch (main applies)")
        return
    if guard and pushed and guard[0] != pushed[0]:
        out.note(f"the promote guard names {guard[0]!r} but on.push builds {pushed[0]!r} ({pushed[1]})")
    out.put("main_branch", chosen[0], chosen[1])


def _guard_branch(job: Job) -> tuple[str, str] | None:
    from pinflow import expressions
    from pinflow.expressions import Binary, Literal
    from pinflow.expressions import Context as Ctx

    if job.if_ is None:
        return None
    try:
        cond = expressions.parse_condition(job.if_)
    except expressions.ExprError:
        return None
    for node in expressions.walk(cond) if cond is not None else ():
        if type(node) is not Binary or node.op != "==":
            continue
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if (type(a) is Ctx and expressions.canonical_path(a.path) == ("github", "ref") and type(b) is Literal
                    and isinstance(b.value, str) and b.value.startswith("refs/heads/")):
                return b.value[len("refs/heads/"):], _at(f"jobs.{job.id}.if", job.field("if"))
    return None


def _push_branch(wf: Workflow) -> tuple[str, str] | None:
    node = model.get(model.get(wf.field("on"), "push"), "branches")
    values = [node] if model.is_scalar(node) else list(node.value) if model.is_seq(node) else []  # type: ignore[union-attr]
    names = [model.text(v) for v in values]
    if len(names) != 1 or names[0] is None or any(c in names[0] for c in "*?[!"):
        return None
    return names[0], _at("on.push.branches", node)


# --- promote targets -------------------------------------------------------

class _Leg(NamedTuple):
    values: dict[str, tuple[str, str]]  # lowercased matrix key -> (value, where)
    where: str


def _legs(out: _Collector, job: Job) -> list[_Leg] | None:
    """One leg per matrix include entry; [one empty leg] without a matrix; None when unreadable."""
    matrix = model.get(job.field("strategy"), "matrix")
    if matrix is None:
        return [_Leg({}, _at(f"jobs.{job.id}", job.key_node))]
    path = f"jobs.{job.id}.strategy.matrix"
    include = model.get(matrix, "include")
    axes = [k for k, _, _ in model.items(matrix) if k not in ("include", "exclude")]
    if not model.is_seq(include) or axes:
        out.miss("promote.targets", f"{_at(path, matrix)}: only a matrix of `include:` entries is read")
        return None
    legs = []
    for i, entry in enumerate(include.value):  # type: ignore[union-attr]
        values = {k.lower(): (model.text(v) or "", _at(f"{path}.include[{i}].{k}", v))
                  for k, _, v in model.items(entry) if model.text(v) is not None}
        legs.append(_Leg(values, _at(f"{path}.include[{i}]", entry)))
    return legs


def _infer_targets(out: _Collector, wf: Workflow, job: Job) -> None:
    legs = _legs(out, job)
    if legs is None:
        return
    names = _target_names(legs)
    targets: list[dict[str, Any]] = []
    for i, (leg, (name, name_where)) in enumerate(zip(legs, names)):
        label = "promote" if len(legs) == 1 and not leg.values else f"promote.targets[{i}]"
        target = _infer_target(out, wf, job, leg, [n for n, _ in names], name, label)
        if target is not None:
            target["name"] = name
            targets.append(target)
            if leg.values:
                out.facts.append(Fact(f"{label}.name", name, name_where))
    if not targets:
        return
    if len(targets) == 1 and targets[0]["name"] == "prod":
        promote = out.data.setdefault("promote", {})
        promote.update({k: v for k, v in targets[0].items() if k != "name"})
    else:
        out.data.setdefault("promote", {})["targets"] = targets


def _target_names(legs: list[_Leg]) -> list[tuple[str, str]]:
    if len(legs) == 1 and not legs[0].values:
        return [("prod", "the single target")]
    pattern = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")  # the schema's target name, on one value
    for key in TARGET_KEYS:
        names = [leg.values.get(key) for leg in legs]
        if all(n is not None and pattern.fullmatch(n[0]) for n in names) and len({n[0] for n in names if n}) == len(legs):
            return [(n[0], n[1]) for n in names if n is not None]
    return [(f"target-{i + 1}", leg.where) for i, leg in enumerate(legs)]


def _infer_target(out: _Collector, wf: Workflow, job: Job, leg: _Leg, all_names: list[str], name: str,
                  label: str) -> dict[str, Any] | None:
    call = _promote_call(wf, job, leg)
    if call is None:
        out.miss(label, f"no curl/wget in jobs.{job.id} posts to an http(s) URL")
        return None
    scope, step, url, url_where, bearer = call
    target: dict[str, Any] = {}
    ok = out.put(f"{label}.url", url, url_where, schema=("promote", "targets", "[]", "url"), into=target)
    token = _token_secret(scope, step, bearer, name, all_names)
    if isinstance(token, tuple):
        schema = ("promote", "targets", "[]", "token_secret")
        ok = out.put(f"{label}.token_secret", token[0], token[1], schema=schema, into=target) and ok
    else:
        out.miss(f"{label}.token_secret", token)
        ok = False
    return target if ok else None


def _promote_call(wf: Workflow, job: Job, leg: _Leg) -> tuple[_Scope, Step, str, str, list[str]] | None:
    """(scope, step, URL, where, bearer variable names) of the call that posts the digest."""
    best: tuple[int, tuple[_Scope, Step, str, str, list[str]]] | None = None
    for step in job.steps:
        for line, col, words in _commands(step.run or ""):
            if not words or words[0] not in ("curl", "wget"):
                continue
            scope = _Scope(wf, job, step, leg.values)
            where = scope.word_where(step, line, col)
            for word in words[1:]:
                url, url_where = scope.resolve_word(word, where)
                if "=" in url.split("://", 1)[0] or not url.startswith(("http://", "https://")):
                    continue
                rank = 2 if "runtime-image/promote" in url else 1 if url.rstrip("/").endswith("/promote") else 0
                if best is None or rank > best[0]:
                    found = (scope, step, url, url_where, _bearer_vars(step, line, words))
                    best = (rank, found)
    return best[1] if best else None


def _bearer_vars(step: Step, line: int, words: list[str]) -> list[str]:
    refs = [m.group(1) or m.group(2) for w in words if "Bearer" in w for m in _SHELL_VAR.finditer(w)]
    if refs:
        return refs
    # pinflow's own shape: printf 'Authorization: Bearer %s\n' "$TOKEN" | curl --header @-
    for cmd_line, _, other in _commands(step.run or ""):
        if cmd_line == line and other and other[0] in ("printf", "echo") and any("Bearer" in w for w in other):
            return [m.group(1) or m.group(2) for w in other for m in _SHELL_VAR.finditer(w)]
    return []


def _token_secret(scope: _Scope, step: Step, bearer: list[str], name: str, all_names: list[str]) -> tuple[str, str] | str:
    for var in bearer:
        found = scope.env(var)
        if found is not None:
            secret = scope.secret_of(model.text(found[0]) or "")
            if secret is not None:
                return secret, _at(found[1], found[0])
            return f"found {_show(model.text(found[0]) or '')} ({_at(found[1], found[0])}), which does not read one secret"
    # The token is picked in the script (`if [ "$ENV_NAME" = prod ]; then T=$PROD_TOKEN`):
    # match the target's name against the secret env variables of the step.
    candidates = _secret_env(scope, step)
    if len({c[1] for c in candidates}) == 1:
        return candidates[0][1], candidates[0][2]
    mine = [c for c in candidates if _names_target(c, name)]
    if len({c[1] for c in mine}) == 1:
        return mine[0][1], mine[0][2] + f" (its name matches target {name!r})"
    unclaimed = [c for c in candidates if not any(_names_target(c, n) for n in all_names)]
    if not mine and len({c[1] for c in unclaimed}) == 1:
        return unclaimed[0][1], unclaimed[0][2] + " (the one secret no other target's name matches)"
    shown = ", ".join(f"{k}={s}" for k, s, _ in candidates) or "none"
    where = _step_path(scope.job, step) if scope.job else "?"
    return f"cannot tell which secret target {name!r} uses (secrets in {where}.env: {shown})"


def _secret_env(scope: _Scope, step: Step) -> list[tuple[str, str, str]]:
    found = []
    for key, node in step.env.items():
        secret = scope.secret_of(model.text(node) or "")
        if secret is not None and secret != "GITHUB_TOKEN":
            found.append((key, secret, _at(f"{_step_path(scope.job, step) if scope.job else '?'}.env.{key}", node)))
    return found


def _names_target(candidate: tuple[str, str, str], name: str) -> bool:
    words = set(candidate[0].upper().split("_")) | set(candidate[1].upper().split("_"))
    wanted = {name.upper().replace("-", "_")}
    if name == "prod":
        wanted.add("PRODUCTION")
    return bool(words & wanted)


def _infer_verify(out: _Collector, wf: Workflow, promoter: Job, pub_ids: set[str]) -> None:
    for job in wf.jobs.values():
        if job.id in pub_ids or job.id == promoter.id or promoter.id not in job.needs:
            continue
        if "verify" in job.id.lower() or "verify" in (model.text(job.field("name")) or "").lower():
            promote = out.data.get("promote", {})
            urls = [t["url"] for t in promote.get("targets", [])] or ([promote["url"]] if "url" in promote else [])
            bad = [u for u in urls if not u.endswith("/promote")]
            if bad:
                out.miss("promote.verify", f"jobs.{job.id} reads the pin back, but {bad[0]} does not end in /promote")
            else:
                out.put("promote.verify", True, _at(f"jobs.{job.id}", job.key_node))
            return


def _infer_server_url(out: _Collector, wf: Workflow) -> None:
    node = wf.env.get("GITHUB_SERVER_URL")
    if model.text(node) is not None:
        out.put("server_url", model.text(node), _at("env.GITHUB_SERVER_URL", node))


# --- extra images ----------------------------------------------------------

def _infer_extra(out: _Collector, ctx: Context, wf: Workflow, pub: Publisher, promoters: list[Job],
                 pubs: list[Publisher]) -> None:
    i = len(out.data.get("extra_images", []))
    prefix = f"extra_images[{i}]."
    promoter = _promoter_of(ctx, pub, promoters, pubs)
    if promoter is None:
        out.miss(f"extra_images ({pub.job.id})", f"jobs.{pub.job.id} pushes an image no job promotes (left out)")
        return
    extra: dict[str, Any] = {}
    found = _template_env(wf, promoter)
    schema = ("extra_images", "[]", "template_name")
    if found is None or not out.put(prefix + "template_name", found[0], found[1], schema=schema, into=extra):
        out.miss(f"extra_images ({pub.job.id})", f"no valid TEMPLATE_NAME in jobs.{promoter.id} (left out)")
        return
    if extra["template_name"] == out.data.get("template_name"):
        out.miss(f"extra_images ({pub.job.id})", f"jobs.{promoter.id} promotes the main template name again (left out)")
        return
    image = _infer_image(out, wf, pub, prefix, extra)
    _infer_build(out, wf, pub, prefix, extra)
    main_platforms = out.data.get("platforms", ["linux/amd64"])
    if extra.get("platforms") == main_platforms:
        del extra["platforms"]  # the main image's platforms are the default
    if image is None or "dockerfile" not in extra:
        out.miss(f"extra_images ({pub.job.id})", "needs its image and its Dockerfile (left out)")
        return
    out.data.setdefault("extra_images", []).append(extra)


# ---------------------------------------------------------------------------
# TOML, written by hand: a fixed key order, TOML's own string escapes.

_TOP = ("template_name", "dialect", "main_branch", "image", "server_url", "output", "dockerfile", "context",
        "platforms", "build_args", "smoke_test")
_TABLES = (
    ("registry", ("kind", "host", "region", "access_key_id_secret", "secret_access_key_secret", "username",
                  "username_secret", "password_secret", "token_secret")),
    ("runners", ("publish", "default")),
    ("promote", ("url", "token_secret", "verify")),
)
_TARGET_KEYS = ("name", "url", "token_secret")
_EXTRA_KEYS = ("template_name", "image", "dockerfile", "context", "platforms", "build_args", "smoke_test")
def format_toml(inf: Inference, version: str = __version__) -> str:
    lines = [
        f"# Inferred from {_comment(inf.workflow)} by pinflow {version} (pinflow init).",
        "# Review every value, then `pinflow render -o <workflow>` and `pinflow check --semantic`.",
    ]
    if inf.misses:
        lines.append("#")
        lines.append("# Could not infer (the defaults apply; set these by hand where they don't fit):")
        lines.extend(f"#   {_comment(m.key)}: {_comment(m.reason)}" for m in inf.misses)
    lines.append("")
    data = inf.data
    lines.extend(f"{k} = {toml_value(data[k])}" for k in _TOP if k in data)
    for table, keys in _TABLES:
        values = data.get(table, {})
        present = [k for k in keys if k in values]
        if present:
            lines += ["", f"[{table}]"] + [f"{k} = {toml_value(values[k])}" for k in present]
    for target in data.get("promote", {}).get("targets", []):
        lines += ["", "[[promote.targets]]"] + [f"{k} = {toml_value(target[k])}" for k in _TARGET_KEYS if k in target]
    for extra in data.get("extra_images", []):
        lines += ["", "[[extra_images]]"] + [f"{k} = {toml_value(extra[k])}" for k in _EXTRA_KEYS if k in extra]
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    text = " ".join(str(text).split())
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


# ---------------------------------------------------------------------------
# The command

def validate_text(text: str, config_path: str, cwd: Path) -> Any:
    """Load the text as pinflow would; ConfigError (naming ``config_path``) if it doesn't."""
    from pinflow.config import load_config

    with tempfile.TemporaryDirectory(prefix="pinflow-init-") as tmp:
        path = Path(tmp) / "pinflow.toml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_config(config_path=str(path), cwd=cwd)
        except ConfigError as exc:
            lines = [line.replace(str(path), config_path) for line in exc.lines()]
            raise ConfigError(f"{config_path}: the inferred config does not load: {lines[0]}",
                              [f"the inferred config does not load, nothing written: {line}" for line in lines]) from None


def report_lines(inf: Inference) -> list[str]:
    lines = ["inferred:"] if inf.facts else []
    lines.extend(f"  {f.key} = {toml_value(f.value)}  (from {f.where})" for f in inf.facts)
    if inf.misses:
        lines.append("could not infer:")
        lines.extend(f"  {m.key}: {_comment(m.reason)}" for m in inf.misses)
    if inf.notes:
        lines.append("notes:")
        lines.extend(f"  {_comment(n)}" for n in inf.notes)
    return lines


def run_init(*, workflow: str | None, config_path: str, force: bool, out: IO[str], err: IO[str]) -> int:
    """Infer, report (stdout), validate, write atomically; exit 2 on anything that stops the write."""
    cwd = Path.cwd()
    if Path(config_path).name == PYPROJECT:
        raise InputError(f"{config_path}: init writes a standalone pinflow.toml; copy it under [tool.pinflow] by hand")
    if os.path.lexists(config_path) and not force:
        raise InputError(f"{config_path}: exists, use --force to overwrite it")
    if workflow is None:
        workflow = discover_workflow(cwd)
    layout = layout_of(workflow, cwd)
    wf = load_workflow(workflow, workflow, layout.dialect or "gitea")
    inf = infer(wf, layout)
    text = format_toml(inf)
    out.write("\n".join(report_lines(inf)) + "\n")
    if "template_name" not in inf.data:
        raise ConfigError(f"{config_path}: nothing written: no template_name could be inferred (see above); "
                          "write the config by hand, or run init in a folder named *-workspace-template-<name>")
    config = validate_text(text, config_path, cwd)
    _try_render(config, err)
    from pinflow.yamlio import atomic_write

    atomic_write(config_path, text)
    err.write(f"pinflow: wrote {config_path} (inferred from {workflow})\n")
    return 0


def _try_render(config: Any, err: IO[str]) -> None:
    from pinflow.render import render_workflow

    try:
        render_workflow(config)
    except PinflowError as exc:
        for line in exc.lines():
            err.write(f"pinflow: warning: `pinflow render` fails with the inferred config: {line}\n")
