"""PF1xx: is the pushed digest wired from the push step to the promote job."""
from __future__ import annotations

from collections.abc import Iterator

from pinflow import model
from pinflow.findings import WARNING
from pinflow.lintctx import Context, Hit, Publisher, expression_contexts, output_step_ref, writes_output
from pinflow.model import Job
from pinflow.rules import rule


@rule("PF101", "push-step-without-id")
def push_step_without_id(ctx: Context) -> Iterator[Hit]:
    """The step that pushes the image has no `id:`.

    ## Why

    A step's outputs can only be referenced as `steps.<id>.outputs.digest`.
    Without an `id` the pushed digest is unreachable, the job cannot expose
    it, and the promote job POSTs an empty digest, or nothing at all: the
    image is published and the runtime pin silently stays behind.

    ## Fails

    ```yaml
    - uses: docker/build-push-action@v6
      with:
        push: true
        tags: registry.example/app:latest
    ```

    ## Passes

    ```yaml
    - id: push
      uses: docker/build-push-action@v6
      with:
        push: true
        tags: registry.example/app:latest
    ```
    """
    for pub in ctx.publishers:
        step = pub.step
        if not step.id:
            yield Hit(step.pos, f"job '{pub.job.id}': the pushing {step.label()} has no `id:`, so its digest cannot be referenced (add `id: push`)", pub.job.id, step.label())


@rule("PF102", "digest-not-exposed")
def digest_not_exposed(ctx: Context) -> Iterator[Hit]:
    """The publishing job does not expose `outputs.digest` from the push step.

    ## Why

    Step outputs are visible only inside their job; the promote job sees the
    digest only through the publishing job's `outputs:`. A missing, misnamed
    (`image-digest`), or miswired output (another step, another output such as
    `imageid`) resolves to an empty string across the `needs:` edge, and the
    promote either refuses or pins nothing.

    ## Fails

    ```yaml
    publish:
      outputs:
        image-digest: ${{ steps.push.outputs.digest }}
    ```

    ## Passes

    ```yaml
    publish:
      outputs:
        digest: ${{ steps.push.outputs.digest }}
    ```
    """
    for pub in ctx.publishers:
        problem = _digest_output_problem(pub)
        if problem:
            node = pub.job.outputs.get("digest") or model.get_key(pub.job.node, "outputs") or pub.job.key_node
            yield Hit(model.pos(node), f"job '{pub.job.id}': {problem}", pub.job.id)


def _digest_output_problem(pub: Publisher) -> str | None:
    job, step = pub.job, pub.step
    want = f"${{{{ steps.{step.id or 'push'}.outputs.digest }}}}"
    value = job.outputs.get("digest")
    if value is None:
        renamed = [name for name, node in job.outputs.items() if _refers_to_digest(node, pub)]
        if renamed:
            return f"exposes the digest as `outputs.{renamed[0]}`, but the contract reads `outputs.digest` (add `digest: {want}`)"
        return f"does not expose `outputs.digest` (add `outputs: digest: {want}`)"
    ref = output_step_ref(value)
    if ref is None:
        return f"`outputs.digest` is {model.text(value)!r}, not a step output (expected {want})"
    step_id, output = ref
    if step.id and step_id == step.id:
        if output != "digest":
            return f"`outputs.digest` reads output `{output}` of step '{step_id}', not `digest`"
        if step.run and not writes_output(step, "digest"):
            return f"step '{step_id}' pushes from a shell script but never writes `digest=` to $GITHUB_OUTPUT, so `outputs.digest` is empty"
        return None
    relay = next((s for s in job.steps if s.id == step_id), None)
    if relay is None:
        return f"`outputs.digest` names step '{step_id}', which is not a step of this job"
    if step.id and _relays_digest(relay, step.id):
        return None  # a pass-through step re-exports the pushed digest
    return f"`outputs.digest` reads step '{step_id}', which is not the pushing {step.label()}"


