from __future__ import annotations

import pytest
from lintkit import fixture_text, line_of, mutate

GOOD = fixture_text("good_gitea.yml")
IF_LINE = "    if: ${{ success() && github.ref == 'refs/heads/main' }}"


def _with_if(condition: str | None) -> str:
    return mutate(GOOD, IF_LINE + "\n", "" if condition is None else f"    if: {condition}\n")


@pytest.mark.parametrize(
    "condition",
    [
        "${{ success() && github.ref == 'refs/heads/main' }}",
        "github.ref == 'refs/heads/main'",
        "${{ 'refs/heads/main' == github.ref }}",
        "${{ github.event_name == 'push' && github.ref == 'refs/heads/main' }}",
        "${{ gitea.ref == 'refs/heads/main' }}",
        "${{ github.ref_name == 'main' }}",
        "${{ !(github.ref != 'refs/heads/main') }}",
    ],
)
def test_main_only_guards_pass(lint, condition):
    found = [f for f in lint(_with_if(condition)) if f.rule in ("PF201", "PF202")]
    assert found == []


@pytest.mark.parametrize(
    "condition",
    [
        "${{ github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch' }}",
        "${{ github.ref != 'refs/heads/main' }}",
        "${{ github.ref == 'refs/heads/develop' }}",
        "${{ startsWith(github.ref, 'refs/heads/main') }}",
        "${{ github.event_name != 'pull_request' }}",
        "${{ success() }}",
    ],
)
def test_escaping_guards_draw_pf201(lint, condition):
    text = _with_if(condition)
    found = [f for f in lint(text) if f.rule == "PF201"]
    assert len(found) == 1
    assert found[0].line == line_of(text, "    if: ")


def test_missing_if_draws_pf201_at_job(lint):
    text = _with_if(None)
    found = [f for f in lint(text) if f.rule == "PF201"]
    assert [f.line for f in found] == [line_of(text, "  promote-pin:")]


@pytest.mark.parametrize(
    "condition",
    [
        "${{ always() && github.ref == 'refs/heads/main' }}",
        "${{ !cancelled() && github.ref == 'refs/heads/main' }}",
        "${{ (success() || failure()) && github.ref == 'refs/heads/main' }}",
    ],
)
def test_after_failure_draws_pf202(lint, condition):
    found = [f for f in lint(_with_if(condition)) if f.rule == "PF202"]
    assert len(found) == 1


@pytest.mark.parametrize("where", ["step", "job"])
def test_continue_on_error_on_publish_draws_pf202(lint, where):
    if where == "step":
        text = mutate(GOOD, "        id: push\n", "        id: push\n        continue-on-error: true\n")
    else:
        text = mutate(GOOD, "    needs: resolve-version\n", "    needs: resolve-version\n    continue-on-error: true\n")
    found = [f for f in lint(text) if f.rule == "PF202"]
    assert [f.line for f in found] == [line_of(text, "continue-on-error: true")]


def test_custom_main_branch(lint):
    text = _with_if("${{ github.ref == 'refs/heads/trunk' }}")
    assert [f for f in lint(text, main_branch="trunk") if f.rule == "PF201"] == []
    assert [f for f in lint(text) if f.rule == "PF201"]
