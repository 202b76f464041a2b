"""Render the publish-image workflow from a Config; refuse to emit a broken one.

The templates see only validated values, and quote each for its context
anyway (defence in depth): ``yaml`` for a YAML scalar, ``line`` for a line of
a block scalar, ``secret``/``expr_str`` inside an expression, ``sh`` for a
shell word, ``comment`` for a comment. Scripts are plain bash files that read
only their environment and are inlined verbatim into ``run: |``.

User templates (``templates_dir``) load first through a ChoiceLoader, in a
sandbox with bounded loops and output, so they may ``{% extends
"publish-image.yml.j2" %}`` and fill its blocks. jinja2 is imported only here,
and only when something renders.
"""
from __future__ import annotations

import contextvars
import functools
import os
import shlex
import time
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from pinflow import __version__
from pinflow.config import Config, default_output_path, first_control_character
from pinflow.errors import ConfigError, TemplateError
from pinflow.records import NamedTuple

if TYPE_CHECKING:
    import jinja2

# Full commit SHAs (the tag in the comment is for people and for Dependabot-style bumps).
ACTIONS = {
    "checkout": "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2",
    "docker_login": "docker/login-action@5e57cd118135c172c3672efd75eb46360885c0ef # v3.6.0",
    "aws_credentials": "aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2",
    "ecr_login": "aws-actions/amazon-ecr-login@062b18b96a7aff071d4dc91bc00c4c1a7945b076 # v2.0.1",
    "setup_buildx": "docker/setup-buildx-action@4d04d5d9486b7bd6fa91e7baf45bbb4f8b9deedd # v4.0.0",
    "build_push": "docker/build-push-action@bcafcacb16a39f128d818304e6c9c0c18556b85f # v7.1.0",
}
VERSION_JOB = "resolve-version"
PUBLISH_JOB = "publish"
PROMOTE_JOB = "promote-pin"
VERIFY_JOB = "verify-pin"
BUILTIN_PREFIX = "pinflow/"  # "pinflow/publish-image.yml.j2" always names the built-in

# Bounds for (user) templates: a template is code, and code can loop.
MAX_OUTPUT = 2 * 1024 * 1024
MAX_RANGE = 10_000
MAX_SECONDS = 10.0


# ---------------------------------------------------------------------------
# Quoting filters. Each refuses what its context cannot hold, rather than
# trusting that validation ran: a template bug must not become an injection.

class QuotingError(ValueError):
    """A value cannot be emitted safely in the context its filter serves."""


_YAML_SPECIAL = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", ".nan"}
_PLAIN_FIRST = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_IDENT = _PLAIN_FIRST | set("0123456789")
# No ':', '#', ',', quotes or brackets: such a plain scalar means the same in
# block and flow context, in YAML 1.1 and 1.2.
_PLAIN_REST = _IDENT | set("./-()@+ ")


def _one_line(value: Any, context: str) -> str:
    text = str(value)
    bad = first_control_character(text)  # (the same rule config validation applies)
    if bad is not None:
        raise QuotingError(f"{context}: control character {bad!r} in {text[:40]!r}")
    return text


