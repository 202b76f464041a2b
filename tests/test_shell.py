from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinflow import bashsim, shell
from pinflow.shell import HttpCall, Shell, analyze, command_words, effective_shell

GITHUB = effective_shell(None, None, "github")
GITEA = effective_shell(None, None, "gitea")
BASH = effective_shell("bash", None, "github")
NO_E = effective_shell("bash {0}", None, "github")
SH = effective_shell("sh", None, "github")


def only_call(script: str, sh: Shell = GITHUB) -> HttpCall:
    calls = analyze(script, sh).http_calls
    assert len(calls) == 1, calls
    return calls[0]


# -- effective_shell ---------------------------------------------------------------

@pytest.mark.parametrize(("step", "default", "dialect", "program", "errexit", "pipefail"), [
    (None, None, "github", "bash", True, False),  # bash -e {0}
    (None, None, "gitea", "bash", True, True),  # act: bash --noprofile --norc -e -o pipefail {0}
    ("bash", None, "github", "bash", True, True),
    ("bash", None, "gitea", "bash", True, True),
    ("sh", None, "github", "sh", True, False),
    (None, "sh", "github", "sh", True, False),  # defaults.run.shell
    ("bash", "sh", "gitea", "bash", True, True),  # the step wins
    ("bash {0}", None, "github", "bash", False, False),
    ("bash -e {0}", None, "github", "bash", True, False),
    ("bash -eo pipefail {0}", None, "github", "bash", True, True),
    ("/usr/bin/bash --noprofile --norc -e -o pipefail {0}", None, "github", "bash", True, True),
    ("bash -x {0}", None, "github", "bash", False, False),
    ("sh -e {0}", None, "github", "sh", True, False),
    ("python", None, "github", "other", False, False),
    ("pwsh", None, "gitea", "other", False, False),
    ("python {0}", None, "github", "other", False, False),
])
def test_effective_shell(step: str | None, default: str | None, dialect: str, program: str, errexit: bool, pipefail: bool) -> None:
    result = effective_shell(step, default, dialect)
    assert (result.program, result.errexit, result.pipefail) == (program, errexit, pipefail)
    assert result.label


def test_effective_shell_labels_name_the_forge_default() -> None:
    assert GITHUB.label == "bash -e {0} (GitHub default)"
    assert "-o pipefail" in GITEA.label and "Gitea" in GITEA.label


# -- the verdicts and their causes ------------------------------------------------

