"""fix: additive repairs of hand-written workflows, refusals, --diff, atomic writes.

The fixtures in tests/fixtures/fix/ are synthetic, shaped like the fleet's
pre-promote workflows. Every fixed file is re-linted with ``lint_text`` and
compared to its original with difflib (not with fix's own checker).
"""
from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pinflow.fix import Settings, fix_text, is_additive
from pinflow.lint import lint_text

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fix"
WORKFLOW = ".gitea/workflows/publish-image.yml"
CONTRACT = ("PF1", "PF2", "PF3")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def contract_errors(text: str) -> list[str]:
    return [f"{f.rule}:{f.line} {f.message}" for f in lint_text(text, "wf.yml", dialect="gitea")
            if f.severity == "error" and f.rule.startswith(CONTRACT)]


def removed_lines(before: str, after: str) -> list[str]:
    """Original lines that are not in the result (difflib's view)."""
    a, b = before.split("\n"), after.split("\n")
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [line for tag, i1, i2, _, _ in ops if tag in ("delete", "replace") for line in a[i1:i2]]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A template repo with a config; the workflow is written by each test."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pinflow.toml").write_text('template_name = "alpha"\n')
    return tmp_path


def put(repo: Path, text: str, name: str = WORKFLOW) -> Path:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def fix_twice(cli: Any, path: Path, before: str) -> str:
    """Fix, check the result is clean and additive-with-exceptions, fix again: no change."""
    first = cli(["fix", str(path)])
    assert first.code == 0, first.err
    assert f"fixed {path}" in first.err
    after = path.read_text()
    assert after != before
    assert contract_errors(before)
    assert contract_errors(after) == []
    second = cli(["fix", str(path)])
    assert second.code == 0, second.err
    assert f"unchanged {path}" in second.err
    assert path.read_text() == after
    return after


# ---------------------------------------------------------------------------
# The fleet shapes

def test_inline_build_and_push_without_id(cli, repo):
    before = fixture("inline_push.yml")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert removed_lines(before, after) == []
    lines = after.split("\n")
    # `id:` right under the step's first line, `outputs:` just before `steps:`.
    assert lines[lines.index("      - name: Build and push") + 1] == "        id: push"
    steps_at = lines.index("    steps:", lines.index("  publish:"))
    assert lines[steps_at - 2:steps_at] == ["    outputs:", "      digest: ${{ steps.push.outputs.digest }}"]
    data = load(after)
    promote = data["jobs"]["promote-pin"]
    assert promote["needs"] == ["resolve-version", "publish"]
    assert promote["if"] == "${{ success() && github.ref == 'refs/heads/main' }}"
    env = promote["steps"][0]["env"]
    assert env["TEMPLATE_NAME"] == "alpha"
    assert env["IMAGE_DIGEST"] == "${{ needs.publish.outputs.digest }}"
    assert env["GIT_SHA"] == "${{ needs.resolve-version.outputs.sha }}"
    assert env["CP_TOKEN"] == "${{ secrets.CP_ADMIN_API_TOKEN }}"


def test_only_the_pushing_build_push_step_gets_the_id(cli, repo):
    before = fixture("load_then_push.yml")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert removed_lines(before, after) == []
    load_step, _, push_step = load(after)["jobs"]["publish"]["steps"]
    assert "id" not in load_step
    assert push_step["id"] == "push"
    lines = after.split("\n")
    # Inserted under `- name:`, above the step's own comment lines.
    at = lines.index("      - name: Push image (post-smoke)")
    assert lines[at + 1:at + 3] == ["        id: push", "        # Smoke passed: push both tags; the layers are cached, so this is a"]


def test_trailing_comment_at_column_zero_stays_last(cli, repo):
    before = fixture("trailing_comment.yml")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert removed_lines(before, after) == []
    lines = after.rstrip("\n").split("\n")
    assert lines[-1] == "# no-op: retrigger wedged PR CI"
    own_comment = lines.index("        # trailing comment that belongs to the last step")
    assert lines[own_comment + 1:own_comment + 3] == ["", "  promote-pin:"]
    assert "promote-pin" in load(after)["jobs"]