def yaml_scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly ``value``: plain when unambiguous, else single-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = _one_line(value, "yaml")
    if _is_plain(text) or _is_plain_expression(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _is_plain(text: str) -> bool:
    if not text or text != text.strip() or "  " in text or text.lower() in _YAML_SPECIAL:
        return False
    first_ok = text[0] in _PLAIN_FIRST or (text[0] == "." and (len(text) == 1 or text[1] in _PLAIN_FIRST | {"/"}))
    return first_ok and set(text) <= _PLAIN_REST


def _is_plain_expression(text: str) -> bool:
    # One whole `${{ … }}` reads the same plain; ': ' or ' #' would end or cut it.
    return (text.startswith("${{ ") and text.endswith(" }}") and text.count("${{") == 1
            and text.count("}}") == 1 and ": " not in text and " #" not in text)


def flow_list(values: Sequence[Any]) -> str:
    return "[" + ", ".join(yaml_scalar(v) for v in values) + "]"


def runs_on(labels: Sequence[str]) -> str:
    return yaml_scalar(labels[0]) if len(labels) == 1 else flow_list(labels)


def secret_name(value: Any) -> str:
    text = str(value)
    if not text or text[0] not in _PLAIN_FIRST or not set(text) <= _IDENT:
        raise QuotingError(f"secret: {text[:40]!r} is not a secret name")
    return text


def expr_str(value: Any) -> str:
    """A string literal inside ``${{ }}``."""
    text = _one_line(value, "expr_str")
    if "}}" in text or "${{" in text:
        raise QuotingError(f"expr_str: expression delimiters in {text[:40]!r}")
    return "'" + text.replace("'", "''") + "'"


def expr(text: str) -> str:
    text = _one_line(text, "expr")
    if "}}" in text or "${{" in text:
        raise QuotingError(f"expr: nested expression delimiters in {text[:40]!r}")
    return "${{ " + text + " }}"


def block_line(value: Any) -> str:
    """One line inside a block scalar (``tags: |``, ``build-args: |``)."""
    return _one_line(value, "line")


def comment(value: Any) -> str:
    return _one_line(value, "comment")


def shell_word(value: Any) -> str:
    return shlex.quote(_one_line(value, "sh"))


def indent_block(text: str, width: int) -> str:
    """Indent a script as the body of ``run: |`` (blank lines stay empty)."""
    pad = " " * width
    return "\n".join(pad + line if line.strip() else "" for line in text.rstrip("\n").split("\n"))


FILTERS = {
    "yaml": yaml_scalar,
    "flow": flow_list,
    "runs_on": runs_on,
    "secret": secret_name,
    "expr_str": expr_str,
    "line": block_line,
    "comment": comment,
    "sh": shell_word,
    "block": indent_block,
}


# ---------------------------------------------------------------------------
# What the templates see

class ImageView(NamedTuple):
    template_name: str
    image: str
    dockerfile: str
    context: str
    platforms: tuple[str, ...]
    build_args: tuple[tuple[str, str], ...]
    smoke_test: tuple[str, ...]
    publish_id: str
    promote_id: str
    verify_id: str
    publish_needs: tuple[str, ...]
    promote_needs: tuple[str, ...]
    verify_needs: tuple[str, ...]
    git_sha: str  # an expression


class TargetView(NamedTuple):
    name: str
    url: str
    verify_url: str
    token_secret: str


class PromoteView(NamedTuple):
    matrix: tuple[TargetView, ...]  # () for a single target: literal values, no strategy
    target: str
    url: str
    verify_url: str
    token: str  # an expression reading exactly one secret per leg


def _verify_url(url: str) -> str:
    return url[: -len("/promote")] if url.endswith("/promote") else url


def _promote_view(config: Config) -> PromoteView:
    targets = tuple(TargetView(t.name, t.url, _verify_url(t.url), t.token_secret) for t in config.targets)
    if len(targets) == 1:
        only = targets[0]
        return PromoteView((), only.name, only.url, only.verify_url, expr("secrets." + secret_name(only.token_secret)))
    # Each leg reads only its own secret: a static reference per target (no
    # secrets[...] indexing, which would hand the whole secrets context over).
    chain = " || ".join(f"matrix.target == {expr_str(t.name)} && secrets.{secret_name(t.token_secret)}" for t in targets)
    return PromoteView(targets, expr("matrix.target"), expr("matrix.url"), expr("matrix.verify_url"), expr(f"{chain} || ''"))


def _job_suffix(template_name: str) -> str:
    return template_name.replace(".", "-")


def _image_views(config: Config, publish_job: str, sha_job: str | None) -> list[ImageView]:
    version_arg = ("RUNTIME_VERSION", expr(f"needs.{VERSION_JOB}.outputs.version"))
    git_sha = expr(f"needs.{sha_job}.outputs.sha") if sha_job else expr("github.sha")
    head = (sha_job,) if sha_job else ()
    extras, seen = [], {PUBLISH_JOB}
    for extra in config.extra_images:
        suffix = _job_suffix(extra.template_name)
        if suffix in seen:
            raise ConfigError(f"extra_images: {extra.template_name!r} gives the same job ids as another image")
        seen.add(suffix)
        extras.append((extra, f"{PUBLISH_JOB}-{suffix}", f"{PROMOTE_JOB}-{suffix}", f"{VERIFY_JOB}-{suffix}"))
    # A repo's pins move only once every one of its images is pushed: each
    # promote job waits for every publisher (the extra ones run after the main
    # one, since an extra Dockerfile may build FROM the main image).
    publishers = (publish_job,) + tuple(pub for _, pub, _, _ in extras)
    views = [ImageView(
        config.template_name, config.image, config.dockerfile, config.context, config.platforms,
        _with_default(version_arg, config.build_args), config.smoke_test,
        publish_job, PROMOTE_JOB, VERIFY_JOB,
        (VERSION_JOB,), head + publishers, head + publishers + (PROMOTE_JOB,), git_sha,
    )]
    for extra, pub, pro, ver in extras:
        views.append(ImageView(
            extra.template_name, extra.image, extra.dockerfile, extra.context, extra.platforms,
            _with_default(version_arg, extra.build_args), extra.smoke_test,
            pub, pro, ver,
            (VERSION_JOB, publish_job), head + publishers, head + publishers + (pro,), git_sha,
        ))
    return views


def _with_default(default: tuple[str, str], args: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return args if any(k == default[0] for k, _ in args) else (default,) + args


def regenerate_command(config: Config) -> str:
    return shlex.join(["pinflow", "render", *config.cli_args, "-o", default_output_path(config)])


def _variables(config: Config, publish_job: str = PUBLISH_JOB, sha_job: str | None = VERSION_JOB) -> dict[str, Any]:
    views = _image_views(config, publish_job, sha_job)
    return {
        # Paths stay out of templates: the workflow must not depend on where the config sits.
        "cfg": config._replace(source=None, templates_dir=None),
        "version": __version__,
        "origin": config.origin,
        "regen": regenerate_command(config),
        "is_github": config.dialect == "github",
        "actions": dict(ACTIONS),
        "images": views,
        "promote": _promote_view(config),
    }


# ---------------------------------------------------------------------------
# The jinja2 environment

class _Budget:
    """Wall-clock and iteration bounds for one render."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise QuotingError(f"template ran longer than {MAX_SECONDS:.0f}s (an endless loop?)")


# The render in progress (per thread/task: `fleet` renders in parallel).
_BUDGET: contextvars.ContextVar[_Budget] = contextvars.ContextVar("pinflow_render_budget")


def _bounded_range(*args: int) -> Iterator[int]:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise QuotingError(f"range() of {len(numbers)} items (at most {MAX_RANGE})")
    budget = _BUDGET.get()
    for n in numbers:
        budget.tick()
        yield n


class TemplateAbort(Exception):
    """Raised by ``{{ fail("why") }}`` in a template: the template refuses this config."""


def _fail(message: str) -> str:
    raise TemplateAbort(str(message))


def _unprefixed(name: str) -> str:
    return name[len(BUILTIN_PREFIX):] if name.startswith(BUILTIN_PREFIX) else name


def _builtin_source(name: str) -> str | None:
    """A file of the built-in templates folder, by a name relative to it."""
    from pinflow import resources

    parts = _unprefixed(name).split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return resources.read_template("/".join(parts))


def _checked_script(name: str, source: str) -> str:
    # Scripts are inlined verbatim (never templated: `${#x}` is bash, not a
    # Jinja comment) and must not hold an expression the runner would expand.
    if "${{" in source:
        raise QuotingError(f"script {name}: contains '${{{{', which the runner would expand inside run:")
    return source


def _builtin_script(name: str) -> str:
    source = _builtin_source(name)
    if source is None:
        raise QuotingError(f"script {name}: no such built-in script")
    return _checked_script(name, source)


@functools.lru_cache(maxsize=16)
def _environment(templates_dir: str | None) -> jinja2.Environment:
    """One environment per templates folder, so compiled templates are reused (fleet renders many repos)."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            # "x" * 10**9 would exhaust memory before any output bound is hit.
            if operator == "**" and isinstance(right, int) and right > 64:
                raise QuotingError(f"exponent {right} too large in a template")
            if operator == "*" and isinstance(left, (str, list, tuple)) and isinstance(right, int) and len(left) * right > MAX_OUTPUT:
                raise QuotingError("repetition too large in a template")
            return super().call_binop(context, operator, left, right)

    def builtin(name: str) -> tuple[str, str, Any] | None:
        source = _builtin_source(name)
        return None if source is None else (source, f"{BUILTIN_PREFIX}{_unprefixed(name)}", lambda: True)

    loader: jinja2.BaseLoader = jinja2.FunctionLoader(builtin)
    if templates_dir is not None:  # (user templates may override any built-in name)
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates_dir), loader])
    env = Sandbox(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=True,  # a user template edited between renders of one process is re-read
    )
    env.filters.update(FILTERS)
    env.globals.pop("lipsum", None)  # lipsum(10**9) is an unbounded allocation

    def script(name: str) -> str:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        return _checked_script(name, source)

    env.globals.update(range=_bounded_range, expr=expr, script=script, fail=_fail)
    return env


