from __future__ import annotations

import pytest
from lintkit import line_of, mutate

from pinflow.lint import lint_text

# A publish workflow that satisfies every PF4xx rule on Gitea 1.22.
CLEAN = """\
name: publish-image
on:
  push:
    branches: [main]
  workflow_dispatch:
env:
  GITHUB_SERVER_URL: https://git.example.test
jobs:
  publish:
    runs-on: [publish, release]
    timeout-minutes: 30
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2
      - name: Push
        id: push
        uses: docker/build-push-action@bcafcacb16a39f128d818304e6c9c0c18556b85f # v7.1.0
        with:
          context: .
          push: true
          tags: registry.example.test/team/app:latest
  promote-pin:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    needs: [publish]
    if: ${{ success() && github.ref == 'refs/heads/main' }}
    steps:
      - name: Promote
        env:
          IMAGE_DIGEST: ${{ needs.publish.outputs.digest }}
        run: |
          set -euo pipefail
          curl -sS --fail-with-body -X POST -d "${IMAGE_DIGEST}" "https://cp.example.test/cp/admin/runtime-image/promote"
"""

# Not a publish workflow: the fleet-checklist rules (PF405-PF407) do not apply.
PLAIN = """\
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""


def pf4(text: str, version: str = "1.22", dialect: str = "gitea") -> list[tuple[str, int, int]]:
    found = lint_text(text, "wf.yml", dialect=dialect, gitea_version=version)
    return sorted((f.rule, f.line, f.column) for f in found if f.rule.startswith("PF4"))


def only(text: str, code: str, version: str = "1.22") -> list[tuple[int, int]]:
    return [(line, col) for rule, line, col in pf4(text, version) if rule == code]


def col_of(text: str, needle: str) -> int:
    return text.splitlines()[line_of(text, needle) - 1].index(needle) + 1


def line_is(text: str, exact: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if line == exact]
    assert len(lines) == 1, f"{exact!r} on lines {lines}"
    return lines[0]


def test_clean_publish_workflow_draws_nothing():
    assert pf4(CLEAN) == []


def test_github_dialect_runs_no_gitea_rule():
    text = mutate(CLEAN, "  workflow_dispatch:\n", "  workflow_run:\n    workflows: [x]\n")
    assert pf4(text, dialect="github") == []
    assert pf4(text) != []


# --- PF401 workflow_run ---------------------------------------------------------


def test_pf401_workflow_run_key_under_on():
    text = mutate(CLEAN, "  workflow_dispatch:\n", "  workflow_run:\n    workflows: [build]\n    types: [completed]\n")
    found = [f for f in lint_text(text, "wf.yml", dialect="gitea") if f.rule == "PF401"]
    assert [(f.line, f.column, f.severity) for f in found] == [(line_of(text, "workflow_run:"), 3, "error")]


@pytest.mark.parametrize(("on", "column"), [("on: workflow_run", 5), ("on: [push, workflow_run]", 12)])
def test_pf401_scalar_and_list_forms(on, column):
    text = mutate(PLAIN, "on:\n  push:\n    branches: [main]", on)
    assert only(text, "PF401") == [(1, column)]


def test_pf401_not_for_other_triggers():
    assert only(CLEAN, "PF401") == []


# --- PF402 cross-repo reusable workflow -------------------------------------------


CALLER = """\
on:
  push:
    branches: [main]
jobs:
  build:
    uses: {uses}
    secrets: inherit