def _refers_to_digest(node: object, pub: Publisher) -> bool:
    ref = output_step_ref(node)  # type: ignore[arg-type]
    return ref is not None and ref[1] == "digest" and ref[0] in {s.id for s in pub.steps if s.id}


def _relays_digest(step: model.Step, push_id: str) -> bool:
    scalars = [step.run or ""] + [model.text(v) or "" for v in step.env.values()]
    return any(p[:4] == ("steps", push_id, "outputs", "digest") for s in scalars for p in expression_contexts(s))


@rule("PF103", "promote-missing-needs")
def promote_missing_needs(ctx: Context) -> Iterator[Hit]:
    """The promote job does not `needs` the publishing job (or a job whose outputs it reads).

    ## Why

    `needs.<job>.outputs` is only populated for jobs listed in `needs:`. A
    promote job that reads `needs.publish.outputs.digest` without
    `needs: [publish]` reads an empty string, and it may even run before or
    without the publish.

    ## Fails

    ```yaml
    promote-pin:
      needs: [resolve-version]
      steps:
        - env:
            IMAGE_DIGEST: ${{ needs.publish.outputs.digest }}
    ```

    ## Passes

    ```yaml
    promote-pin:
      needs: [resolve-version, publish]
    ```
    """
    for job in ctx.promoters:
        needs = set(job.needs)
        reported = set()
        for read in ctx.digest_reads(job):
            if read.job not in needs and read.job not in reported:
                reported.add(read.job)
                yield Hit(ctx.pos_in_scalar(read.node, read.offset), f"job '{job.id}' reads needs.{read.job}.outputs.{read.output} but does not list '{read.job}' in `needs:` (the value is empty)", job.id)
        # With several publishers (one repo, two images) each promote job
        # serves its own: it must depend on at least one of them.
        upstream = _upstream(ctx, job)
        publishers = [p.job.id for p in ctx.publishers]
        if publishers and not upstream & set(publishers) and not reported & set(publishers):
            node = model.get_key(job.node, "needs") or job.key_node
            names = "' or '".join(publishers)
            yield Hit(model.pos(node), f"job '{job.id}' does not need the publishing job '{names}' (add it to `needs:`)", job.id)


def _upstream(ctx: Context, job: Job) -> set[str]:
    seen: set[str] = set()
    stack = list(job.needs)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in ctx.wf.jobs:
            stack.extend(ctx.wf.jobs[name].needs)
    return seen


@rule("PF104", "promote-not-reading-digest")
def promote_not_reading_digest(ctx: Context) -> Iterator[Hit]:
    """The promote job does not read `needs.<publisher>.outputs.digest`.

    ## Why

    The pin must follow the digest that was just pushed. A promote job that
    reads another output (`image-digest`, `imageid`), another job's output,
    or a tag instead of the digest pins something other than what was
    published.

    ## Fails

    ```yaml
    env:
      IMAGE_DIGEST: ${{ needs.publish.outputs.image-digest }}
    ```

    ## Passes

    ```yaml
    env:
      IMAGE_DIGEST: ${{ needs.publish.outputs.digest }}
    ```
    """
    publishers = {p.job.id for p in ctx.publishers}
    for job in ctx.promoters:
        reads = ctx.digest_reads(job)
        if any(r.output == "digest" and (r.job in publishers or not publishers) for r in reads):
            continue
        wrong = next((r for r in reads if r.job in publishers or "digest" in r.output.lower()), None)
        if wrong is not None:
            yield Hit(ctx.pos_in_scalar(wrong.node, wrong.offset), f"job '{job.id}' reads needs.{wrong.job}.outputs.{wrong.output}, not the publisher's `outputs.digest`", job.id)
        else:
            names = ", ".join(sorted(publishers)) or "<publisher>"
            yield Hit(job.pos, f"job '{job.id}' never reads needs.{names}.outputs.digest", job.id)


