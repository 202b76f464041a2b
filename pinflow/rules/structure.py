"""PF0xx: is it YAML, is it a workflow, do its expressions parse."""
from __future__ import annotations

from collections.abc import Iterator

from pinflow import model
from pinflow.findings import ERROR
from pinflow.lintctx import Context, Hit
from pinflow.rules import ANY, documented, rule

documented("PF001", "invalid-yaml", ERROR, ANY, """
    The file is not valid YAML (syntax error, duplicate key, bad encoding, limits).

    ## Why

    A runner that cannot parse the workflow runs nothing: the image is not
    published and the pin does not move, and on Gitea the only sign is a
    workflow that silently disappears from the Actions tab. Duplicate keys are
    worse: YAML loaders keep the *last* value, so a second `if:` or `needs:`
    quietly replaces the guard a reviewer saw first. pinflow also refuses
    inputs no workflow needs (files over 4 MiB, nesting deeper than 200
    levels, aliases expanding past 200,000 nodes) so a hostile file cannot hang
    a pre-commit hook.

    ## Fails

    ```yaml
    jobs:
      promote-pin:
        if: github.ref == 'refs/heads/main'
        if: always()
    ```

    ## Passes

    ```yaml
    jobs:
      promote-pin:
        if: ${{ success() && github.ref == 'refs/heads/main' }}
    ```
""")


@rule("PF002", "not-a-workflow", ERROR, scope=ANY)
def not_a_workflow(ctx: Context) -> Iterator[Hit]:
    """The document is not a workflow, or its structure is wrong.

    ## Why

    A mapping without `on:`/`jobs:`, a `steps:` that is not a list, a step
    that is a number, or an `id:` that is a mapping is rejected by the runner
    at run time, after the merge. pinflow validates the document against its
    workflow schema (`schemas/workflow.schema.json`) and points at the
    offending node.

    ## Fails

    ```yaml
    on: push
    jobs:
      publish:
        runs-on: ubuntu-latest
        steps:
          run: docker push example/image
    ```

    ## Passes

    ```yaml
    on: push
    jobs:
      publish:
        runs-on: ubuntu-latest
        steps:
          - run: docker push example/image
    ```
    """
    from pinflow.schema import workflow_problems

    for node, message in workflow_problems(ctx.wf.root, ctx.opts.dialect):
        yield Hit(model.pos(node), message)


@rule("PF003", "bad-expression", ERROR, scope=ANY)
def bad_expression(ctx: Context) -> Iterator[Hit]:
    """A `${{ }}` expression (or an `if:` condition) does not parse.

    ## Why

    The runner evaluates a broken expression to an error at run time: the job
    fails or, worse for an `if:`, the guard is not what it looks like. An
    unterminated `${{` or a stray operator is caught here, at the line and
    column of the problem.

    ## Fails

    ```yaml
    if: ${{ success() && github.ref == 'refs/heads/main' }
    ```

    ## Passes

    ```yaml
    if: ${{ success() && github.ref == 'refs/heads/main' }}
    ```
    """
    from pinflow import expressions

    for node, is_condition in _expression_scalars(ctx):
        value = str(node.value)
        if is_condition and "${{" not in value:
            try:
                expressions.parse(value)
            except expressions.ExprError as exc:
                yield Hit(ctx.pos_in_scalar(node, min(exc.offset, len(value))), f"condition does not parse: {exc.message}")
            continue
        if "${{" not in value:
            continue
        try:
            embedded = expressions.find_embedded(value)
        except expressions.ExprError as exc:
            yield Hit(ctx.pos_in_scalar(node, min(exc.offset, len(value))), f"expression does not parse: {exc.message}")
            continue
        for emb in embedded:
            try:
                expressions.parse(emb.source)
            except expressions.ExprError as exc:
                base = value.find(emb.source, emb.start) if emb.source else emb.start
                yield Hit(ctx.pos_in_scalar(node, max(base, 0) + exc.offset), f"expression does not parse: {exc.message}")


def _expression_scalars(ctx: Context) -> Iterator[tuple[object, bool]]:
    """Every string scalar once (value nodes and keys), flagged when it is an `if:`."""
    seen: set[int] = set()
    stack: list[tuple[object, bool]] = [(ctx.wf.root, False)]
    while stack:
        node, is_cond = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if model.is_scalar(node):
            if node.tag == "tag:yaml.org,2002:str":  # type: ignore[attr-defined]
                yield node, is_cond
        elif model.is_map(node):
            for k, v in node.value:  # type: ignore[attr-defined]
                stack.append((v, model.text(k) == "if"))
        elif model.is_seq(node):
            stack.extend((child, False) for child in node.value)  # type: ignore[attr-defined]