@pytest.mark.parametrize(("script", "sh", "verdict", "cause"), [
    ('curl -fsS "$URL"', GITHUB, "loud", "fail-flag"),
    ('curl -sSf "$URL"\necho done', GITHUB, "loud", "fail-flag"),
    ('curl --fail-with-body "$URL"', GITHUB, "loud", "fail-flag"),
    ('wget -q "$URL"', GITHUB, "loud", "fail-flag"),
    ('curl -sS "$URL"', GITHUB, "quiet", "no-fail-flag"),
    ('curl -sS -H -f "$URL"', GITHUB, "quiet", "no-fail-flag"),  # -f is the header's value
    ('curl -f --no-fail "$URL"', GITHUB, "quiet", "no-fail-flag"),
    ('curl -fsS "$URL" || true', GITHUB, "quiet", "swallowed-or-true"),
    ('curl -fsS "$URL" || echo "promote failed"', GITHUB, "quiet", "swallowed-or-true"),
    ('curl -fsS "$URL" || { echo failed; exit 1; }', GITHUB, "loud", "status-checked"),
    ('curl -fsS "$URL"\necho done', NO_E, "quiet", "errexit-off"),
    ('set +e\ncurl -fsS "$URL"\necho done', GITHUB, "quiet", "errexit-off"),
    ('set +e\ncurl -fsS "$URL"\nrc=$?\nset -e\n[ "$rc" -eq 0 ] || exit 1', GITHUB, "loud", "status-checked"),
    ('if curl -fsS "$URL"; then echo ok; fi', GITHUB, "quiet", "errexit-ignored-condition"),
    ('if ! curl -fsS "$URL"; then exit 1; fi', GITHUB, "loud", "status-checked"),
    ('if ! curl -fsS "$URL"; then echo "::warning::failed"; fi', GITHUB, "quiet", "swallowed-warning-only"),
    ('curl -fsS "$URL" | jq .', GITHUB, "quiet", "pipeline-no-pipefail"),
    ('curl -fsS "$URL" | jq .', GITEA, "loud", "fail-flag"),
    ('set -o pipefail\ncurl -fsS "$URL" | tee out', GITHUB, "loud", "fail-flag"),
    ('f() { local out=$(curl -fsS "$URL"); echo "$out"; }\nf', GITHUB, "quiet", "masked-by-local"),
    ('export OUT=$(curl -fsS "$URL")', GITHUB, "quiet", "masked-by-local"),
    ('out=$(curl -fsS "$URL")', GITHUB, "loud", "fail-flag"),
    ('echo "$(curl -fsS "$URL")"', GITHUB, "quiet", "ignored-substitution"),
    ('out=$(curl -fsS "$URL"; echo hi)', GITHUB, "quiet", "errexit-off"),
    ('shopt -s inherit_errexit\nout=$(curl -fsS "$URL"; echo hi)', GITHUB, "loud", "fail-flag"),
    ('curl -fsS "$URL" &\necho started', GITHUB, "quiet", "background"),
    ('curl -fsS "$URL" &\nwait $!', GITHUB, "loud", "fail-flag"),
    ('curl -fsS "$URL" && echo ok\necho done', GITHUB, "quiet", "not-last-command"),
    ('curl -fsS "$URL" && echo ok', GITHUB, "loud", "fail-flag"),
    ('for i in 1 2 3; do curl -fsS "$URL" && break; done', GITHUB, "loud", "fail-flag"),
    ('for i in 1 2 3; do curl -fsS "$URL" && break; sleep 1; done', GITHUB, "quiet", "not-last-command"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\necho "$code"', GITHUB, "quiet", "status-unchecked"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\n[ "$code" = 200 ] || exit 1', GITHUB, "loud", "status-checked"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\ncase $code in 2*) ;; *) exit 1 ;; esac', GITHUB, "loud", "status-checked"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\n[[ $code =~ ^2 ]] || exit 1', GITHUB, "loud", "status-checked"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\nif [ "$code" -lt 200 ] || [ "$code" -ge 300 ]; then exit 1; fi',
     GITHUB, "loud", "status-checked"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\nif [ "$code" != 200 ]; then echo "::warning::HTTP $code"; fi',
     GITHUB, "quiet", "swallowed-warning-only"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\nif [ "$code" = 200 ]; then echo ok; fi', GITHUB, "quiet", "status-unchecked"),
    ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\nif [ "$code" != 200 ]; then exit 1; fi\nexit 0', GITHUB, "loud", "status-checked"),
])
def test_causes(script: str, sh: Shell, verdict: str, cause: str) -> None:
    call = only_call(script, sh)
    assert (call.verdict, call.cause) == (verdict, cause), call.reason
    assert call.cause in shell.CAUSES
    assert call.reason.endswith(".")


def test_a_tolerated_error_code_is_quiet() -> None:
    # 409 passes silently even though a 500 would fail: some non-2xx does not fail the step
    script = ('code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")\n'
              'if [ "$code" = 409 ]; then echo exists; elif [ "$code" -ge 300 ]; then exit 1; fi\n')
    call = only_call(script)
    assert call.verdict == "quiet"
    assert "HTTP 409" in call.reason


def test_the_reason_quotes_the_construct() -> None:
    call = only_call('curl -fsS "$URL" || echo "promote failed"\n')
    assert '`curl -fsS "$URL" || echo "promote failed"`' in call.reason


@pytest.mark.parametrize(("script", "why"), [
    ('eval "$CMD"\ncurl -fsS "$URL"', "eval"),
    ('source ./env.sh\ncurl -fsS "$URL"', "source"),
    ('curl $CURL_FLAGS "$URL"', "CURL_FLAGS"),
    ('curl "${args[@]}" "$URL"', "args"),
    ('curl -K opts.cfg "$URL"', "config file"),
    ('curl -sS "$URL" | grep -q ok || exit 1', "response body"),
    ('f() { curl -fsS "$URL"; }', "never run"),
    ('until curl -fsS "$URL"; do sleep 5; done', "never end"),
    ('curl -fsS "$URL"\nfalse', "cannot exit 0"),
])
def test_undecidable_is_unknown_never_fine(script: str, why: str) -> None:
    call = only_call(script)
    assert (call.verdict, call.cause) == ("unknown", "cannot-decide")
    assert why in call.reason