def _render(config: Config, variables: dict[str, Any]) -> str:
    if config.templates_dir is None:
        text = _render_builtin(config, variables)
        if text is not None:
            return text
    return _render_jinja(config, variables)


def _render_builtin(config: Config, variables: dict[str, Any]) -> str | None:
    """The built-in templates through their compiled module (no jinja2 import); None when it cannot."""
    from pinflow import precompiled

    name = _unprefixed(config.template_file)
    render = precompiled.renderer() if name in precompiled.TEMPLATES else None
    if render is None:
        return None
    context = {"range": _bounded_range, "expr": expr, "script": _builtin_script, "fail": _fail, **variables}
    chunks: list[str] = []
    size = 0

    def write(chunk: str) -> None:
        nonlocal size
        size += len(chunk)
        if size > MAX_OUTPUT:  # (a config can hold long values: the same bound as jinja2's renders)
            raise _OutputTooLarge(_too_large())
        chunks.append(chunk)

    token = _BUDGET.set(_Budget())
    try:
        render(context, FILTERS, write, name)
    except _OutputTooLarge as exc:
        raise TemplateError(f"{config.template_file}: error: {exc}") from None
    except RecursionError:
        raise TemplateError(f"{config.template_file}: recursion too deep") from None
    except ConfigError:
        raise
    except (precompiled.UndefinedValue, precompiled.Refused, QuotingError, TemplateAbort, ArithmeticError, LookupError, TypeError,
            ValueError) as exc:
        raise _failure(exc, config.template_file, precompiled.UndefinedValue) from None
    finally:
        _BUDGET.reset(token)
    return "".join(chunks)


