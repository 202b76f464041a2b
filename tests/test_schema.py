from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinflow import schema, yamlio
from pinflow.schema import MAX_MESSAGE, MAX_PROBLEMS, SchemaError, compile_schema, to_data, workflow_problems


def problems(text: str, dialect: str = "gitea") -> list[tuple[int, int, str]]:
    root = yamlio.compose(textwrap.dedent(text))
    assert root is not None
    return [(p.node.start_mark.line + 1, p.node.start_mark.column + 1, p.message)
            for p in workflow_problems(root, dialect)]


def only(text: str, dialect: str = "gitea") -> tuple[int, int, str]:
    found = problems(text, dialect)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------------------
# Valid workflows draw nothing

GITEA_PUBLISH = """\
name: publish-image
run-name: publish ${{ github.sha }}
on:
  push:
    branches: [main]
    paths-ignore: ["docs/**"]
  schedule:
    - cron: "@daily"
  workflow_dispatch:
    inputs:
      notes:
        type: string
        default: ""
      dry-run:
        type: boolean
        default: false
permissions:
  contents: read
  packages: write
env:
  REGISTRY: registry.example.com
  RETRIES: 3
  VERBOSE: true
  EMPTY:
defaults:
  run:
    shell: bash
concurrency:
  group: publish-${{ github.ref }}
  cancel-in-progress: ${{ github.ref != 'refs/heads/main' }}
enable-email-notifications: true
jobs:
  publish:
    runs-on: [self-hosted, linux]
    timeout-minutes: ${{ fromJSON(vars.TIMEOUT) }}
    continue-on-error: false
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    container: node:20
    services: ${{ fromJSON(vars.SERVICES) }}
    strategy:
      fail-fast: false
      max-parallel: 2
      matrix:
        arch: [amd64, arm64]
        include:
          - arch: riscv
        exclude: ${{ fromJSON(vars.EXCLUDE) }}
    steps:
      - uses: https://github.com/actions/checkout@v4
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          retries: 3
          tags: ${{ env.REGISTRY }}/app:latest
        continue-on-error: ${{ inputs.dry-run }}
        timeout-minutes: 10
      - name: 42
        run: echo "${{ steps.push.outputs.digest }}"
        shell: bash
        working-directory: ./app
        if: ${{ success() }}
        env:
          DIGEST: ${{ steps.push.outputs.digest }}
          N: 1.5
  promote-pin:
    needs: publish
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    environment:
      name: production
      url: https://example.com
    permissions: read-all
    steps:
      - run: |
          set -euo pipefail
          curl --fail-with-body -X POST https://cp.example.com/cp/admin/runtime-image/promote
  reuse:
    needs: [publish, promote-pin]
    uses: org/repo/.github/workflows/x.yml@v1
    with:
      count: 2
      flag: true
    secrets: inherit
"""


def test_realistic_gitea_workflow_is_clean():
    assert problems(GITEA_PUBLISH) == []


@pytest.mark.parametrize("on", [
    "push",
    "[push, workflow_dispatch]",
    "{push: null, pull_request: {types: [opened]}}",
    "{workflow_call: {inputs: {n: {type: number, default: 3}}, secrets: {token: {required: true}}}}",
    "{workflow_run: {workflows: [ci], types: completed}}",
    "{release: {types: [published]}, create: {}}",
])
def test_trigger_forms_are_accepted(on):
    assert problems(f"on: {on}\njobs:\n  a:\n    runs-on: x\n    steps: [{{run: echo}}]\n") == []


@pytest.mark.parametrize("runs_on", ["ubuntu-latest", "[self-hosted, x64]", "{group: runners, labels: x64}",
                                     "${{ matrix.os }}"])
def test_runs_on_forms_are_accepted(runs_on):
    assert problems(f"on: push\njobs:\n  a:\n    runs-on: {runs_on}\n    steps: [{{run: echo}}]\n") == []


def test_aliases_and_gitea_merge_keys_are_followed():
    text = """\
    on: push
    x-defaults: &defaults
      runs-on: ubuntu-latest
    jobs:
      a:
        <<: *defaults
        steps:
          - &step
            run: echo
          - *step
    """
    # x-defaults is not a workflow key: exactly that, nothing from the merge.
    assert only(text) == (2, 1, "`x-defaults` is not a workflow key (did you mean `defaults`?)")


# ---------------------------------------------------------------------------
# What must be caught, where, and how it reads