"""


@pytest.mark.parametrize(
    ("uses", "message"),
    [
        ("team/ci/.gitea/workflows/publish.yml@main", "DEFAULT_ACTIONS_URL"),
        ("https://git.example.test/team/ci/.gitea/workflows/publish.yml@main", "by URL"),
    ],
)
def test_pf402_cross_repo_call_points_at_the_uses_value(uses, message):
    text = CALLER.format(uses=uses)
    found = [f for f in lint_text(text, "wf.yml", dialect="gitea") if f.rule == "PF402"]
    assert [(f.line, f.column, f.job, f.severity) for f in found] == [(6, 11, "build", "error")]
    assert message in found[0].message


def test_pf402_local_call_is_fine():
    assert only(CALLER.format(uses="./.gitea/workflows/publish.yml"), "PF402") == []


def test_pf402_step_level_actions_are_fine():
    # CLEAN uses actions/checkout and docker/build-push-action at step level.
    assert only(CLEAN, "PF402") == []


# --- PF403 unsupported triggers ---------------------------------------------------


@pytest.mark.parametrize("event", ["merge_group", "repository_dispatch", "check_suite"])
def test_pf403_github_only_trigger(event):
    text = mutate(CLEAN, "  workflow_dispatch:\n", f"  {event}:\n")
    assert only(text, "PF403") == [(line_of(text, f"{event}:"), 3)]


@pytest.mark.parametrize("event", ["pull_request", "schedule", "release", "workflow_call"])
def test_pf403_gitea_triggers_are_fine(event):
    text = mutate(CLEAN, "  workflow_dispatch:\n", f"  {event}:\n")
    assert only(text, "PF403") == []


# --- PF404 workflow_dispatch.inputs -----------------------------------------------


DISPATCH_INPUTS = mutate(CLEAN, "  workflow_dispatch:\n", "  workflow_dispatch:\n    inputs:\n      runtime_version:\n        type: string\n")


def test_pf404_points_at_inputs_key_on_122():
    assert only(DISPATCH_INPUTS, "PF404", "1.22.6") == [(line_of(DISPATCH_INPUTS, "inputs:"), 5)]


def test_pf404_not_from_123_on():
    assert only(DISPATCH_INPUTS, "PF404", "1.23") == []


def test_pf404_bare_workflow_dispatch_is_fine():
    assert "workflow_dispatch:" in CLEAN
    assert only(CLEAN, "PF404") == []


# --- PF405 GITHUB_SERVER_URL --------------------------------------------------------


def test_pf405_missing_points_at_env_key():
    text = mutate(CLEAN, "  GITHUB_SERVER_URL: https://git.example.test\n", "  IMAGE: app\n")
    assert only(text, "PF405") == [(line_is(text, "env:"), 1)]


def test_pf405_missing_without_env_points_at_jobs_key():
    text = mutate(CLEAN, "env:\n  GITHUB_SERVER_URL: https://git.example.test\n", "")
    assert only(text, "PF405") == [(line_of(text, "jobs:"), 1)]


def test_pf405_expression_is_not_a_pin():
    text = mutate(CLEAN, "https://git.example.test\n", "${{ github.server_url }}\n")
    assert only(text, "PF405") == [(line_of(text, "GITHUB_SERVER_URL"), col_of(text, "${{ github.server_url"))]


def test_pf405_only_for_publish_workflows():
    assert only(PLAIN, "PF405") == []


# --- PF406 on.push.paths -----------------------------------------------------------


@pytest.mark.parametrize("key", ["paths", "paths-ignore"])
def test_pf406_push_path_filter(key):
    text = mutate(CLEAN, "    branches: [main]\n", f"    branches: [main]\n    {key}: [Dockerfile]\n")
    found = [f for f in lint_text(text, "wf.yml", dialect="gitea") if f.rule == "PF406"]
    assert [(f.line, f.column, f.severity) for f in found] == [(line_of(text, f"{key}:"), 5, "warning")]


def test_pf406_pull_request_paths_are_fine():
    text = mutate(CLEAN, "  workflow_dispatch:\n", "  pull_request:\n    paths: [Dockerfile]\n")
    assert only(text, "PF406") == []


def test_pf406_only_for_publish_workflows():
    text = mutate(PLAIN, "    branches: [main]\n", "    branches: [main]\n    paths: [src]\n")
    assert only(text, "PF406") == []


# --- PF407 timeout-minutes ------------------------------------------------------------


def test_pf407_job_without_timeout_points_at_job_key():
    text = mutate(CLEAN, "    timeout-minutes: 5\n", "")
    found = [f for f in lint_text(text, "wf.yml", dialect="gitea") if f.rule == "PF407"]
    assert [(f.line, f.column, f.job, f.severity) for f in found] == [(line_of(text, "  promote-pin:"), 3, "promote-pin", "warning")]


def test_pf407_applies_on_every_version():
    text = mutate(CLEAN, "    timeout-minutes: 5\n", "")
    assert only(text, "PF407", "1.27") == [(line_of(text, "  promote-pin:"), 3)]


def test_pf407_skips_reusable_workflow_callers():
    text = CLEAN + "  notify:\n    needs: [promote-pin]\n    uses: ./.gitea/workflows/notify.yml\n"
    assert only(text, "PF407") == []


# --- PF408 complex runs-on --------------------------------------------------------------


def test_pf408_group_mapping():
    text = mutate(CLEAN, "    runs-on: [publish, release]\n", "    runs-on:\n      group: publishers\n      labels: [publish]\n")
    found = [f for f in lint_text(text, "wf.yml", dialect="gitea") if f.rule == "PF408"]
    assert [(f.line, f.column, f.job, f.severity) for f in found] == [(line_is(text, "    runs-on:"), 5, "publish", "error")]


@pytest.mark.parametrize("runs_on", ["publish", "[publish]", "[publish, release]", "${{ matrix.runner }}"])
def test_pf408_labels_are_fine(runs_on):
    text = mutate(CLEAN, "    runs-on: [publish, release]\n", f"    runs-on: {runs_on}\n")
    assert only(text, "PF408") == []


# --- PF409-PF413 ignored keys, gated by the versions whose docs list them ----------------

# (code, where the key goes, the key's line text, last version listing it, first not listing it)
IGNORED = [
    ("PF409", "jobs:\n", "concurrency: publish\njobs:\n", "concurrency: publish", "1.25", "1.26"),
    ("PF409", "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    concurrency: promote\n", "concurrency: promote", "1.25.4", "1.26.0"),
    ("PF410", "on:\n", "run-name: publish ${{ github.sha }}\non:\n", "run-name:", "1.24", "1.25"),
    ("PF411", "jobs:\n", "permissions:\n  packages: write\njobs:\n", "packages: write", "1.25", "1.26"),
    ("PF411", "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    permissions: write-all\n", "permissions: write-all", "1.22", "1.27"),
    ("PF412", "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    continue-on-error: true\n", "continue-on-error:", "1.26", "1.27"),
]


@pytest.mark.parametrize(("code", "old", "new", "needle", "listed", "unlisted"), IGNORED)
def test_ignored_key_warns_while_docs_list_it(code, old, new, needle, listed, unlisted):
    text = mutate(CLEAN, old, new)
    found = [f for f in lint_text(text, "wf.yml", dialect="gitea", gitea_version=listed) if f.rule == code]
    assert [(f.line, f.column, f.severity) for f in found] == [(line_of(text, needle), col_of(text, needle.split(":")[0] + ":"), "warning")]
    assert only(text, code, unlisted) == []


def test_unreadable_version_keeps_gated_rules_on():
    text = mutate(CLEAN, "jobs:\n", "concurrency: publish\njobs:\n")
    assert only(text, "PF409", "latest") == [(line_of(text, "concurrency:"), 1)]


def test_pf413_environment_on_every_version():
    text = mutate(CLEAN, "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    environment: production\n")
    for version in ("1.22", "1.27"):
        assert only(text, "PF413", version) == [(line_of(text, "environment:"), 5)]


def test_pf412_step_level_continue_on_error_is_fine():
    text = mutate(CLEAN, "        run: |\n", "        continue-on-error: true\n        run: |\n")
    assert only(text, "PF412") == []


# --- PF414 hashFiles ------------------------------------------------------------------------


def test_pf414_points_at_the_call_inside_the_expression():
    text = mutate(CLEAN, "          context: .\n", "          context: .\n          build-args: DEPS=${{ hashFiles('requirements.txt') }}\n")
    assert only(text, "PF414", "1.24") == [(line_of(text, "build-args:"), col_of(text, "hashFiles("))]
    assert only(text, "PF414", "1.25") == []


def test_pf414_bare_if_condition():
    text = mutate(CLEAN, "      - name: Promote\n", "      - name: Promote\n        if: hashFiles('x.lock') != ''\n")
    assert only(text, "PF414") == [(line_of(text, "if: hashFiles"), col_of(text, "hashFiles("))]


def test_pf414_not_for_text_outside_expressions():
    text = mutate(CLEAN, "          set -euo pipefail\n", "          set -euo pipefail\n          echo 'hashFiles(x) is not used here'\n")
    assert only(text, "PF414") == []


# --- documentation ----------------------------------------------------------------------------


def test_every_gitea_rule_documents_its_source_and_versions():
    from pinflow.rules import GITEA, all_rules

    gitea = {code: r for code, r in all_rules().items() if code.startswith("PF4")}
    assert sorted(gitea) == [f"PF4{n:02d}" for n in range(1, 15)]
    for code, r in gitea.items():
        assert r.scope == GITEA, code
        sections = [line for line in r.body.splitlines() if line.startswith("## ")]
        assert sections == ["## Why", "## Fails", "## Passes", "## Source"], code
        source = r.body.split("## Source", 1)[1]
        assert "**Versions:**" in source, code
        assert "Gitea docs" in source or "fleet's own 1.22.6 checklist" in source, code


@pytest.mark.parametrize("block", ["permissions:\n  contents: read\n", "permissions: {}\n", "permissions: read-all\n"])
def test_pf411_ignores_restrictions(block):
    # A restriction is harmless where ignored and protects the file elsewhere.
    text = mutate(CLEAN, "jobs:\n", block + "jobs:\n")
    assert only(text, "PF411", "1.22") == []
