"""PF4xx: what Gitea Actions never triggers, cannot run, or silently ignores.

Every rule names its ground in a `## Source` section: a page of Gitea's own
documentation (with the versions whose page says so), or the fleet's
"Gitea 1.22.6 hostile-shape checklist", which is experience, not something
Gitea documents. Rules about ignored keys apply only to the Gitea versions
whose "Compared to GitHub Actions" page lists the key; `gitea_version` from
the config is compared as a (major, minor) tuple.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pinflow import model
from pinflow.findings import WARNING
from pinflow.lintctx import Context, Hit
from pinflow.model import Job
from pinflow.rules import GITEA, rule

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

# GitHub events with no Gitea counterpart: absent from the supported-events
# table of Gitea's Actions FAQ and from the events Gitea maps to workflows.
# `workflow_run` has its own rule (PF401).
_UNSUPPORTED_EVENTS = frozenset((
    "merge_group", "repository_dispatch", "check_run", "check_suite", "deployment",
    "deployment_status", "discussion", "discussion_comment", "page_build", "branch_protection_rule",
))


def gitea_version(ctx: Context) -> tuple[int, ...]:
    """`1.22`, `1.22.6`, `v1.23` -> (1, 22[, 6]); () when unreadable.

    An unreadable version compares below every bound, so every
    version-gated rule stays on rather than going quiet.
    """
    parts: list[int] = []
    for piece in ctx.opts.gitea_version.strip().lstrip("vV").split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _before(ctx: Context, bound: tuple[int, int]) -> bool:
    return gitea_version(ctx)[:2] < bound


def _shown_version(ctx: Context) -> str:
    return ctx.opts.gitea_version.strip() or "(unset)"


def _triggers(ctx: Context) -> Iterator[tuple[str, Node, Node | None]]:
    """(event, node naming it, its configuration) for `on: x`, `on: [x]` and `on: {x: …}`."""
    on = ctx.wf.field("on")
    single = model.text(on)
    if single is not None:
        yield single, on, None  # type: ignore[misc]
    elif model.is_seq(on):
        for item in on.value:  # type: ignore[union-attr]
            name = model.text(item)
            if name is not None:
                yield name, item, None
    else:
        for name, key, value in model.items(on):
            yield name, key, value


def _trigger_config(ctx: Context, event: str) -> Node | None:
    for name, _, value in _triggers(ctx):
        if name == event:
            return value
    return None


# ---------------------------------------------------------------------------
# Triggers and calls that never run on Gitea


@rule("PF401", "workflow-run-trigger", scope=GITEA)
def workflow_run_trigger(ctx: Context) -> Iterator[Hit]:
    """The workflow is triggered by `workflow_run`, which Gitea never fires.

    ## Why

    Gitea Actions has no `workflow_run` event: a workflow that waits for
    another workflow to finish never runs, and nothing in the UI says so.
    A promote step written as a separate workflow "on publish-image
    success" therefore never promotes. Make the follow-up a job of the same
    workflow, wired with `needs:` and guarded by `if: success()`.

    ## Fails

    ```yaml
    on:
      workflow_run:
        workflows: [publish-image]
        types: [completed]
    ```

    ## Passes

    ```yaml
    jobs:
      publish: {...}
      promote-pin:
        needs: [publish]
        if: ${{ success() && github.ref == 'refs/heads/main' }}
    ```

    ## Source

    Gitea docs, Actions FAQ "What workflow trigger events does Gitea
    support?" (https://docs.gitea.com/1.22/usage/actions/faq), version 1.22:
    the table of supported events has no `workflow_run`. The fleet's own
    workflows say the same from experience ("Gitea 1.22.6 has no
    `workflow_run`, so promotion has to be a job in this same workflow").

    **Versions:** every version. Gitea's development branch has since
    gained a `workflow_run` event; pinflow has not pinned down the first
    release that fires it, so the rule is not version-gated. On a Gitea
    known to fire it, ignore PF401.
    """
    for name, node, _ in _triggers(ctx):
        if name == "workflow_run":
            yield Hit(model.pos(node), "`workflow_run` never triggers on Gitea (no such event): this workflow never runs; "
                      "make the follow-up a job in the same workflow with `needs:`")


@rule("PF402", "cross-repo-reusable-workflow", scope=GITEA)
def cross_repo_reusable_workflow(ctx: Context) -> Iterator[Hit]:
    """A job calls a reusable workflow from another repository.

    ## Why

    On Gitea 1.22 a job-level `uses: owner/repo/.gitea/workflows/x.yml@ref`
    is resolved against `[actions].DEFAULT_ACTIONS_URL`, which is
    `github` by default: the runner looks the repository up on github.com,
    gets a 404 even when the repository lives on the same Gitea, and the
    job never produces a run. The fleet's crewai template delegated its
    publish to such a call and built nothing, ever ("0 publish-image runs
    in history"), so the pin never moved. An absolute URL
    (`https://host/owner/repo/...`) is fetched anonymously and fails for
    a private repository the same way. A local call
    (`uses: ./.gitea/workflows/x.yml`) and step-level action `uses:` are
    fine.

    ## Fails

    ```yaml
    jobs:
      publish:
        uses: team/ci/.gitea/workflows/publish-template-image.yml@main
        secrets: inherit
    ```

    ## Passes

    ```yaml
    jobs:
      publish:
        uses: ./.gitea/workflows/publish-template-image.yml
        secrets: inherit
    ```

    ## Source

    The fleet's own 1.22.6 checklist ("No cross-repo uses:", experience
    recorded as feedback_gitea_cross_repo_uses_blocked), not documented by
    Gitea as a limitation. The mechanism is documented: Gitea docs,
    "Compared to GitHub Actions", section "Downloading actions"
    (https://docs.gitea.com/1.22/usage/actions/comparison), version 1.22:
    non-fully-qualified names are downloaded from github.com when
    `DEFAULT_ACTIONS_URL` is `github`, the default since 1.21.

    **Versions:** every version. Gitea's development branch later learned
    same-instance cross-repo calls (go-gitea/gitea#37478, which also drops
    calls to other instances by URL); until the fleet runs a release that
    has it, the rule stays on.
    """
    for job in ctx.wf.jobs.values():
        node = job.field("uses")
        uses = model.text(node)
        if uses is None or uses.startswith("./"):
            continue
        if uses.startswith(("https://", "http://")):
            how = "by URL: the runner fetches it anonymously, which fails for a private repository"
        else:
            how = "from another repository: Gitea resolves `owner/repo` against DEFAULT_ACTIONS_URL (github.com by default), so the call 404s and the job never runs"
        yield Hit(model.pos(node), f"job '{job.id}' calls the reusable workflow `{uses}` {how}; inline its jobs or copy it into "
                  "this repository and call `./.gitea/workflows/<file>`", job.id)


@rule("PF403", "unsupported-trigger", scope=GITEA)
def unsupported_trigger(ctx: Context) -> Iterator[Hit]:
    """The workflow lists a GitHub-only trigger that Gitea never fires.

    ## Why

    `merge_group`, `repository_dispatch`, `check_run`, `check_suite`,
    `deployment`, `deployment_status`, `discussion`,
    `discussion_comment`, `page_build` and `branch_protection_rule` have no
    counterpart in Gitea: the trigger is dead. When it is the only trigger
    the workflow never runs; next to `push` it is a path a reader believes
    in and that never happens. The fleet learned this for
    `repository_dispatch`: the runtime cascade now git-pushes a
    `.runtime-version` file instead, because "Gitea 1.22.6 has no such
    endpoint".

    ## Fails

    ```yaml
    on:
      push:
        branches: [main]
      merge_group:
    ```

    ## Passes

    ```yaml
    on:
      push:
        branches: [main]
    ```

    ## Source

    Gitea docs, Actions FAQ "What workflow trigger events does Gitea
    support?" (https://docs.gitea.com/1.22/usage/actions/faq), version 1.22:
    none of these events is in the table of supported events. The fleet's
    own 1.22.6 checklist names `merge_group` ("No merge_group: trigger"),
    and its notes record `repository_dispatch` as unavailable (empirically
    verified, molecule-core#20).

    **Versions:** every version.
    """
    for name, node, _ in _triggers(ctx):
        if name in _UNSUPPORTED_EVENTS:
            yield Hit(model.pos(node), f"`{name}` never triggers on Gitea (not a Gitea event): remove it; "
                      "use `push` (or a job in the same workflow) instead")


@rule("PF404", "workflow-dispatch-inputs", scope=GITEA)
def workflow_dispatch_inputs(ctx: Context) -> Iterator[Hit]:
    """`workflow_dispatch` declares `inputs:`, which Gitea 1.22 rejects.

    ## Why

    On the fleet's Gitea 1.22.6 a workflow whose `workflow_dispatch` has
    `inputs:` is silently rejected: no run, no error. A publish workflow
    that gained an optional "runtime version" input for manual runs thereby
    stopped publishing on push as well. A bare `workflow_dispatch:` is
    kept by the fleet's working workflows and is not reported. Read
    optional values from a file in the repository (the fleet's
    `.runtime-version`) instead of from dispatch inputs.

    ## Fails

    ```yaml
    on:
      push:
        branches: [main]
      workflow_dispatch:
        inputs:
          runtime_version:
            type: string
    ```

    ## Passes

    ```yaml
    on:
      push:
        branches: [main]
      workflow_dispatch:
    ```

    ## Source

    The fleet's own 1.22.6 checklist ("No workflow_dispatch.inputs
    (silently rejected on 1.22.6)"): experience, not documented by Gitea.
    Gitea docs, "Compared to GitHub Actions"
    (https://docs.gitea.com/1.22/usage/actions/comparison), versions
    1.20-1.22, list the whole of `workflow_dispatch` as "ignored by Gitea
    Actions now"; the 1.23 page no longer lists it.

    **Versions:** before 1.23.
    """
    if not _before(ctx, (1, 23)):
        return
    key = model.get_key(_trigger_config(ctx, "workflow_dispatch"), "inputs")
    if key is not None:
        yield Hit(model.pos(key), f"`workflow_dispatch.inputs` on Gitea {_shown_version(ctx)}: the fleet saw such workflows "
                  "silently rejected (no run at all); drop `inputs:` and read optional values from a file in the repository")


@rule("PF405", "server-url-not-pinned", WARNING, scope=GITEA)
def server_url_not_pinned(ctx: Context) -> Iterator[Hit]:
    """`GITHUB_SERVER_URL` is not pinned in the workflow-level `env:`.

    ## Why

    The fleet's act_runner hosts did not hand every job and action this
    Gitea's public URL as `GITHUB_SERVER_URL`, so actions that build
    links or clone from it, and image labels such as
    `org.opencontainers.image.source`, pointed at the wrong host. Every
    publish workflow therefore pins it once, at workflow level, to the
    instance URL (`pinflow render` writes the `server_url` from the
    config there). A value that is an expression is not a pin.

    Applies to workflows that publish an image or promote a digest.

    ## Fails

    ```yaml
    env:
      IMAGE_NAME: registry.example.test/team/app
    ```

    ## Passes

    ```yaml
    env:
      GITHUB_SERVER_URL: https://git.example.test
      IMAGE_NAME: registry.example.test/team/app
    ```

    ## Source

    The fleet's own 1.22.6 checklist ("GITHUB_SERVER_URL pinned at
    workflow level", feedback_act_runner_github_server_url): experience,
    not documented by Gitea.

    **Versions:** every version.
    """
    if not ctx.is_contract:
        return
    env = ctx.wf.field("env")
    value = model.get(env, "GITHUB_SERVER_URL")
    url = model.text(value)
    if value is not None:
        if url is None or "${{" in url or not url.startswith(("https://", "http://")):
            yield Hit(model.pos(value), "`GITHUB_SERVER_URL` is not pinned to a literal URL: set it to this Gitea's public "
                      "https:// URL (fleet checklist)")
        return
    anchor = model.get_key(ctx.wf.root, "env") or model.get_key(ctx.wf.root, "jobs") or ctx.wf.root
    yield Hit(model.pos(anchor), "no workflow-level `GITHUB_SERVER_URL`: pin it under `env:` to this Gitea's public URL "
              "so every job and action sees the same host (fleet checklist)")


@rule("PF406", "push-paths-filter", WARNING, scope=GITEA)
def push_paths_filter(ctx: Context) -> Iterator[Hit]:
    """The `push` trigger filters on `paths` or `paths-ignore`.

    ## Why

    A publish workflow with a path filter does not run for a push that
    touches only other files, and on Gitea nothing re-runs it later: the
    image for that commit is never built and the pin never moves. The
    fleet's runtime cascade is exactly such a push (it only rewrites
    `.runtime-version`). Gitea's path filtering has also had bugs of its
    own: a first push to a new branch ignored the filter's match
    (go-gitea/gitea#26270, 1.20) and tag pushes were filtered by path
    (go-gitea/gitea#34223, 1.23). Filter with `branches:` and let every
    push to main publish.

    Applies to workflows that publish an image or promote a digest.

    ## Fails

    ```yaml
    on:
      push:
        branches: [main]
        paths: ["Dockerfile", "requirements.txt"]
    ```

    ## Passes

    ```yaml
    on:
      push:
        branches: [main]
    ```

    ## Source

    The fleet's own 1.22.6 checklist ("No on.push.paths: (would permanently
    block path-excluded pushes)"): experience, not documented by Gitea; the
    two Gitea issues above are upstream bug reports, not documentation.

    **Versions:** every version.
    """
    if not ctx.is_contract:
        return
    push = _trigger_config(ctx, "push")
    for key in ("paths", "paths-ignore"):
        node = model.get_key(push, key)
        if node is not None:
            yield Hit(model.pos(node), f"`on.push.{key}`: a push that changes only other files never runs this workflow, "
                      "so that commit is never published or promoted (fleet checklist); filter on `branches:` only")


@rule("PF407", "missing-timeout-minutes", WARNING, scope=GITEA)
def missing_timeout_minutes(ctx: Context) -> Iterator[Hit]:
    """A job has no `timeout-minutes`.

    ## Why

    The fleet's checklist puts `timeout-minutes` on every job. Be clear
    about what it buys on Gitea: the docs list `jobs.<job_id>.timeout-minutes`
    as ignored up to 1.26, so on the fleet's 1.22 a hung `docker push` or
    `curl` is stopped by the runner's own job timeout and Gitea's
    `[actions].ENDLESS_TASK_TIMEOUT` (3h by default), not by this key. The
    rule is a warning for forward compatibility (the 1.27 page no longer
    lists the key, and the same file may run on GitHub) and for the
    checklist; it does not make a job stop sooner on 1.22. For the same
    reason pinflow has no "ignored `timeout-minutes`" rule. Jobs that call
    a reusable workflow (`uses:`) cannot take the key and are skipped.

    Applies to workflows that publish an image or promote a digest.

    ## Fails

    ```yaml
    promote-pin:
      runs-on: ubuntu-latest
      steps: [...]
    ```

    ## Passes

    ```yaml
    promote-pin:
      runs-on: ubuntu-latest
      timeout-minutes: 5
      steps: [...]
    ```

    ## Source

    The fleet's own 1.22.6 checklist ("timeout-minutes on every job"):
    experience, not documented by Gitea. Gitea docs, "Compared to GitHub
    Actions" (https://docs.gitea.com/1.22/usage/actions/comparison),
    versions 1.20-1.26: `jobs.<job_id>.timeout-minutes` "is ignored by Gitea
    Actions now"; not listed on the 1.27 page.

    **Versions:** every version (on 1.19-1.26 for forward compatibility only).
    """
    if not ctx.is_contract:
        return
    for job in ctx.wf.jobs.values():
        if job.uses is None and model.get_key(job.node, "timeout-minutes") is None:
            yield Hit(job.pos, f"job '{job.id}' has no `timeout-minutes` (fleet checklist; Gitea before 1.27 ignores it, "
                      "so set it for forward compatibility, not as the 1.22 safety net)", job.id)


@rule("PF408", "complex-runs-on", scope=GITEA)
def complex_runs_on(ctx: Context) -> Iterator[Hit]:
    """A job's `runs-on` is a mapping (`group:`/`labels:`), which Gitea does not support.

    ## Why

    Gitea matches jobs to runners by label only: `runs-on: xyz` or
    `runs-on: [xyz]`. The GitHub runner-group form
    (`runs-on: {group: …, labels: …}`) is not understood, so the job does
    not go to the runner the file asks for, or to none at all. A list of
    several labels (`[publish, release]`) is not reported: Gitea's FAQ
    documents it as valid syntax (the runner must carry every label; the
    job environment comes from the first label that maps to one), and the
    fleet's publish jobs use it.

    ## Fails

    ```yaml
    publish:
      runs-on:
        group: publishers
        labels: [publish]
    ```

    ## Passes

    ```yaml
    publish:
      runs-on: [publish]
    ```

    ## Source

    Gitea docs, "Compared to GitHub Actions", section "Complex `runs-on`"
    (https://docs.gitea.com/1.22/usage/actions/comparison): "Gitea Actions
    only supports `runs-on: xyz` or `runs-on: [xyz]` now", on every page
    from 1.20 to 1.27. Multi-label lists: Gitea docs, Actions FAQ, "What if
    it runs on multiple labels, such as `runs-on: [label_a, label_b]`?".

    **Versions:** every version.
    """
    for job in ctx.wf.jobs.values():
        if model.is_map(job.field("runs-on")):
            yield Hit(model.pos(model.get_key(job.node, "runs-on")), f"job '{job.id}': Gitea supports only `runs-on: <label>` "
                      "or a list of labels, not a `group:`/`labels:` mapping", job.id)


# ---------------------------------------------------------------------------
# Keys Gitea ignores (per the "Compared to GitHub Actions" page of each version)


def _ignored(ctx: Context, key: str, listed: str) -> str:
    return (f"`{key}` is ignored by Gitea Actions {_shown_version(ctx)} (Gitea's \"Compared to GitHub Actions\" "
            f"page lists it as ignored for {listed})")


def _job_keys(ctx: Context, key: str) -> Iterator[tuple[Job, Node]]:
    for job in ctx.wf.jobs.values():
        node = model.get_key(job.node, key)
        if node is not None:
            yield job, node


@rule("PF409", "ignored-concurrency", WARNING, scope=GITEA)
def ignored_concurrency(ctx: Context) -> Iterator[Hit]:
    """`concurrency` is set, but this Gitea ignores it.

    ## Why

    Two pushes to main in quick succession run two publish workflows side
    by side on Gitea, whatever `concurrency:` says, and the older run can
    promote its digest after the newer one. Do not rely on
    `concurrency` to order promotions on these versions; the promote
    endpoint has to tolerate (or reject) an older digest arriving last.

    ## Fails

    ```yaml
    concurrency:
      group: publish-${{ github.ref }}
      cancel-in-progress: true
    ```

    ## Passes

    ```yaml
    # no concurrency: key; promotion order is enforced by the control plane
    ```

    ## Source

    Gitea docs, "Compared to GitHub Actions", section `concurrency`
    (https://docs.gitea.com/1.22/usage/actions/comparison): "It's ignored
    by Gitea Actions now", on the pages for 1.20 to 1.25; the 1.26 page no
    longer lists it.

    **Versions:** before 1.26 (workflow-level and job-level `concurrency`).
    """
    if not _before(ctx, (1, 26)):
        return
    root_key = model.get_key(ctx.wf.root, "concurrency")
    if root_key is not None:
        yield Hit(model.pos(root_key), _ignored(ctx, "concurrency", "1.20-1.25") + ": runs are neither serialized nor cancelled")
    for job, node in _job_keys(ctx, "concurrency"):
        yield Hit(model.pos(node), f"job '{job.id}': " + _ignored(ctx, "concurrency", "1.20-1.25"), job.id)


@rule("PF410", "ignored-run-name", WARNING, scope=GITEA)
def ignored_run_name(ctx: Context) -> Iterator[Hit]:
    """`run-name` is set, but this Gitea ignores it.

    ## Why

    The run list keeps showing the commit message, so anything the
    `run-name` was meant to surface (the digest, the runtime version) is
    not there. Print it in a step log or a `::notice::` instead.

    ## Fails

    ```yaml
    run-name: publish ${{ github.sha }}
    ```

    ## Passes

    ```yaml
    name: publish-image
    ```

    ## Source

    Gitea docs, "Compared to GitHub Actions", section `run-name`
    (https://docs.gitea.com/1.22/usage/actions/comparison): "It's ignored
    by Gitea Actions now", on the pages for 1.20 to 1.23 (1.23 seen as the
    1.23-dev page); the 1.25 page no longer lists it. The 1.24 page was not
    available to check, so 1.24 is treated as still ignoring it (a 1.23.7
    user reported the same, go-gitea/gitea#34247).

    **Versions:** before 1.25.
    """
    if not _before(ctx, (1, 25)):
        return
    key = model.get_key(ctx.wf.root, "run-name")
    if key is not None:
        yield Hit(model.pos(key), _ignored(ctx, "run-name", "1.20-1.23; 1.24 not checked") + ": the run list shows the commit message instead")


@rule("PF411", "ignored-permission-grant", WARNING, scope=GITEA)
def ignored_permission_grant(ctx: Context) -> Iterator[Hit]:
    """`permissions` grants a write scope, which this Gitea does not honour.

    ## Why

    On these versions `permissions:` is ignored: the job token's scope does
    not follow it. A block that *restricts* the token (`contents: read`,
    `{}`) is harmless there and still protects the same file on GitHub and
    on Gitea 1.26+, so it is not reported (zizmor asks for it). A block that
    *grants* a scope the job relies on (`packages: write` to push with the
    job token, `id-token: write` for OIDC) silently does nothing: the push
    or the token exchange fails at run time. Gitea documents that the job
    token cannot publish packages ("Package repository authorization" under
    missing features): log in to the registry with a secret instead.

    ## Fails

    ```yaml
    publish:
      permissions:
        packages: write
      steps:
        - uses: docker/login-action@v3
          with:
            password: ${{ secrets.GITHUB_TOKEN }}
    ```

    ## Passes

    ```yaml
    publish:
      permissions:
        contents: read
      steps:
        - uses: docker/login-action@v3
          with:
            password: ${{ secrets.REGISTRY_TOKEN }}
    ```

    ## Source

    Gitea docs, "Compared to GitHub Actions", section "`permissions` and
    `jobs.<job_id>.permissions`"
    (https://docs.gitea.com/1.22/usage/actions/comparison): "It's ignored
    by Gitea Actions now", on the pages for 1.20 to 1.25; the 1.26 page no
    longer lists it (1.26 documents job-token permissions). Same page,
    "Missing features", "Package repository authorization".

    **Versions:** before 1.26 (workflow-level and job-level `permissions`).
    """
    if not _before(ctx, (1, 26)):
        return
    blocks = [(None, ctx.wf.root)] + [(job, job.node) for job in ctx.wf.jobs.values()]
    for job, owner in blocks:
        for scope, node in _write_grants(owner):
            where = f"job '{job.id}': " if job else ""
            yield Hit(model.pos(node), f"{where}`{scope}` is ignored by Gitea before 1.26; the job token does not get it", job.id if job else None)


def _write_grants(owner: Node) -> Iterator[tuple[str, Node]]:
    """(scope, key node) of every write grant in `owner`'s `permissions:`."""
    key, value = model.get_key(owner, "permissions"), model.get(owner, "permissions")
    if (model.text(value) or "").strip() == "write-all":
        yield "permissions: write-all", key  # type: ignore[misc]
        return
    for scope, scope_key, v in model.items(value):
        if (model.text(v) or "").strip() == "write":
            yield f"{scope}: write", scope_key


@rule("PF412", "ignored-job-continue-on-error", WARNING, scope=GITEA)
def ignored_job_continue_on_error(ctx: Context) -> Iterator[Hit]:
    """A job sets `continue-on-error`, which this Gitea ignores.

    ## Why

    On these versions a failing job with `continue-on-error: true` still
    fails the run and still skips the jobs that `needs:` it, unlike on
    GitHub. A workflow written to "keep going" past an optional job
    therefore stops there on Gitea. Step-level `continue-on-error` is not
    on Gitea's list and is not reported here.

    ## Fails

    ```yaml
    smoke-test:
      continue-on-error: true
    ```

    ## Passes

    ```yaml
    smoke-test:
      steps:
        - run: ./smoke.sh
          continue-on-error: true
    ```

    ## Source

    Gitea docs, "Compared to GitHub Actions", section
    `jobs.<job_id>.continue-on-error`
    (https://docs.gitea.com/1.22/usage/actions/comparison): "It's ignored
    by Gitea Actions now", on the pages for 1.20 to 1.26; the 1.27 page no
    longer lists it.

    **Versions:** before 1.27.
    """
    if not _before(ctx, (1, 27)):
        return
    for job, node in _job_keys(ctx, "continue-on-error"):
        yield Hit(model.pos(node), f"job '{job.id}': " + _ignored(ctx, "jobs.<job_id>.continue-on-error", "1.20-1.26")
                  + ": a failure still fails the run and skips dependent jobs", job.id)


@rule("PF413", "ignored-environment", WARNING, scope=GITEA)
def ignored_environment(ctx: Context) -> Iterator[Hit]:
    """A job sets `environment`, which Gitea ignores.

    ## Why

    On GitHub an environment can hold its own secrets and demand a
    reviewer's approval before the job runs. Gitea ignores the key: no
    approval gate, no environment secrets. A promote job that counted on
    `environment: production` for a human check promotes unattended, and a
    secret defined only on the environment resolves to an empty string.

    ## Fails

    ```yaml
    promote-pin:
      environment: production
    ```

    ## Passes

    ```yaml
    promote-pin:
      if: ${{ success() && github.ref == 'refs/heads/main' }}
    ```

    ## Source

    Gitea docs, "Compared to GitHub Actions", section
    `jobs.<job_id>.environment`
    (https://docs.gitea.com/1.22/usage/actions/comparison): "It's ignored
    by Gitea Actions now", on every page from 1.20 to 1.27.

    **Versions:** every version.
    """
    for job, node in _job_keys(ctx, "environment"):
        yield Hit(model.pos(node), f"job '{job.id}': `environment` is ignored by Gitea Actions: no approval gate and no "
                  "environment secrets", job.id)


@rule("PF414", "hashfiles-always-empty", WARNING, scope=GITEA)
def hashfiles_always_empty(ctx: Context) -> Iterator[Hit]:
    """An expression calls `hashFiles()`, which returns an empty string on this Gitea.

    ## Why

    A cache key such as `deps-${{ hashFiles('requirements.txt') }}` is the
    same constant for every commit on these versions, so a stale cache is
    restored forever and a build "from fresh dependencies" is not. Compute
    the hash in a step (`sha256sum requirements.txt`) or with
    go-hashfiles, and use that step's output.

    ## Fails

    ```yaml
    key: deps-${{ hashFiles('requirements.txt') }}
    ```

    ## Passes

    ```yaml
    key: deps-${{ steps.hash.outputs.sum }}
    ```

    ## Source

    Gitea docs, "Compared to GitHub Actions", section "`hashFiles`
    expression" (https://docs.gitea.com/1.22/usage/actions/comparison):
    "if you use it, the result will always be empty string", on the pages
    for 1.20 to 1.23 (1.23 seen as the 1.23-dev page); the 1.25 page no
    longer lists it. The 1.24 page was not available to check, so 1.24 is
    treated as still affected.

    **Versions:** before 1.25.
    """
    if not _before(ctx, (1, 25)):
        return
    for node, call_offset in _hashfiles_calls(ctx.wf.root):
        yield Hit(ctx.pos_in_scalar(node, call_offset), f"`hashFiles()` always returns an empty string on Gitea "
                  f"{_shown_version(ctx)}: a key built from it never changes; hash the files in a step instead")


def _hashfiles_calls(root: Node) -> Iterator[tuple[Node, int]]:
    """(scalar, offset of the call in its value) for each `hashFiles(...)`."""
    from pinflow import expressions

    for node, is_condition in _string_scalars(root):
        value = str(node.value)
        if "hashfiles" not in value.lower():
            continue  # function names have no escapes: a call is spelled out (any case)
        try:
            if is_condition:
                trees = [expressions.parse_condition(value)]
            elif "${{" in value:
                trees = [expressions.parse(e.source, e.source_offset) for e in expressions.find_embedded(value)]
            else:
                continue
        except expressions.ExprError:
            continue  # PF003 reports it
        for tree in trees:
            for sub in expressions.walk(tree) if tree is not None else ():
                if type(sub) is expressions.Call and sub.name == "hashfiles":
                    yield node, sub.offset


def _string_scalars(root: Node) -> Iterator[tuple[Node, bool]]:
    """Every string value scalar once, flagged when it is an `if:` (a bare expression)."""
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, is_condition = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if model.is_scalar(node):
            if node.tag == "tag:yaml.org,2002:str":
                yield node, is_condition
        elif model.is_map(node):
            stack.extend((value, key == "if") for key, _, value in model.items(node))
        elif model.is_seq(node):
            stack.extend((child, False) for child in node.value)