def test_steps_that_is_a_mapping_points_at_the_value():
    text = """\
    on: push
    jobs:
      publish:
        runs-on: ubuntu-latest
        steps:
          run: docker push example/image
    """
    assert only(text) == (6, 7, "jobs.publish.steps: expected a list of steps, got a mapping")


def test_step_that_is_a_number_or_a_list():
    text = """\
    on: push
    jobs:
      b:
        runs-on: x
        steps:
          - 3
          - [a, b]
    """
    assert problems(text) == [
        (6, 9, "jobs.b.steps[0]: expected a step (a mapping with `run:` or `uses:`), got the number 3"),
        (7, 9, "jobs.b.steps[1]: expected a step (a mapping with `run:` or `uses:`), got a list"),
    ]


def test_id_that_is_a_mapping():
    text = """\
    on: push
    jobs:
      b:
        runs-on: x
        steps:
          - id: {a: 1}
            run: echo
    """
    assert only(text) == (6, 13, "jobs.b.steps[0].id: expected a string, got a mapping")


def test_job_without_runs_on_or_uses_points_at_the_job_key():
    text = """\
    on: push
    jobs:
      build:
        steps: [{run: make}]
    """
    line, col, message = only(text)
    assert (line, col) == (3, 3)
    assert message.startswith("jobs.build: a job needs `runs-on:`") and "`uses:`" in message


def test_unknown_job_key_points_at_the_key_and_suggests():
    text = """\
    on: push
    jobs:
      build:
        runs-on: x
        need: setup
        steps: [{run: make}]
    """
    assert only(text) == (5, 5, "jobs.build: `need` is not a job key (did you mean `needs`?)")


def test_a_typo_for_a_required_key_is_reported_once():
    text = """\
    on: push
    jobs:
      build:
        runs_on: x
        steps:
          - usess: actions/checkout@v4
    """
    assert problems(text) == [
        (4, 5, "jobs.build: `runs_on` is not a job key (did you mean `runs-on`?)"),
        (6, 9, "jobs.build.steps[0]: `usess` is not a step key (did you mean `uses`?)"),
    ]


def test_missing_on_and_wrong_jobs():
    assert only("name: x\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n") == \
        (1, 1, "missing `on:` (the events that trigger this workflow)")
    assert only("on: push\njobs: [build]\n") == (2, 7, "jobs: expected a mapping of job ids to jobs, got a list")
    assert only("on: push\njobs:\n") == (2, 1, "jobs: expected a mapping of job ids to jobs, got an empty value")
    assert only("on: push\njobs: {}\n") == (2, 1, "jobs: at least one job is required")


def test_unknown_top_level_key_lists_nothing_but_suggests():
    assert only("on: push\njob:\n  a: {runs-on: x, steps: [{run: echo}]}\n")[2] == \
        "`job` is not a workflow key (did you mean `jobs`?)"


def test_bad_job_id_still_checks_the_job():
    text = """\
    on: push
    jobs:
      1st:
        runs-on: x
        steps: 3
    """
    assert problems(text) == [
        (3, 3, "jobs: `1st` is not a valid job id (use letters, digits, `-` and `_`, starting with a letter or `_`)"),
        (5, 12, "jobs.1st.steps: expected a list of steps, got the number 3"),
    ]


def test_uses_and_run_in_one_step():
    text = """\
    on: push
    jobs:
      a:
        runs-on: x
        steps:
          - uses: actions/checkout@v4
            run: echo
          - run: echo
            with: {a: 1}
    """
    assert problems(text) == [
        (7, 9, "jobs.a.steps[0]: `run` cannot be combined with `uses:` in one step"),
        (9, 9, "jobs.a.steps[1]: `with` only applies to `uses:` steps (action inputs)"),
    ]


def test_step_without_run_or_uses():
    assert only("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - name: nothing\n") == \
        (6, 9, "jobs.a.steps[0]: a step needs `run:` or `uses:`")


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("continue-on-error", "maybe", "expected true, false or a ${{ }} expression, got 'maybe'"),
    ("timeout-minutes", "'10'", "expected a number or a ${{ }} expression, got '10'"),
    ("timeout-minutes", "true", "expected a number or a ${{ }} expression, got `true`"),
    ("timeout-minutes", "ten ${{ inputs.t }}", "expected a number or a ${{ }} expression"),
])
def test_expression_or_typed_value(field, value, expected):
    text = f"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n        {field}: {value}\n"
    line, col, message = only(text)
    assert (line, col) == (7, 11 + len(field))
    assert message.startswith(f"jobs.a.steps[0].{field}: {expected}")