def test_matrix_promote_gets_needs_and_a_tightened_guard(cli, repo):
    before = fixture("matrix_promote.yml")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    # The two documented rewrites, each in place, comments kept; nothing else.
    assert removed_lines(before, after) == ["    needs: [resolve-version]  # publish was forgotten here", "    if: ${{ success() }}"]
    assert "    needs: [resolve-version, publish]  # publish was forgotten here" in after.split("\n")
    assert len(after.split("\n")) == len(before.split("\n"))
    promote = load(after)["jobs"]["promote-pin"]
    assert promote["needs"] == ["resolve-version", "publish"]
    assert promote["if"] == "${{ success() && github.ref == 'refs/heads/main' }}"
    assert promote["strategy"] == load(before)["jobs"]["promote-pin"]["strategy"]
    assert set(load(after)["jobs"]) == set(load(before)["jobs"])


def test_matrix_promote_needs_no_config(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = fixture("matrix_promote.yml")
    path = put(tmp_path, before)
    fix_twice(cli, path, before)


@pytest.mark.parametrize(("old", "new", "removed"), [
    # a scalar needs becomes a list, the old name first
    ("    needs: [resolve-version]  # publish was forgotten here\n", "    needs: resolve-version\n", ["    needs: resolve-version", "    if: ${{ success() }}"]),
    # a block list grows by one line: purely additive
    ("    needs: [resolve-version]  # publish was forgotten here\n", "    needs:\n      - resolve-version\n", ["    if: ${{ success() }}"]),
    # an `if:` of its own is only added
    ("    if: ${{ success() }}\n", "", ["    needs: [resolve-version]  # publish was forgotten here"]),
    # a bare expression, quoted: tightened, the quotes go with the old value
    ("    if: ${{ success() }}\n", "    if: \"github.event_name == 'push' || github.event_name == 'workflow_dispatch'\"  # keep\n",
     ["    needs: [resolve-version]  # publish was forgotten here",
      "    if: \"github.event_name == 'push' || github.event_name == 'workflow_dispatch'\"  # keep"]),
])
def test_needs_and_guard_forms(cli, repo, old, new, removed):
    before = fixture("matrix_promote.yml").replace(old, new)
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert removed_lines(before, after) == removed
    promote = load(after)["jobs"]["promote-pin"]
    assert promote["needs"] == ["resolve-version", "publish"]


def test_or_guard_is_anded_with_main(cli, repo):
    before = fixture("matrix_promote.yml").replace(
        "    if: ${{ success() }}\n", "    if: ${{ github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch' }}\n")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert load(after)["jobs"]["promote-pin"]["if"] == (
        "${{ (github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch') && github.ref == 'refs/heads/main' }}")


def test_existing_output_names_the_missing_id(cli, repo):
    # A hand-made change that exposed steps.image.outputs.digest but forgot the id.
    before = fixture("inline_push.yml").replace(
        "    needs: resolve-version\n", "    needs: resolve-version\n    outputs:\n      digest: ${{ steps.image.outputs.digest }}\n")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert removed_lines(before, after) == []
    assert load(after)["jobs"]["publish"]["steps"][1]["id"] == "image"


def test_four_space_indent_and_crlf(cli, repo):
    def double(line: str) -> str:
        # Twice the indent, measured to the text after a `- `.
        stripped = line.lstrip(" ")
        n = len(line) - len(stripped)
        if stripped.startswith("- "):
            return " " * (2 * (n + 2) - 2) + stripped
        return " " * (2 * n) + stripped

    before = "\r\n".join(double(line) for line in fixture("inline_push.yml").split("\n"))
    path = repo / WORKFLOW
    path.parent.mkdir(parents=True)
    path.write_bytes(before.encode())
    assert cli(["fix", str(path)]).code == 0
    raw = path.read_bytes().decode()
    assert raw.count("\n") == raw.count("\r\n")  # every line, old and new, keeps CRLF
    after = raw.replace("\r\n", "\n")
    assert removed_lines(before.replace("\r\n", "\n"), after) == []
    assert contract_errors(after) == []
    assert "\n    promote-pin:\n" in after
    assert "\n" + " " * 16 + "id: push\n" in after
    assert cli(["fix", str(path)]).err == f"unchanged {path}\n"


def test_file_without_final_newline(cli, repo):
    before = fixture("trailing_comment.yml").replace("# no-op: retrigger wedged PR CI\n", "")
    before = before.rstrip("\n")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert removed_lines(before, after) == []
    assert after.endswith("\n")


def test_kept_trailing_lines_of_a_block_scalar_stay_in_it(cli, repo):
    before = fixture("trailing_comment.yml").replace(
        "          labels: |\n            org.opencontainers.image.description=Synthetic gamma runtime\n",
        "          labels: |+\n            org.opencontainers.image.description=Synthetic gamma runtime\n\n\n")
    path = put(repo, before)
    after = fix_twice(cli, path, before)
    assert removed_lines(before, after) == []
    labels = load(after)["jobs"]["publish"]["steps"][0]["with"]["labels"]
    assert labels == load(before)["jobs"]["publish"]["steps"][0]["with"]["labels"] == "org.opencontainers.image.description=Synthetic gamma runtime\n\n\n"


# ---------------------------------------------------------------------------
# Refusals: the file stays as it was

def refused(cli, path: Path, *expected: str) -> str:
    before = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    result = cli(["fix", str(path)])
    assert result.code == 1, result.err
    assert f"could not fix {path}" in result.err
    for text in expected:
        assert text in result.err
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stamp
    return result.err


def test_promote_curl_not_fail_loud_is_refused(cli, repo):
    path = put(repo, fixture("quiet_curl.yml"))
    refused(cli, path, "PF301", "not fail-loud")


def test_two_publishers_are_refused(cli, repo):
    path = put(repo, fixture("two_publishers.yml"))
    err = refused(cli, path, "PF105", "ambiguous", "publish-amd64", "publish-arm64")
    assert err.count("could not fix") == 2


def test_two_pushing_steps_are_refused(cli, repo):
    path = put(repo, fixture("load_then_push.yml").replace("          load: true\n          push: false\n", "          push: true\n"))
    refused(cli, path, "PF101", "2 pushing steps", "ambiguous")


def test_shell_push_step_is_refused(cli, repo):
    text = fixture("trailing_comment.yml")
    start, end = text.index("        uses: docker/build-push-action"), text.index("        # trailing comment")
    path = put(repo, text[:start] + "        run: docker push registry.example.test/team/gamma:latest\n" + text[end:])
    refused(cli, path, "PF101", "`run:` script")


@pytest.mark.parametrize(("guard", "why"), [
    ("${{ always() && github.ref == 'refs/heads/main' || always() }}", "after a failed or cancelled publish"),
    ("${{ github.ref == 'refs/heads/release' }}", "never run"),
    ("${{ github.event_name == 'push' }} && true", "not one expression"),
])
def test_guards_it_will_not_guess_about(cli, repo, guard, why):
    path = put(repo, fixture("matrix_promote.yml").replace("    if: ${{ success() }}\n", f"    if: {guard}\n"))
    refused(cli, path, why)


def test_no_config_means_no_promote_job(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = put(tmp_path, fixture("inline_push.yml"))
    refused(cli, path, "PF105", "pinflow init", "--config")


def test_nothing_written_when_the_result_would_not_lint(cli, repo):
    # A user template whose promote script is quiet on a 4xx: the appended job
    # would draw PF301, so the whole fix is dropped.
    (repo / "tpl").mkdir()
    (repo / "tpl" / "promote.sh").write_text('set -euo pipefail\ncurl -sS -X POST --data-binary "${IMAGE_DIGEST}" "${CP_URL}"\n')
    (repo / "pinflow.toml").write_text('template_name = "alpha"\ntemplates_dir = "tpl"\n')
    path = put(repo, fixture("inline_push.yml"))
    os.chmod(path, 0o640)
    refused(cli, path, "would still fail lint", "PF301", "nothing was written")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_keeps_the_file_mode(cli, repo):
    path = put(repo, fixture("inline_push.yml"))
    os.chmod(path, 0o640)
    assert cli(["fix", str(path)]).code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


# ---------------------------------------------------------------------------
# The command

def test_diff_prints_a_unified_diff_and_writes_nothing(cli, repo):
    before = fixture("load_then_push.yml")
    path = put(repo, before)
    stamp = path.stat().st_mtime_ns
    result = cli(["fix", "--diff", str(path)])
    assert result.code == 0, result.err
    assert path.read_text() == before and path.stat().st_mtime_ns == stamp
    assert result.out.startswith(f"--- a/{path}\n+++ b/{path}\n@@ ")
    assert "+        id: push\n" in result.out
    assert "+  promote-pin:\n" in result.out
    assert not [line for line in result.out.split("\n") if line.startswith("-") and not line.startswith("---")]
    assert f"would fix {path}" in result.err
    # The diff is the fix: applying it gives what a real run writes.
    assert cli(["fix", str(path)]).code == 0
    added = [line[1:] for line in result.out.split("\n") if line.startswith("+") and not line.startswith("+++")]
    assert [line for line in path.read_text().split("\n") if line not in before.split("\n")] == [a for a in added if a not in before.split("\n")]


def test_several_paths_each_on_its_own(cli, repo):
    good = put(repo, fixture("inline_push.yml"), ".gitea/workflows/a.yml")
    bad = put(repo, fixture("quiet_curl.yml"), ".gitea/workflows/b.yml")
    clean_text = fixture("matrix_promote.yml")
    clean = put(repo, clean_text, ".gitea/workflows/c.yml")
    assert cli(["fix", str(clean)]).code == 0
    bad_before = bad.read_bytes()
    result = cli(["fix", str(good), str(bad), str(clean)])
    assert result.code == 1
    assert f"fixed {good}: " in result.err
    assert f"could not fix {bad}: " in result.err
    assert f"unchanged {clean}" in result.err
    assert contract_errors(good.read_text()) == []
    assert bad.read_bytes() == bad_before


def test_missing_path_is_an_error_and_the_others_still_run(cli, repo):
    good = put(repo, fixture("inline_push.yml"))
    result = cli(["fix", "nope.yml", str(good)])
    assert result.code == 2
    assert "pinflow: error: nope.yml: no such file" in result.err
    assert contract_errors(good.read_text()) == []


def test_invalid_yaml_is_reported_not_touched(cli, repo):
    path = put(repo, "on: push\njobs: [\n")
    refused(cli, path, "PF001")


# ---------------------------------------------------------------------------
# The library

def test_fix_text_is_pure_and_reports_its_repairs():
    text = fixture("matrix_promote.yml")
    result = fix_text(text, "wf.yml", Settings())
    assert result.before == text and result.changed
    assert len(result.repairs) == 2 and not result.refusals
    again = fix_text(result.after, "wf.yml", Settings())
    assert not again.changed and not again.repairs


def test_main_branch_setting_is_honoured():
    text = fixture("matrix_promote.yml")
    result = fix_text(text, "wf.yml", Settings(main_branch="trunk"))
    assert load(result.after)["jobs"]["promote-pin"]["if"] == "${{ success() && github.ref == 'refs/heads/trunk' }}"


@pytest.mark.parametrize(("before", "after", "changed", "expected"), [
    ("a\nb\nc\n", "a\nx\nb\nc\ny\n", frozenset(), True),
    ("a\nb\nc\n", "a\nc\nb\n", frozenset(), False),
    ("a\nb\nc\n", "a\nB\nc\n", frozenset(), False),
    ("a\nb\nc\n", "a\nB\nc\n", frozenset({1}), True),
])
def test_is_additive(before, after, changed, expected):
    assert is_additive(before, after, changed) is expected