def test_flags_from_a_known_variable_are_followed() -> None:
    assert only_call('FLAGS="-fsS"\ncurl $FLAGS "$URL"').verdict == "loud"


def test_function_called_from_a_condition_runs_without_errexit() -> None:
    script = 'promote() {\n  curl -fsS "$URL"\n  echo sent\n}\nif promote; then echo ok; else exit 1; fi\n'
    assert only_call(script).verdict == "quiet"
    assert only_call(script.replace("if promote; then echo ok; else exit 1; fi", "promote")).verdict == "loud"


def test_same_pipeline_differs_between_forges() -> None:
    script = 'curl -fsS "$URL" | tee /dev/null\n'
    assert only_call(script, GITHUB).verdict == "quiet"
    assert only_call(script, GITEA).verdict == "loud"


def test_sh_substitutions_keep_errexit() -> None:
    script = 'out=$(curl -fsS "$URL"; echo hi)\necho "$out"\n'
    assert only_call(script, GITHUB).verdict == "quiet"  # bash: $(…) does not inherit -e
    assert only_call(script, SH).verdict == "loud"  # dash: it does


def test_bashisms_under_sh_are_unknown() -> None:
    assert only_call('set -o pipefail\ncurl -fsS "$URL" | cat', SH).verdict == "unknown"


def test_other_shells_are_unknown() -> None:
    call = only_call('curl -fsS "$URL"', effective_shell("pwsh", None, "github"))
    assert (call.verdict, call.cause) == ("unknown", "cannot-decide")


def test_parse_errors_make_every_call_unknown() -> None:
    report = analyze('curl -fsS "$URL"\nif then fi\ncurl -sS "$URL"\n', GITHUB)
    assert report.parse_errors
    assert [c.verdict for c in report.http_calls] == ["unknown", "unknown"]
    assert all(c.cause == "cannot-decide" and "does not parse" in c.reason for c in report.http_calls)


def test_github_expressions_do_not_break_the_parse() -> None:
    script = ('curl -fsS -H "Authorization: Bearer ${{ secrets.CP_TOKEN }}" \\\n'
              '  -d \'{"digest": "${{ needs.publish.outputs.digest }}"}\' "${{ env.CP_URL }}"\n')
    report = analyze(script, GITHUB)
    assert report.parse_errors == []
    assert [(c.verdict, c.line, c.column) for c in report.http_calls] == [("loud", 0, 0)]


def test_an_expression_value_is_unknown_to_the_script() -> None:
    script = 'if [ "${{ inputs.strict }}" = true ]; then curl -fsS "$URL"; else curl -sS "$URL"; fi\n'
    assert [c.verdict for c in analyze(script, GITHUB).http_calls] == ["loud", "quiet"]


def test_positions_are_zero_based_characters() -> None:
    script = 'echo "héllo"\n  timeout 9 curl -fsS "$URL"\n# é\nx="é"; wget -q "$URL"\n'
    calls = analyze(script, GITHUB).http_calls
    assert [(c.tool, c.line, c.column) for c in calls] == [("curl", 1, 12), ("wget", 3, 7)]


def test_every_call_is_reported_in_order() -> None:
    script = 'tok=$(curl -fsS "$URL/login")\ncurl -sS -H "Authorization: $tok" "$URL"\n'
    calls = analyze(script, GITHUB).http_calls
    assert [(c.line, c.verdict) for c in calls] == [(0, "loud"), (1, "quiet")]


def test_many_branches_do_not_explode() -> None:
    script = "".join(f'if [ -n "$V{i}" ]; then echo {i}; fi\n' for i in range(40)) + 'curl -fsS "$URL"\n'
    assert only_call(script).verdict == "loud"