@pytest.mark.parametrize("value", ["${{ inputs.retry }}", " ${{ a }}${{ b }} ", "true", "false"])
def test_expressions_stand_in_for_booleans(value):
    text = f"on: push\njobs:\n  a:\n    runs-on: x\n    continue-on-error: {value}\n    steps: [{{run: echo}}]\n"
    assert problems(text) == []


def test_with_values_must_be_scalars():
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: a/b@v1\n        with:\n          x: [1]\n"
    assert only(text) == (8, 14, "jobs.a.steps[0].with.x: expected a string, number or boolean, got a list")


def test_unknown_event_and_schedule_string():
    assert only("on: pushh\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n") == \
        (1, 5, "on: expected a workflow event name, got 'pushh' (did you mean `push`?)")
    assert only("on: [schedule]\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n")[2].startswith(
        "on[0]: `schedule` needs `cron:` entries")
    assert only("on:\n  pushes: {}\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n") == \
        (2, 3, "on: `pushes` is not a workflow event (did you mean `push`?)")


def test_push_filters():
    text = "on:\n  push:\n    branch: main\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n"
    assert only(text) == (3, 5, "on.push: `branch` is not a push filter (did you mean `branches`?)")
    text = "on:\n  push:\n    branches: [main]\n    branches-ignore: [dev]\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n"
    assert only(text) == (2, 3, "on.push: cannot use both `branches:` and `branches-ignore:` for one event")


def test_call_job_rejects_normal_job_keys():
    text = "on: push\njobs:\n  c:\n    uses: o/r/.github/workflows/w.yml@v1\n    runs-on: x\n"
    assert only(text) == (5, 5, "jobs.c: `runs-on` is not allowed in a job that calls a reusable workflow (`uses:`)")


def test_permissions():
    text = "on: push\npermissions:\n  contents: maybe\n  content: read\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n"
    assert problems(text) == [
        (3, 13, "permissions.contents: expected read, write or none, got 'maybe'"),
        (4, 3, "permissions: `content` is not a permission scope (did you mean `contents`?)"),
    ]


def test_merge_keys_are_reported_for_github_only():
    text = """\
    on: push
    jobs:
      a:
        runs-on: x
        env: &e {A: 1}
        steps:
          - run: echo
            env:
              <<: *e
              B: 2
    """
    assert problems(text) == []
    assert only(text, dialect="github") == (9, 11, "GitHub Actions does not support YAML merge keys (`<<:`)")


def test_one_mistake_behind_many_aliases_is_reported_once():
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - &s {run: echo, with: {a: 1}}\n" + \
        "      - *s\n" * 10
    assert only(text) == (6, 24, "jobs.a.steps[0]: `with` only applies to `uses:` steps (action inputs)")


def test_problems_are_capped_and_in_file_order():
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n" + "".join(f"      - {i}\n" for i in range(60))
    found = problems(text)
    assert len(found) == MAX_PROBLEMS
    assert [line for line, _, _ in found] == list(range(6, 6 + MAX_PROBLEMS))


def test_messages_are_one_bounded_line():
    key = "k" * 500 + "\n" + "x" * 500
    text = json.dumps({"on": "push", key: 1, "jobs": {"a": {"runs-on": "x", "steps": [{"run": "echo", "id": "y\n" * 300 + "z"}]}}})
    found = problems(text)
    assert found
    for _, _, message in found:
        assert "\n" not in message and len(message) <= MAX_MESSAGE


def test_recursive_alias_and_collection_keys_do_not_crash():
    # yamlio.compose refuses nothing here on purpose: build the nodes with ruamel directly.
    from ruamel.yaml import YAML

    root = YAML(typ="safe").compose("on: push\njobs:\n  a: &j\n    runs-on: x\n    steps: [*j]\n? [k]\n: v\n")
    messages = [p.message for p in workflow_problems(root)]
    assert "an alias refers to a collection that contains it (recursive alias)" in messages
    assert "a mapping key must be a plain scalar, not a collection" in messages


# ---------------------------------------------------------------------------
# Data conversion

def test_scalars_are_typed_by_their_resolved_tag():
    root = yamlio.compose("a: 1\nb: true\nc: null\nd: 1.5\ne: '1'\nf: 0x1f\ng: .inf\nh: ~\ni: 2001-12-14\nj: 0o17\n")
    assert to_data(root) == {"a": 1, "b": True, "c": None, "d": 1.5, "e": "1", "f": 31, "g": 0.0, "h": None,
                             "i": "2001-12-14", "j": 15}


def test_aliases_are_shared_not_copied():
    data = to_data(yamlio.compose("a: &x {k: [1, 2]}\nb: *x\n"))
    assert data["a"] is data["b"]


