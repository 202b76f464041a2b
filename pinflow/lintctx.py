"""What a rule sees: the workflow model, lint options, and the contract analysis.

The analysis answers, once per file, the questions every contract rule asks:
which steps push an image, which jobs publish, which jobs promote a digest.
It follows step ids and `needs` wiring rather than action names, because
real repos push with a shell `docker push` as often as with an action.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from pinflow import model
from pinflow.model import Job, Pos, Step, Workflow
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

    from pinflow.expressions import Node as ExprNode

BUILD_PUSH_ACTION = "docker/build-push-action"
# Commands that push one image, named by their first plain argument.
IMAGE_PUSHES = (("docker", "push"), ("docker", "image", "push"), ("podman", "push"), ("buildah", "push"))
_PUSH_COMMANDS = IMAGE_PUSHES + (
    ("docker", "manifest", "push"), ("podman", "manifest", "push"), ("buildah", "manifest", "push"),
    ("docker", "buildx", "imagetools", "create"),
)
# Builds that push with `--push` or an `--output` of type registry.
_BUILDS = frozenset({("docker", "build"), ("docker", "buildx", "build"), ("docker", "buildx", "bake"),
                     ("docker", "image", "build"), ("podman", "build")})
# docker/podman global flags that take no value.
_GLOBAL_FLAGS = frozenset({"-D", "--debug", "--tls", "--tlsverify", "--remote"})
_HTTP_TOOLS = frozenset({"curl", "wget", "http", "https"})


class Hit(NamedTuple):
    """What a rule yields; the linter adds path, code and severity."""

    pos: Pos
    message: str
    job: str | None = None
    step: str | None = None


class Options(NamedTuple):
    dialect: str = "github"
    main_branch: str = "main"
    gitea_version: str = "1.22"


class Publisher(NamedTuple):
    job: Job
    steps: tuple[Step, ...]  # every pushing step, in order

    @property
    def step(self) -> Step:
        """The step whose digest the contract is about: the one the job's
        `outputs.digest` names if that one pushes, else the last pushing step."""
        named = output_step_id(self.job.outputs.get("digest"))
        for s in self.steps:
            if named is not None and s.id == named:
                return s
        # A shell push often reports its digest from a later step
        # (`docker inspect`, `imagetools inspect`) that writes `digest=`.
        first_push = self.steps[0].index
        for s in self.job.steps:
            if named is not None and s.id == named and s.index > first_push and writes_output(s, "digest"):
                return s
        return self.steps[-1]


class DigestRead(NamedTuple):
    job: str  # the needed job whose output is read
    output: str
    node: Node  # the scalar holding the expression
    offset: int = 0  # where `needs.<job>` starts in the scalar's value


class Context:
    def __init__(self, wf: Workflow, opts: Options) -> None:
        self.wf = wf
        self.opts = opts

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.wf.text.splitlines()

    @functools.cached_property
    def publishers(self) -> list[Publisher]:
        found = []
        for job in self.wf.jobs.values():
            steps = tuple(s for s in job.steps if step_pushes(s))
            # A job that pushes a digest it read from an upstream job (a retag
            # to `:prod`) publishes nothing new: the upstream job is the publisher.
            if steps and not _reads_upstream_digest(job):
                found.append(Publisher(job, steps))
        return found

    @functools.cached_property
    def promoters(self) -> list[Job]:
        return [job for job in self.wf.jobs.values() if self._promotes(job)]

    @property
    def is_contract(self) -> bool:
        return bool(self.publishers or self.promoters)

    def digest_reads(self, job: Job) -> list[DigestRead]:
        return _needs_reads(job)

    def _promotes(self, job: Job) -> bool:
        if any(job.id == p.job.id for p in self.publishers):
            return False
        if _reads_upstream_digest(job) and job_sends_http(job):
            return True
        # A promote job that lost its wiring still calls the promote endpoint.
        return job_calls_http(job) and ("promote" in job.id.lower() or _mentions_promote_endpoint(job))

    def pos_in_scalar(self, node: Node, offset: int) -> Pos:
        value = str(node.value)
        line, col = model.offset_to_line_col(value, offset)
        return model.scalar_position(node, self.lines, line, col)


# ---------------------------------------------------------------------------
# Steps

def action_name(uses: str) -> str:
    """`owner/repo` of a step's `uses:`, also for Gitea's absolute URLs
    (`https://github.com/docker/build-push-action@v6`) and sub-paths."""
    ref = uses.split("@", 1)[0].strip().lower()
    if "://" in ref:
        ref = ref.split("://", 1)[1].split("/", 1)[-1]  # drop scheme and host
    return "/".join(ref.split("/")[:2])


def step_pushes(step: Step) -> bool:
    if step.uses and action_name(step.uses) == BUILD_PUSH_ACTION:
        return _action_pushes(step)
    if step.run:
        return _script_pushes(step.run)
    return False


@functools.lru_cache(maxsize=1024)
def _script_pushes(script: str) -> bool:
    # A pure function of the text, asked for every step of every file: a
    # fleet's repeated scripts are answered once.
    return any(_command_pushes(words) for words in _commands(script))


def _action_pushes(step: Step) -> bool:
    push = step.with_.get("push")
    value = model.text(push)
    if value is not None and value.strip().lower() != "false":
        return True  # `true`, or an expression that may be true
    outputs = (model.text(step.with_.get("outputs")) or "") + (model.text(step.with_.get("output")) or "")
    # An `outputs:` computed by an expression may well push (real repos pick
    # `type=image,push=true` per event): treat it as a push, not as a load.
    return "push=true" in outputs.replace(" ", "") or "type=registry" in outputs or "${{" in outputs


def _command_pushes(words: list[str]) -> bool:
    words = _without_global_options(words)
    if any(tuple(words[: len(c)]) == c for c in _PUSH_COMMANDS):
        return True
    if tuple(words[:2]) not in _BUILDS and tuple(words[:3]) not in _BUILDS:
        return False
    for i, word in enumerate(words):
        if word in ("--push", "--push=true"):
            return True
        value = None
        if word in ("--output", "-o") and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith(("--output=", "-o=")):
            value = word.split("=", 1)[1]
        if value is not None and _output_pushes(value):
            return True
    return False


def _output_pushes(value: str) -> bool:
    """A buildx `--output` spec (`type=registry,name=…` / `type=image,push=true`)."""
    parts = {p.strip() for p in value.split(",")}
    return "type=registry" in parts or "push=true" in parts


def _without_global_options(words: list[str]) -> list[str]:
    """`docker --context ci push x` -> `docker push x`."""
    if not words or words[0] not in ("docker", "podman"):
        return words
    out, i = [words[0]], 1
    while i < len(words) and words[i].startswith("-"):
        i += 1 if ("=" in words[i] or words[i] in _GLOBAL_FLAGS) else 2
    return out + words[i:]


def writes_output(step: Step, name: str) -> bool:
    """Does a `run:` step write `<name>=…` to $GITHUB_OUTPUT?"""
    if not step.run or "GITHUB_OUTPUT" not in step.run:
        return False
    prefix = f"{name}="
    return any(w[0] in ("echo", "printf", "tee", "cat") and any(prefix in arg for arg in w[1:])
               for w in _commands(step.run) if w) or f"\n{prefix}" in step.run or f"\n  {prefix}" in step.run


def _commands(script: str) -> list[list[str]]:
    from pinflow.shell import command_words

    return [words for _, _, words in command_words(script)]


def job_calls_http(job: Job) -> bool:
    return any(step_calls_http(s) for s in job.steps)


def step_calls_http(step: Step) -> bool:
    return bool(step.run) and _script_calls_http(step.run or "")


@functools.lru_cache(maxsize=1024)
def _script_calls_http(script: str) -> bool:
    return any(w and w[0] in _HTTP_TOOLS for w in _commands(script))


def job_sends_http(job: Job) -> bool:
    """Does the job make a request that sends data (a POST/PUT/PATCH or a body)?
    A `curl -o cosign <release>` download is not a promote."""
    return any(s.run and any(w and w[0] in _HTTP_TOOLS and _sends(w) for w in _commands(s.run)) for s in job.steps)


def _sends(words: list[str]) -> bool:
    for i, word in enumerate(words[1:], 1):
        if word in _BODY_FLAGS or word.startswith(_BODY_PREFIXES):
            return True
        method = word[2:] if word.startswith("-X") and len(word) > 2 else (words[i + 1] if word in ("-X", "--request") and i + 1 < len(words) else "")
        if word.startswith(("--request=", "--method=")):
            method = word.split("=", 1)[1]
        if method.upper() in ("POST", "PUT", "PATCH"):
            return True
        if words[0] in ("http", "https") and word.upper() in ("POST", "PUT", "PATCH"):
            return True
    return False


_BODY_FLAGS = frozenset({"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--json", "-F", "--form",
                         "-T", "--upload-file", "--post-data", "--post-file", "--body-data", "--body-file"})
_BODY_PREFIXES = ("--data=", "--data-raw=", "--data-binary=", "--json=", "--post-data=", "--post-file=", "--body-data=")


def _reads_upstream_digest(job: Job) -> bool:
    return any("digest" in r.output.lower() for r in _needs_reads(job))


def _mentions_promote_endpoint(job: Job) -> bool:
    return any("runtime-image/promote" in (s.run or "") or any("runtime-image/promote" in (model.text(v) or "") for v in s.env.values())
               for s in job.steps)


def output_step_id(node: Node | None) -> str | None:
    """`${{ steps.X.outputs.digest }}` -> X (None when it names no step output)."""
    for path in _contexts(node):
        if len(path) >= 4 and path[0] == "steps" and path[2] == "outputs":
            return path[1]
    return None


def output_step_ref(node: Node | None) -> tuple[str, str] | None:
    """`${{ steps.X.outputs.Y }}` -> (X, Y)."""
    for path in _contexts(node):
        if len(path) >= 4 and path[0] == "steps" and path[2] == "outputs":
            return path[1], path[3]
    return None


def _contexts(node: Node | None) -> list[tuple[str, ...]]:
    value = model.text(node)
    return expression_contexts(value) if value else []


def expression_contexts(value: str) -> list[tuple[str, ...]]:
    """Every context path used in the `${{ }}` expressions of a string."""
    return list(_expression_contexts(value))


@functools.lru_cache(maxsize=4096)
def _expression_contexts(value: str) -> tuple[tuple[str, ...], ...]:
    # Memoised: rules ask for the same strings many times per file, and a
    # fleet's files repeat them (callers get a fresh list).
    from pinflow import expressions

    paths: list[tuple[str, ...]] = []
    try:
        for emb in expressions.find_embedded(value):
            paths.extend(expressions.contexts_used(expressions.parse(emb.source)))
    except expressions.ExprError:
        pass  # PF003 reports it
    return tuple(paths)


def condition(value: str | None) -> ExprNode | None:
    """Parse an `if:` value; None when absent or unparsable (PF003 reports that)."""
    from pinflow import expressions

    if value is None:
        return None
    try:
        return expressions.parse_condition(value)
    except expressions.ExprError:
        return None


def _needs_reads(job: Job) -> list[DigestRead]:
    reads = []
    for node in _job_scalars(job):
        value = str(node.value)
        if "needs" not in value.lower():
            continue
        lower = value.lower()
        for path in expression_contexts(value):
            if len(path) >= 4 and path[0] == "needs" and path[2] == "outputs":
                reads.append(DigestRead(path[1], path[3], node, max(lower.find(f"needs.{path[1]}"), 0)))
    return reads


def _job_scalars(job: Job) -> list[Node]:
    """Every scalar under the job (each distinct node once; aliases not re-walked)."""
    out = []
    seen: set[int] = set()
    stack = [job.node]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if model.is_scalar(node):
            out.append(node)
        elif model.is_map(node):
            for k, v in node.value:
                stack.extend((v, k))
        elif model.is_seq(node):
            stack.extend(reversed(node.value))
    return out


def job_scalars(job: Job) -> list[Node]:
    return _job_scalars(job)
