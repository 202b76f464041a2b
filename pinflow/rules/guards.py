"""PF2xx: does the promote job run only after a green publish on main."""
from __future__ import annotations

from collections.abc import Iterator

from pinflow import model
from pinflow.lintctx import Context, Hit, condition, step_calls_http
from pinflow.model import Job
from pinflow.rules import rule


@rule("PF201", "promote-not-main-only")
def promote_not_main_only(ctx: Context) -> Iterator[Hit]:
    """The promote job is not restricted to the main branch.

    ## Why

    A promote that can run for a feature branch, a tag, a pull request or a
    manual dispatch on another ref moves the production pin to an image no
    one reviewed. The job's `if:` must imply `github.ref ==
    'refs/heads/<main>'` for every way the workflow can be triggered: an
    `||` that lets `workflow_dispatch` through, a `!=`, a wrong branch, or
    `startsWith(github.ref, 'refs/heads/main')` (also true for
    `refs/heads/main-hotfix`) all escape. `gitea.ref` and
    `github.ref_name == 'main'` are understood.

    ## Fails

    ```yaml
    promote-pin:
      if: ${{ github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch' }}
    ```

    ## Passes

    ```yaml
    promote-pin:
      if: ${{ success() && github.ref == 'refs/heads/main' }}
    ```
    """
    from pinflow.expressions import implies_ref

    branch = ctx.opts.main_branch
    for job in ctx.promoters:
        if job.if_ is None:
            if _steps_guarded(ctx, job, branch):
                continue
            yield Hit(job.pos, f"job '{job.id}' has no `if:`; it promotes for every branch and trigger (add `if: ${{{{ success() && github.ref == 'refs/heads/{branch}' }}}}`)", job.id)
            continue
        cond = condition(job.if_)
        if cond is None:
            continue  # PF003 reports the syntax error
        verdict = implies_ref(cond, branch)
        node = model.get(job.node, "if")
        if verdict.holds is False:
            yield Hit(model.pos(node), f"job '{job.id}': `if:` does not restrict it to refs/heads/{branch}: {verdict.reason}", job.id)
        elif verdict.holds is None:
            yield Hit(model.pos(node), f"job '{job.id}': cannot prove `if:` restricts it to refs/heads/{branch}: {verdict.reason}", job.id)


def _steps_guarded(ctx: Context, job: Job, branch: str) -> bool:
    """No job-level guard, but every step that calls out is itself main-only."""
    from pinflow.expressions import implies_ref

    calling = [s for s in job.steps if step_calls_http(s)]
    if not calling:
        return False
    for step in calling:
        cond = condition(step.if_)
        if cond is None or implies_ref(cond, branch).holds is not True:
            return False
    return True


@rule("PF202", "promote-after-failure")
def promote_after_failure(ctx: Context) -> Iterator[Hit]:
    """The promote job can run after the publish failed or was cancelled.

    ## Why

    `always()`, `failure()`, `!cancelled()` or `success() || …` in the
    promote job's `if:` let it run when the build, the smoke test or the
    push failed, promoting an empty digest or the previous image.
    `continue-on-error` on the push step or the publishing job turns a failed
    push into a green one, with the same result. The promote must run only
    after a green publish (the implicit `success()`, or an explicit one).

    ## Fails

    ```yaml
    promote-pin:
      needs: [publish]
      if: ${{ always() && github.ref == 'refs/heads/main' }}
    ```

    ## Passes

    ```yaml
    promote-pin:
      needs: [publish]
      if: ${{ success() && github.ref == 'refs/heads/main' }}
    ```
    """
    from pinflow.expressions import can_run_after_failure

    for job in ctx.promoters:
        cond = condition(job.if_)
        if job.if_ is not None and cond is None:
            continue  # unparsable: PF003
        verdict = can_run_after_failure(cond, job.needs)
        if verdict.holds is not False:
            node = model.get(job.node, "if")
            prefix = "can run after a failed or cancelled publish" if verdict.holds else "cannot prove it never runs after a failed publish"
            yield Hit(model.pos(node), f"job '{job.id}' {prefix}: {verdict.reason}", job.id)
    for pub in ctx.publishers:
        if model.may_be_true(pub.job.continue_on_error):
            yield Hit(model.pos(pub.job.continue_on_error), f"job '{pub.job.id}': `continue-on-error` lets a failed publish look green to the promote job", pub.job.id)
        for step in pub.steps:
            if model.may_be_true(step.continue_on_error):
                yield Hit(model.pos(step.continue_on_error), f"job '{pub.job.id}': `continue-on-error` on the pushing {step.label()} lets a failed push look green", pub.job.id, step.label())