def test_merge_keys_explicit_keys_win_then_earlier_merges():
    data = to_data(yamlio.compose("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n"))
    assert data["c"] == {"x": 3, "y": 1, "z": 2}


# ---------------------------------------------------------------------------
# The compiled validator agrees with jsonschema

def test_schema_is_a_valid_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema.workflow_schema())


def test_unsupported_keywords_are_refused():
    with pytest.raises(SchemaError, match="'minimum'"):
        compile_schema({"minimum": 1})
    with pytest.raises(SchemaError, match="local"):
        compile_schema({"$ref": "https://example.com/s.json"})


def test_property_schemas_compile_on_first_use_and_every_shipped_schema_compiles() -> None:
    from pinflow.resources import load_schema

    lazy = compile_schema({"properties": {"a": {"minimum": 1}}})  # not compiled yet: no error
    assert lazy({"b": 1}, (), None)
    with pytest.raises(SchemaError, match="'minimum'"):
        lazy({"a": 1}, (), None)
    with pytest.raises(SchemaError, match="'minimum'"):
        compile_schema({"properties": {"a": {"minimum": 1}}}, eager=True)
    for name in ("workflow.schema.json", "config.schema.json"):
        compile_schema(load_schema(name), eager=True)  # every keyword anywhere is supported


def _reference_errors(data: Any) -> set[tuple[tuple[Any, ...], str]]:
    from jsonschema import Draft202012Validator

    found = set()
    for err in Draft202012Validator(schema.workflow_schema()).iter_errors(data):
        keyword = "propertyNames" if "propertyNames" in err.absolute_schema_path else str(err.validator)
        found.add((tuple(err.absolute_path), keyword))
    return found


def _our_errors(data: Any) -> set[tuple[tuple[Any, ...], str]]:
    return {(e.path, e.keyword) for e in schema.validation_errors(data)}


@pytest.mark.parametrize("text", [GITEA_PUBLISH, "on: push\njobs:\n  1x: {need: a, steps: {}}\n",
                                  "on: [schedule]\npermissions: {contents: x}\njobs: 3\n"])
def test_same_errors_as_jsonschema_on_fixtures(text):
    data = to_data(yamlio.compose(text))
    assert _our_errors(data) == _reference_errors(data)


# Values drawn from the workflow vocabulary reach deep into the schema.
_WORDS = ["on", "jobs", "push", "schedule", "cron", "branches", "branches-ignore", "types", "workflow_call",
          "inputs", "type", "string", "runs-on", "steps", "uses", "run", "with", "env", "id", "if", "needs",
          "strategy", "matrix", "include", "container", "image", "services", "permissions", "contents", "read",
          "secrets", "inherit", "outputs", "value", "name", "a", "1x", "${{ x }}", "", "<<"]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=False, allow_infinity=False),
                     st.sampled_from(_WORDS), st.text(max_size=8))
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(_WORDS), st.text(max_size=6)), inner, max_size=5)),
    max_leaves=40,
)
_workflowish = st.fixed_dictionaries({"on": _data, "jobs": st.dictionaries(st.sampled_from(_WORDS), _data, max_size=3)},
                                     optional={"permissions": _data, "env": _data})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_data, _workflowish))
def test_same_errors_as_jsonschema_on_random_data(data):
    assert _our_errors(data) == _reference_errors(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_data, _workflowish))
def test_random_documents_never_crash(data):
    # JSON is YAML: compose the text, as lint does, and check every promise.
    try:
        root = yamlio.compose(json.dumps(data, ensure_ascii=False))
    except yamlio.YamlProblem:  # e.g. control characters: YAML's refusal, PF001's business
        return
    if root is None:
        return
    found = workflow_problems(root)
    assert len(found) <= MAX_PROBLEMS
    positions = [(p.node.start_mark.line, p.node.start_mark.column) for p in found]
    assert positions == sorted(positions)
    for p in found:
        assert p.message and "\n" not in p.message and len(p.message) <= MAX_MESSAGE


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["- ", "a: ", "&x ", "*x ", "<<: ", "[", "]", "{", "}", ", ", "\n", "  ", "on", "1",
                                 "jobs", "steps", "? "]), max_size=40))
def test_random_yaml_text_never_crashes(pieces):
    # ruamel's composer directly: recursive aliases and odd keys reach us as they are.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        root = YAML(typ="safe").compose("".join(pieces))
    except YAMLError:
        return
    if root is not None:
        for p in workflow_problems(root):
            assert "\n" not in p.message
