"""PF3xx: does the promote request fail the run on anything but 2xx, and keep the token safe."""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pinflow import model
from pinflow.lintctx import Context, Hit, expression_contexts
from pinflow.model import Job, Step
from pinflow.rules import rule

if TYPE_CHECKING:
    from pinflow.shell import HttpCall, ScriptReport

_SWALLOWED = ("swallowed", "errexit-off")


@rule("PF301", "http-not-fail-loud")
def http_not_fail_loud(ctx: Context) -> Iterator[Hit]:
    """An HTTP call in the promote job does not fail the step on a non-2xx response.

    ## Why

    curl exits 0 on a 401, 404 or 500 unless told otherwise. A promote that
    ignores the status leaves a green run behind a stranded pin: the image is
    published, the pin never moved, and nobody knows. pinflow decides this
    the way bash does: `--fail`/`-f`/`--fail-with-body` (also inside combined
    flags such as `-fsS`), or `-w '%{http_code}'` captured and checked by a
    branch that exits non-zero; and the resulting failure must end the step
    under the effective shell (`set -e`, pipefail, last command, conditions,
    `&&`/`||` lists, `$(…)` as an argument, `local x=$(…)`). GitHub runs a
    step without `shell:` as `bash -e {0}` (no pipefail), act/Gitea as
    `bash --noprofile --norc -e -o pipefail {0}`: the same `curl … | jq`
    can be loud on Gitea and quiet on GitHub. When the analysis cannot decide
    it says so rather than guessing.

    ## Fails

    ```bash
    curl -sS -X POST -H "Authorization: Bearer $CP_TOKEN" -d "$body" "$CP_URL"
    ```

    ## Passes

    ```bash
    set -euo pipefail
    curl -sS --fail-with-body -X POST -H "Authorization: Bearer $CP_TOKEN" -d "$body" "$CP_URL"
    ```
    """
    for job, step, call in _http_calls(ctx):
        if call.verdict == "quiet" and not call.cause.startswith(_SWALLOWED):
            yield _hit(ctx, job, step, call, call.reason)
        elif call.verdict == "unknown":
            yield _hit(ctx, job, step, call, f"cannot prove a non-2xx fails the step: {call.reason}")


@rule("PF302", "http-failure-swallowed")
def http_failure_swallowed(ctx: Context) -> Iterator[Hit]:
    """The failure of the promote request is swallowed.

    ## Why

    `|| true`, `|| echo …`, `set +e` without a later check, a branch that
    only prints `::warning::`, or `continue-on-error: true` on the step or
    the job all turn a refused promote into a green run. The pin stays on
    the old image while every dashboard says the publish succeeded.

    ## Fails

    ```bash
    curl --fail-with-body -X POST -d "$body" "$CP_URL" || echo "::warning::promote failed"
    ```

    ## Passes

    ```bash
    curl --fail-with-body -X POST -d "$body" "$CP_URL" || { echo "::error::promote failed"; exit 1; }
    ```
    """
    for job, step, call in _http_calls(ctx):
        if call.verdict == "quiet" and call.cause.startswith(_SWALLOWED):
            yield _hit(ctx, job, step, call, call.reason)
    for job in ctx.promoters:
        if model.may_be_true(job.continue_on_error):
            yield Hit(model.pos(job.continue_on_error), f"job '{job.id}': `continue-on-error` makes a failed promote look green", job.id)
        for step in job.steps:
            if step.run and model.may_be_true(step.continue_on_error) and _reports(ctx, job, step)[0].http_calls:
                yield Hit(model.pos(step.continue_on_error), f"job '{job.id}': `continue-on-error` on {step.label()} makes a failed promote look green", job.id, step.label())


@rule("PF303", "token-unsafe")
def token_unsafe(ctx: Context) -> Iterator[Hit]:
    """The promote token is handled unsafely.

    ## Why

    `${{ secrets.X }}` pasted into a `run:` script is substituted into the
    script text before bash sees it: it lands in the runner's temp script
    file and, with any quoting mistake, in the log or a shell injection.
    `set -x` prints every expanded command, Authorization header included,
    and an `echo` of the token variable prints it outright. Pass the secret
    through `env:` and never trace or print it.

    ## Fails

    ```yaml
    run: |
      set -x
      curl -H "Authorization: Bearer ${{ secrets.CP_ADMIN_API_TOKEN }}" "$CP_URL"
    ```

    ## Passes

    ```yaml
    env:
      CP_TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
    run: |
      curl --fail-with-body -H "Authorization: Bearer ${CP_TOKEN}" "$CP_URL"
    ```
    """
    for job in ctx.promoters:
        for step in job.steps:
            if not step.run:
                continue
            run_node = step.field("run")
            if any(p and p[0] == "secrets" for p in expression_contexts(step.run)):
                offset = _secret_expression_offset(step.run)
                yield Hit(ctx.pos_in_scalar(run_node, max(offset, 0)), f"job '{job.id}': `${{{{ secrets.* }}}}` inside `run:` of {step.label()}; pass it through `env:`", job.id, step.label())
            report, _ = _reports(ctx, job, step)
            for line, col in report.xtrace:
                yield Hit(model.scalar_position(run_node, ctx.lines, line, col), f"job '{job.id}': `set -x` in {step.label()} prints the Authorization header to the log", job.id, step.label())
            for line, col, name in report.secret_echoes:
                yield Hit(model.scalar_position(run_node, ctx.lines, line, col), f"job '{job.id}': {step.label()} prints the secret variable ${name}", job.id, step.label())


def _secret_expression_offset(script: str) -> int:
    """Where the first `${{ … secrets … }}` starts (not a mere word `secrets`)."""
    from pinflow import expressions

    try:
        for emb in expressions.find_embedded(script):
            if any(p and p[0] == "secrets" for p in expression_contexts(script[emb.start:emb.end])):
                return emb.start
    except expressions.ExprError:
        pass
    return 0


def _http_calls(ctx: Context) -> Iterator[tuple[Job, Step, HttpCall]]:
    for job in ctx.promoters:
        for step in job.steps:
            if step.run:
                report, _ = _reports(ctx, job, step)
                for call in report.http_calls:
                    yield job, step, call


def _reports(ctx: Context, job: Job, step: Step) -> tuple[ScriptReport, object]:
    """Analyze a step's script once per lint run (PF301-303 share it)."""
    cache: dict[int, tuple[ScriptReport, object]] = ctx.__dict__.setdefault("_shell_reports", {})
    key = id(step.node)
    if key not in cache:
        from pinflow.shell import analyze, effective_shell

        shell = effective_shell(step.shell, job.default_shell, ctx.opts.dialect)
        cache[key] = (analyze(step.run or "", shell, _secret_vars(ctx, job, step)), shell)
    return cache[key]


def _secret_vars(ctx: Context, job: Job, step: Step) -> frozenset[str]:
    env = {**ctx.wf.env, **job.env, **step.env}
    return frozenset(name for name, node in env.items() if any(p and p[0] == "secrets" for p in expression_contexts(model.text(node) or "")))


def _hit(ctx: Context, job: Job, step: Step, call: HttpCall, message: str) -> Hit:
    where = model.scalar_position(step.field("run"), ctx.lines, call.line, call.column)
    return Hit(where, f"job '{job.id}': {call.tool} in {step.label()}: {message}", job.id, step.label())