def test_too_many_paths_is_unknown() -> None:
    script = 'curl -sS "$URL"\n' + "".join(f'if [ -n "$V{i}" ]; then X{i}=1; fi\n' for i in range(12))
    call = only_call(script)
    assert (call.verdict, call.cause) == ("unknown", "cannot-decide")
    assert "too many paths" in call.reason


# -- set flags, xtrace, secrets -----------------------------------------------------

@pytest.mark.parametrize(("script", "verdict"), [
    ("set -euo pipefail", "loud"),
    ("set -eo pipefail", "loud"),
    ("set -o pipefail", "loud"),
    ("set -o errexit -o pipefail", "loud"),
    ("set +o pipefail", "quiet"),
    ("set -e", "quiet"),
    ("set -- -o pipefail", "quiet"),  # positional parameters, not options
])
def test_set_flags_in_order(script: str, verdict: str) -> None:
    call = only_call(f'{script}\ncurl -fsS "$URL" | cat\necho done\n', GITHUB if "+o" not in script else GITEA)
    assert call.verdict == verdict


def test_set_plus_e_then_set_e() -> None:
    assert only_call('set +e\nset -e\ncurl -fsS "$URL"\necho done').verdict == "loud"
    assert only_call('set -e\ncurl -fsS "$URL"\necho done', NO_E).verdict == "loud"
    assert only_call('set +ex\ncurl -fsS "$URL"\necho done').verdict == "quiet"


@pytest.mark.parametrize(("script", "expected"), [
    ("set -x\n", [(0, 0)]),
    ("echo hi\n  set -euxo pipefail\n", [(1, 2)]),
    ("set -o xtrace\n", [(0, 0)]),
    ("f() {\n set -x\n}\n", [(1, 1)]),
    ("set +x\n", []),
    ("set -- -x\n", []),
    ("set -e\n", []),
    ("echo set -x\n", []),
])
def test_xtrace(script: str, expected: list[tuple[int, int]]) -> None:
    assert analyze(script, GITHUB).xtrace == expected


@pytest.mark.parametrize(("script", "expected"), [
    ('echo "$TOKEN"\n', [(0, 6, "TOKEN")]),
    ('echo "token: ${TOKEN}"\n', [(0, 13, "TOKEN")]),
    ("printf '%s\\n' $TOKEN\n", [(0, 14, "TOKEN")]),
    ('echo "$TOKEN" >&2\n', [(0, 6, "TOKEN")]),
    ('if true; then\n  echo $TOKEN\nfi\n', [(1, 7, "TOKEN")]),
    ('echo "::add-mask::$TOKEN"\n', []),
    ('echo "$TOKEN" | docker login -u me --password-stdin\n', []),
    ('echo "$TOKEN" > token.txt\n', []),
    ('echo "token=$TOKEN" >> "$GITHUB_ENV"\n', []),
    ('x=$(echo "$TOKEN")\n', []),
    ('echo "$OTHER"\n', []),
    ('curl -H "Authorization: Bearer $TOKEN" "$URL"\n', []),
])
def test_secret_echoes(script: str, expected: list[tuple[int, int, str]]) -> None:
    assert analyze(script, GITHUB, frozenset({"TOKEN"})).secret_echoes == expected


def test_no_secrets_no_echo_findings() -> None:
    assert analyze('echo "$TOKEN"\n', GITHUB).secret_echoes == []


def test_parser_is_created_once() -> None:
    assert bashsim._parser() is bashsim._parser()


# -- small queries for the contract rules ----------------------------------------------

def test_command_words() -> None:
    script = 'docker push "$IMAGE"\nif x=$(crane digest "ref"); then :; fi\nf() { echo \'a b\'; }\n'
    assert command_words(script) == [
        (0, 0, ["docker", "push", "$IMAGE"]),
        (1, 7, ["crane", "digest", "ref"]),
        (1, 33, [":"]),
        (2, 6, ["echo", "a b"]),
    ]


def test_tested_variables() -> None:
    script = ('[ -z "$A" ] && exit 1\n'
              '[[ $B =~ ^sha256:[0-9a-f]{64}$ ]] || exit 1\n'
              'case "$C" in sha256:*) ;; *) exit 1;; esac\n'
              ': "${D:?missing}"\n'
              'echo "$E" | grep -Eq "^sha256:" || exit 1\n'
              'test -n "$F"\n'
              'echo "$G"\n')
    assert shell.tested_variables(script) == {
        "A": {"empty"}, "B": {"pattern"}, "C": {"pattern"}, "D": {"empty"}, "E": {"pattern"}, "F": {"empty"},
    }