@rule("PF105", "no-promote-job")
def no_promote_job(ctx: Context) -> Iterator[Hit]:
    """A workflow publishes an image but no job promotes its digest.

    ## Why

    The runtime pin follows a publish only if the same workflow POSTs the
    pushed digest to the control plane. Gitea 1.22 has no `workflow_run`
    and blocks cross-repo `uses:`, so the promote must be a terminal job of
    this workflow. Without it every publish strands the pin on the previous
    image. `pinflow fix` appends one.

    ## Fails

    ```yaml
    jobs:
      publish:
        steps:
          - id: push
            uses: docker/build-push-action@v6
            with: {push: true}
    ```

    ## Passes

    ```yaml
    jobs:
      publish:
        outputs:
          digest: ${{ steps.push.outputs.digest }}
        # ...
      promote-pin:
        needs: [publish]
        if: ${{ success() && github.ref == 'refs/heads/main' }}
        # ... POST needs.publish.outputs.digest with curl --fail-with-body
    ```
    """
    promoted: set[str] = set()
    for job in ctx.promoters:
        promoted |= _upstream(ctx, job)
    for pub in ctx.publishers:
        if pub.job.id not in promoted:
            yield Hit(pub.job.pos, f"job '{pub.job.id}' publishes an image but no job promotes its digest (add a promote job; `pinflow fix` can)", pub.job.id)


@rule("PF106", "digest-unchecked", severity=WARNING)
def digest_unchecked(ctx: Context) -> Iterator[Hit]:
    """The promote step uses the digest without checking it is non-empty and well-formed.

    ## Why

    An image that was not pushed has an empty digest, and a runner drops an
    output that looks like it contains a secret. POSTing an empty or
    malformed digest either fails late with a confusing 4xx or, worse, is
    accepted and breaks every workspace that boots the pin. Refuse anything
    but `sha256:` followed by 64 hex digits before the request.

    ## Fails

    ```bash
    curl --fail-with-body -d "{\"image_digest\":\"$IMAGE_DIGEST\"}" "$CP_URL"
    ```

    ## Passes

    ```bash
    if [[ ! "$IMAGE_DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]]; then
      echo "::error::bad digest '$IMAGE_DIGEST'"; exit 1
    fi
    curl --fail-with-body -d "{\"image_digest\":\"$IMAGE_DIGEST\"}" "$CP_URL"
    ```
    """
    for job in ctx.promoters:
        scripts: list[str] = []  # this step's and earlier steps': a failed check there stops the job
        for step in job.steps:
            env = {**job.env, **step.env}
            digest_vars = [name for name, node in env.items() if _reads_digest(model.text(node) or "")]
            if step.run:
                scripts.append(step.run)
            if step.run and (digest_vars or _reads_digest(step.run)):
                missing = "non-empty and `sha256:` + 64 hex" if not digest_vars else _unchecked(scripts, digest_vars, job.if_, step.if_)
                if missing:
                    what = f"${digest_vars[0]}" if digest_vars else "the digest (inline `${{ }}`)"
                    yield Hit(step.pos, f"job '{job.id}': {step.label()} uses {what} without checking it is {missing}", job.id, step.label())


def _reads_digest(value: str) -> bool:
    return any(p[0] == "needs" and p[-1] == "digest" for p in expression_contexts(value))


def _unchecked(scripts: list[str], names: list[str], *conditions: str | None) -> str | None:
    from pinflow.shell import tested_variables

    tested: dict[str, set[str]] = {}
    for script in scripts:  # each parsed on its own (and answered once per process)
        for name, how in tested_variables(script).items():
            tested.setdefault(name, set()).update(how)
    guarded = any(c and "digest" in c for c in conditions)
    empty_ok = guarded or any(tested.get(n, set()) & {"empty", "pattern"} for n in names)
    format_ok = any("pattern" in tested.get(n, set()) for n in names)
    if not empty_ok and not format_ok:
        return "non-empty and `sha256:` + 64 hex"
    if not format_ok:
        return "`sha256:` + 64 hex (only emptiness is checked)"
    return None