class _OutputTooLarge(Exception):
    pass


def _too_large() -> str:
    return f"output larger than {MAX_OUTPUT // (1024 * 1024)} MiB"


def _failure(exc: BaseException, name: str, undefined: type[BaseException]) -> TemplateError:
    """What a template raised while rendering, at its template line (either renderer)."""
    kind = "undefined value" if isinstance(exc, undefined) else "fail()" if isinstance(exc, TemplateAbort) else "error"
    return TemplateError(f"{_template_frame(exc, name)}: {kind}: {' '.join(str(exc).split())}")


def _render_jinja(config: Config, variables: dict[str, Any]) -> str:
    import jinja2

    budget = _Budget()
    token = _BUDGET.set(budget)
    env = _environment(None if config.templates_dir is None else str(config.templates_dir))
    name = config.template_file
    try:
        template = env.get_template(name)
        chunks, size = [], 0
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise QuotingError(_too_large())
            budget.tick()
            chunks.append(chunk)
        return "".join(chunks)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{_shown(exc.filename or exc.name or name)}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{name}: template not found: {exc.name}") from None
    except RecursionError:
        raise TemplateError(f"{name}: recursion too deep (an extends/include/macro cycle?)") from None
    except ConfigError:
        raise
    except (jinja2.TemplateError, QuotingError, TemplateAbort, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise _failure(exc, name, jinja2.UndefinedError) from None
    finally:
        _BUDGET.reset(token)


def _template_frame(exc: BaseException, default: str) -> str:
    """``file:line`` of the innermost template frame (jinja2 rewrites tracebacks to template lines)."""
    import traceback

    from pinflow import precompiled

    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if frame.filename.endswith(".j2") or frame.filename.startswith(BUILTIN_PREFIX):
            return f"{_shown(frame.filename)}:{frame.lineno}"
        compiled = precompiled.template_frame(frame.filename, frame.lineno or 0)
        if compiled is not None:
            return compiled
    return default


def _shown(filename: str) -> str:
    if not os.path.isabs(filename):
        return filename
    rel = os.path.relpath(filename)
    return filename if rel.startswith("..") else rel


# ---------------------------------------------------------------------------
# Self-check: render parses its own output back before anyone sees it.

def _compose(text: str, where: str) -> Any:
    from pinflow import yamlio

    try:
        return yamlio.compose(text)
    except yamlio.YamlProblem as exc:
        raise TemplateError(f"{where}: rendered text is not valid YAML (line {exc.line}, column {exc.column}): {exc.message}") from None


def _load(text: str, where: str) -> Any:
    from pinflow.schema import to_data

    root = _compose(text, where)
    return to_data(root) if root is not None else None


def _needs(job: Any) -> list[str]:
    needs = job.get("needs", []) if isinstance(job, dict) else []
    return [needs] if isinstance(needs, str) else [n for n in needs if isinstance(n, str)] if isinstance(needs, list) else []


def _runs_without_expressions(jobs: dict[str, Any]) -> list[str]:
    problems = []
    for job_id, job in jobs.items():
        for i, step in enumerate(job.get("steps", []) if isinstance(job, dict) else []):
            if isinstance(step, dict) and "${{" in str(step.get("run", "")):
                problems.append(f"jobs.{job_id}.steps[{i}].run: contains an expression (pass values through env:)")
    return problems


def _contract_problems(data: Any, config: Config) -> list[str]:
    """The minimum render promises; ``pinflow.lint`` checks the rest."""
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        return ["no jobs: mapping"]
    jobs: dict[str, Any] = data["jobs"]
    problems = _runs_without_expressions(jobs)
    publish = jobs.get(PUBLISH_JOB)
    if not isinstance(publish, dict):
        return problems + [f"no {PUBLISH_JOB} job"]
    if (publish.get("outputs") or {}).get("digest") != expr("steps.push.outputs.digest"):
        problems.append(f"jobs.{PUBLISH_JOB}.outputs.digest is not {expr('steps.push.outputs.digest')}")
    if not any(isinstance(s, dict) and s.get("id") == "push" for s in publish.get("steps", [])):
        problems.append(f"jobs.{PUBLISH_JOB}: no step with id: push")
    if PUBLISH_JOB not in _needs(jobs.get(PROMOTE_JOB)):
        problems.append(f"jobs.{PROMOTE_JOB}: missing, or its needs lack {PUBLISH_JOB}")
    return problems


def _lint_problems(text: str, config: Config, root: Any = None) -> list[str]:
    from pinflow.lint import lint_text

    findings = lint_text(text, path=default_output_path(config), dialect=config.dialect,
                         main_branch=config.main_branch, gitea_version=config.gitea_version, root=root)
    return [f"line {f.line}: {f.rule} {f.message}" for f in findings if f.severity == "error"]


def check_rendered(text: str, config: Config) -> None:
    from pinflow.schema import to_data

    where = config.template_file
    root = _compose(text, where)  # once, for both checks
    problems = _contract_problems(to_data(root) if root is not None else None, config)
    problems = problems or _lint_problems(text, config, root)
    if problems:
        raise TemplateError(problems[0], [f"{where}: rendered workflow breaks the contract: {p}" for p in problems])


# ---------------------------------------------------------------------------
# Public API

def render_workflow(config: Config) -> str:
    """The complete workflow text, checked; deterministic for a given config.

    Kept in the render cache (pinflow/cache.py) by everything that decides
    the text, so an unchanged repo renders (and `pinflow check` compares)
    without importing jinja2 or linting again.
    """
    if not config.template_name:
        raise ConfigError("template_name: required to render")
    store = _render_cache(config)
    text = store.get() if store is not None else None
    if text is None:
        text = _render(config, _variables(config))
        check_rendered(text, config)
        if store is not None:
            store.put(text)
    return text


def _render_cache(config: Config) -> Any:
    from pinflow import cache, resources

    if not cache.enabled():
        return None
    folders = [] if config.templates_dir is None else [str(config.templates_dir)]
    builtin = resources.folder_on_disk("templates")
    if builtin is None:
        return None  # a zipped install: nothing to stamp
    return cache.RenderCache.for_inputs(config, [builtin, *folders])


def render_promote_jobs(config: Config, publish_job: str = PUBLISH_JOB, sha_job: str | None = VERSION_JOB) -> str:
    """Just the ``promote-pin`` (and ``verify-pin``) entries, as under ``jobs:`` (2-space indent).

    Rendered from the same template blocks as the whole workflow, so ``pinflow
    fix`` can append them to a hand-written one: ``publish_job`` is the job
    whose ``outputs.digest`` carries the pushed digest; ``sha_job`` a job with
    an ``outputs.sha``, or None to post ``github.sha``.
    """
    for job_id in (publish_job, sha_job):
        if job_id is not None and (not job_id or job_id[0] not in _PLAIN_FIRST or not set(job_id) <= _IDENT | {"-"}):
            raise ConfigError(f"{job_id!r} is not a job id")
    if not config.template_name:
        raise ConfigError("template_name: required to render")
    # The main image only: a hand-written workflow has no extra publishers to wait for.
    main_only = config._replace(extra_images=())
    text = _render(main_only, _variables(main_only, publish_job, sha_job))
    snippet = _slice_jobs(text, (PROMOTE_JOB, VERIFY_JOB) if config.verify else (PROMOTE_JOB,), config.template_file)
    jobs = _load("jobs:\n" + snippet, config.template_file)["jobs"]
    problems = _runs_without_expressions(jobs)
    if publish_job not in _needs(jobs.get(PROMOTE_JOB)):
        problems.append(f"jobs.{PROMOTE_JOB}: missing, or its needs lack {publish_job}")
    if problems:
        raise TemplateError(problems[0], [f"{config.template_file}: promote jobs break the contract: {p}" for p in problems])
    return snippet


def _slice_jobs(text: str, wanted: tuple[str, ...], where: str) -> str:
    """The source lines of the wanted ``jobs:`` entries, found by composing (not by pattern)."""
    from pinflow import model, yamlio

    root = yamlio.compose(text)
    lines = text.split("\n")
    spans = []
    for job_id, key, value in model.items(model.get(root, "jobs")):
        if job_id in wanted:
            # A block mapping ends where the next key starts: that line is not ours.
            end = value.end_mark.line
            if lines[end][: value.end_mark.column].strip() if end < len(lines) else False:
                end += 1
            spans.append((key.start_mark.line, end))
    if len(spans) != len(wanted):
        raise TemplateError(f"{where}: rendered workflow lacks one of the jobs {', '.join(wanted)}")
    out = []
    for start, end in sorted(spans):
        chunk = lines[start:end]
        while chunk and not chunk[-1].strip():
            chunk.pop()
        out.append("\n".join(chunk))
    return "\n\n".join(out) + "\n"


def shown_path(path: str) -> str:
    """A workflow path as headers and messages show it: normalised, and
    relative when it is below the working folder (no machine paths in files)."""
    if os.path.isabs(path):
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else os.path.normpath(path)
    return os.path.normpath(path)


def run_render(*, template_name: str | None, config_path: str | None, overrides: Sequence[str],
               dialect: str | None, output: str | None, out: IO[str], err: IO[str]) -> int:
    from pinflow.config import load_config

    config = load_config(config_path=config_path, overrides=overrides, template_name=template_name, dialect=dialect)
    if output == "-":  # (the usual spelling of standard output)
        output = None
    if output is not None:
        # The header's "regenerate with" names the file this render goes to
        # (relative to here when it is below here: no machine paths in files).
        config = config._replace(output=shown_path(output))
    text = render_workflow(config)
    if output is None:
        out.write(text)
        return 0
    from pinflow.yamlio import atomic_write

    changed = atomic_write(output, text)
    err.write(f"pinflow: {'wrote' if changed else 'unchanged'} {output}\n")
    return 0
