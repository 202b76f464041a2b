from __future__ import annotations

import pytest
from lintkit import fixture_text, line_of, mutate

GOOD = fixture_text("good_gitea.yml")
SHELL_PUSH = fixture_text("shell_push_gitea.yml")


def test_curl_without_fail_draws_pf301_at_the_curl(lint):
    text = mutate(GOOD, "curl -sS --fail-with-body --max-time 30", "curl -sS --max-time 30")
    found = [f for f in lint(text) if f.rule == "PF301"]
    assert len(found) == 1
    assert found[0].line == line_of(text, "curl -sS --max-time 30")
    assert found[0].column == text.splitlines()[found[0].line - 1].index("curl") + 1


@pytest.mark.parametrize("suffix", [" || true", " || echo failed"])
def test_swallowed_failure_draws_pf302(lint, suffix):
    text = mutate(GOOD, '"https://cp.example.test/cp/admin/runtime-image/promote"\n',
                  f'"https://cp.example.test/cp/admin/runtime-image/promote"{suffix}\n')
    rules = {f.rule for f in lint(text)}
    assert "PF302" in rules and "PF301" not in rules


def test_warning_only_status_branch_draws_pf302(lint):
    text = mutate(SHELL_PUSH, '            echo "::error::promote failed (HTTP ${code})"\n            exit 1\n',
                  '            echo "::warning::promote failed (HTTP ${code})"\n')
    assert "PF302" in {f.rule for f in lint(text)}


def test_continue_on_error_on_promote_step_draws_pf302(lint):
    text = mutate(GOOD, "      - name: Promote\n", "      - name: Promote\n        continue-on-error: true\n")
    found = [f for f in lint(text) if f.rule == "PF302"]
    assert [f.line for f in found] == [line_of(text, "continue-on-error: true")]


def test_pipeline_is_loud_on_gitea_but_quiet_on_github_default_shell(lint):
    text = mutate(GOOD, "          set -euo pipefail\n", "")
    text = mutate(text, '"https://cp.example.test/cp/admin/runtime-image/promote"\n',
                  '"https://cp.example.test/cp/admin/runtime-image/promote" | tee /dev/null\n')
    assert "PF301" not in {f.rule for f in lint(text, dialect="gitea")}
    assert "PF301" in {f.rule for f in lint(text, dialect="github")}


def test_secret_inside_run_draws_pf303(lint):
    text = mutate(GOOD, '-H "Authorization: Bearer ${CP_TOKEN}"', '-H "Authorization: Bearer ${{ secrets.CP_ADMIN_API_TOKEN }}"')
    found = [f for f in lint(text) if f.rule == "PF303"]
    assert len(found) == 1 and found[0].line == line_of(text, "secrets.CP_ADMIN_API_TOKEN }}\"")


def test_xtrace_and_echo_draw_pf303(lint):
    text = mutate(GOOD, "          set -euo pipefail\n", "          set -euo pipefail\n          set -x\n          echo \"token: $CP_TOKEN\"\n")
    found = sorted(f.line for f in lint(text) if f.rule == "PF303")
    assert found == [line_of(text, "set -x"), line_of(text, 'echo "token: $CP_TOKEN"')]


def test_pf303_points_at_the_expression_not_the_word(lint):
    text = mutate(GOOD, "          set -euo pipefail\n", "          set -euo pipefail\n          # no secrets are printed here\n")
    text = mutate(text, '-H "Authorization: Bearer ${CP_TOKEN}"', '-H "Authorization: Bearer ${{ secrets.CP_ADMIN_API_TOKEN }}"')
    [f] = [f for f in lint(text) if f.rule == "PF303"]
    row = line_of(text, "Bearer ${{ secrets.CP_ADMIN_API_TOKEN }}")
    assert (f.line, f.column) == (row, text.splitlines()[row - 1].index("${{ secrets") + 1)