# -- robustness ---------------------------------------------------------------------

_PIECES = st.sampled_from([
    'curl -fsS "$URL"', "curl -sS $URL", "wget -q $URL", "echo hi", "false", "true", "exit 1", "exit 0",
    "set +e", "set -e", "set -o pipefail", "|| true", "&& echo ok", "| cat", "; ", "\n", "&", "if true; then ",
    "fi", "for i in 1 2; do ", "done", "while read l; do ", "case $x in a) ", ";; esac", "{ ", " }", "( ", " )",
    "f() { ", "f", "return 1", "break", 'code=$(curl -s -o /dev/null -w "%{http_code}" "$URL")',
    '[ "$code" = 200 ]', "! ", "x=$(", ")", "local y=1", "wait $!", "eval x", "((n++))", '"', "'",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=14).map(" ".join))
def test_analyze_never_crashes(script: str) -> None:
    report = analyze(script, GITEA, frozenset({"URL"}))
    for call in report.http_calls:
        assert call.verdict in ("loud", "quiet", "unknown")
        assert call.cause in shell.CAUSES
        assert call.reason


# ---------------------------------------------------------------------------
# The built-in scripts' answers, computed when pinflow was built.

def _builtin_scripts() -> dict[str, str]:
    from pinflow import resources

    return {p.name: p.read_text(encoding="utf-8") for p in resources.templates_dir().iterdir() if p.name.endswith(".sh")}


def _clear_memos() -> None:
    for memo in (shell._analyze, shell._command_words, shell._tested_variables, shell._prebuilt_facts):
        memo.cache_clear()


@pytest.mark.parametrize("name", sorted(_builtin_scripts()))
def test_prebuilt_answers_for_the_builtin_scripts_are_the_analysis_own(name: str) -> None:
    script = _builtin_scripts()[name]
    _clear_memos()
    for dialect in ("gitea", "github"):
        for secrets in (frozenset(), frozenset({"CP_TOKEN"})):
            sh = effective_shell("bash", None, dialect)
            assert shell._prebuilt(script, ("analyze", *sh, *sorted(secrets))) is not None
            assert analyze(script, sh, secrets) == bashsim.judge_script(script, sh, secrets)
    assert shell._prebuilt(script, ("command_words",)) is not None
    assert command_words(script) == [(line, col, list(words)) for line, col, words in bashsim.find_command_words(script)]
    assert shell.tested_variables(script) == {k: set(v) for k, v in bashsim.find_tested_variables(script).items()}


def test_prebuilt_answers_count_only_for_the_analysis_they_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    from pinflow._prebuilt import scripts

    promote = _builtin_scripts()["promote.sh"]
    sh = effective_shell("bash", None, "gitea")
    _clear_memos()
    assert shell._prebuilt(promote, ("analyze", *sh, "CP_TOKEN")) is not None
    monkeypatch.setattr(scripts, "ANALYZER", "0" * 32)  # the analysis or grammar changed since they were written
    _clear_memos()
    judged: list[str] = []
    monkeypatch.setattr(bashsim, "judge_script", lambda *args: judged.append(args[0]) or shell.ScriptReport([], [], [], []))
    assert shell._prebuilt(promote, ("analyze", *sh, "CP_TOKEN")) is None
    analyze(promote, sh, frozenset({"CP_TOKEN"}))
    assert judged == [promote]
    _clear_memos()


def test_an_edited_builtin_script_is_judged_afresh() -> None:
    promote = _builtin_scripts()["promote.sh"]
    sh = effective_shell("bash", None, "gitea")
    _clear_memos()
    edited = promote.replace('fail "the control plane did not accept', 'echo "the control plane did not accept').replace(
        'fail "no attempt was made"', 'echo "no attempt was made"')
    assert edited != promote and shell._prebuilt(edited, ("analyze", *sh)) is None
    assert analyze(edited, sh).http_calls[0].verdict == "quiet"  # the edit made a 4xx pass
