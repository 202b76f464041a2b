"""shell.analyze() against bash itself.

Every variant below is a promote-style script that really runs, with real
curl/wget, against a loopback HTTP server, under each shell invocation the
forges use. The expected verdict is never written down: it is what bash did.
loud = non-zero when the server answers 500 and zero when it answers 200;
quiet = zero both times. analyze() must agree; it may say 'unknown' only for
the variants marked undecidable.
"""
from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from pinflow.shell import Shell, analyze, effective_shell

pytestmark = pytest.mark.slow


class Variant(NamedTuple):
    name: str
    script: str
    undecidable: bool = False  # the outcome hangs on the body or on code the analysis cannot see
    posix: bool = False  # also valid under `sh -e`


CURL = "curl --max-time 5"
STATUS = f"""code=$({CURL} -sS -o "$resp" -w '%{{http_code}}' -X POST -d '{{}}' "$URL")
echo "HTTP $code"
"""
PRELUDE = 'resp=$(mktemp)\n'

VARIANTS = [
    # -- the fail flag, and the shell's errexit/pipefail
    Variant("plain", f'{CURL} -sS -X POST -d "{{}}" "$URL"\n', posix=True),
    Variant("fail-short", f'{CURL} -f -sS -X POST "$URL"\necho sent\n', posix=True),
    Variant("fail-combined", f'{CURL} -fsSL -X POST "$URL"\necho sent\n', posix=True),
    Variant("fail-combined-late", f'{CURL} -sSf -X POST "$URL"\n', posix=True),
    Variant("fail-with-body", f'{CURL} -sS --fail-with-body -X POST "$URL"\necho sent\n', posix=True),
    Variant("fail-then-no-fail", f'{CURL} -f --no-fail -sS "$URL"\n'),
    Variant("header-value-is-not-a-flag", f'{CURL} -sS -H "-f" "$URL" || true\n{CURL} -sS -H -f "$URL"\necho done\n'),
    Variant("fail-last-command", f'echo start\n{CURL} -fsS "$URL"\n', posix=True),
    Variant("fail-then-echo", f'{CURL} -fsS "$URL"\necho done\n', posix=True),
    Variant("fail-with-retry", f'{CURL} -fsS --retry 0 "$URL"\necho done\n'),
    Variant("timeout-wrapper", f'timeout 10 {CURL} -fsS "$URL"\necho done\n', posix=True),
    Variant("redirected", f'{CURL} -fsS "$URL" >/dev/null 2>&1\necho done\n', posix=True),
    Variant("flags-from-known-variable", f'FLAGS="-fsS"\n{CURL} $FLAGS "$URL"\necho done\n', posix=True),
    Variant("flags-from-env", f'{CURL} $CURL_FLAGS "$URL"\necho done\n', undecidable=True),
    Variant("wget", 'wget -q --tries=1 -T 5 -O /dev/null "$URL"\necho done\n', posix=True),
    Variant("wget-or-true", 'wget -q --tries=1 -T 5 -O /dev/null "$URL" || true\n', posix=True),
    # -- pipelines
    Variant("pipe-tee", f'{CURL} -fsS "$URL" | tee /dev/null\n'),
    Variant("pipe-cat-then-echo", f'{CURL} -fsS "$URL" | cat\necho done\n'),
    Variant("pipe-set-pipefail", f'set -o pipefail\n{CURL} -fsS "$URL" | cat\necho done\n'),
    Variant("pipe-unset-pipefail", f'set +o pipefail\n{CURL} -fsS "$URL" | cat\necho done\n'),
    Variant("pipe-euo", f'set -euo pipefail\n{CURL} -fsS "$URL" | tee /dev/null >/dev/null\necho done\n'),
    Variant("pipe-last-element", f'printf x | {CURL} -fsS --data-binary @- "$URL"\necho done\n'),
    Variant("pipe-while-read", f'{CURL} -fsS "$URL" | while read -r line; do echo "$line"; done\necho done\n'),
    Variant("pipe-body-reader", f'{CURL} -sS "$URL" | python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin).get(\'ok\') else 1)"\n',
            undecidable=True),
    # -- lists and conditions
    Variant("or-true", f'{CURL} -fsS "$URL" || true\necho done\n', posix=True),
    Variant("or-echo", f'{CURL} -fsS "$URL" || echo "promote failed"\n', posix=True),
    Variant("or-exit", f'{CURL} -fsS "$URL" || {{ echo "::error::promote failed"; exit 1; }}\necho done\n', posix=True),
    Variant("and-echo-last", f'{CURL} -fsS "$URL" && echo ok\n', posix=True),
    Variant("and-echo-then-more", f'{CURL} -fsS "$URL" && echo ok\necho done\n', posix=True),
    Variant("if-curl", f'if {CURL} -fsS "$URL"; then echo ok; fi\n', posix=True),
    Variant("if-curl-else-exit", f'if {CURL} -fsS "$URL"; then echo ok; else echo "::error::failed"; exit 1; fi\n', posix=True),
    Variant("if-not-curl-exit", f'if ! {CURL} -fsS "$URL"; then echo "::error::failed"; exit 1; fi\necho done\n', posix=True),
    Variant("if-not-curl-warn", f'if ! {CURL} -fsS "$URL"; then echo "::warning::failed"; fi\n', posix=True),
    Variant("bang-then-echo", f'! {CURL} -fsS "$URL"\necho done\n', posix=True),
    Variant("while-curl", f'while {CURL} -fsS "$URL"; do break; done\necho done\n', posix=True),
    # -- command substitution
    Variant("assign-subst", f'out=$({CURL} -fsS "$URL")\necho "$out"\n', posix=True),
    Variant("assign-subst-or-exit", f'out=$({CURL} -fsS "$URL") || {{ echo "::error::failed"; exit 1; }}\necho "$out"\n', posix=True),
    Variant("subst-as-argument", f'echo "response: $({CURL} -fsS "$URL")"\n', posix=True),
    Variant("subst-not-last-inside", f'out=$({CURL} -fsS "$URL"; echo hi)\necho "$out"\n', posix=True),
    Variant("subst-inherit-errexit", f'shopt -s inherit_errexit\nout=$({CURL} -fsS "$URL"; echo hi)\necho "$out"\n'),
    Variant("local-subst", f'promote() {{\n  local out=$({CURL} -fsS "$URL")\n  echo "$out"\n}}\npromote\n'),
    Variant("local-then-assign", f'promote() {{\n  local out\n  out=$({CURL} -fsS "$URL")\n  echo "$out"\n}}\npromote\n'),
    Variant("export-subst", f'export OUT=$({CURL} -fsS "$URL")\necho done\n', posix=True),
    # -- errexit toggles
    Variant("set-plus-e-rc-checked", f'set +e\n{CURL} -fsS "$URL"\nrc=$?\nset -e\n[ "$rc" -eq 0 ] || exit 1\necho done\n', posix=True),
    Variant("set-plus-e-rc-printed", f'set +e\n{CURL} -fsS "$URL"\nrc=$?\nset -e\necho "rc=$rc"\n', posix=True),
    Variant("set-plus-e-last", f'set +e\necho start\n{CURL} -fsS "$URL"\n', posix=True),
    Variant("dollar-question-checked", f'{CURL} -fsS "$URL" || rc=$?\nif [ "${{rc:-0}}" -ne 0 ]; then exit "$rc"; fi\n', posix=True),
    # -- status-code checks
    Variant("code-corpus-shape", PRELUDE + STATUS + 'if [ "${code}" != "200" ] && [ "${code}" != "201" ]; then\n  echo "::error::promote failed (HTTP ${code})"\n  exit 1\nfi\necho "::notice::bumped"\n', posix=True),
    Variant("code-warning-only", PRELUDE + STATUS + 'if [ "$code" != "200" ]; then\n  echo "::warning::promote failed (HTTP $code)"\nfi\n', posix=True),
    Variant("code-warning-then-exit-0", PRELUDE + STATUS + 'if [ "$code" != "200" ]; then echo "::error::HTTP $code"; fi\nexit 0\n', posix=True),
    Variant("code-unchecked", PRELUDE + STATUS + 'cat "$resp"\n', posix=True),
    Variant("code-case", PRELUDE + STATUS + 'case "$code" in\n  2*) echo ok ;;\n  *) echo "::error::HTTP $code"; exit 1 ;;\nesac\n', posix=True),
    Variant("code-case-specific", PRELUDE + STATUS + 'case $code in 200|201|204) ;; *) exit 1 ;; esac\n', posix=True),
    Variant("code-regex", PRELUDE + STATUS + '[[ $code =~ ^2[0-9][0-9]$ ]] || exit 1\necho done\n'),
    Variant("code-glob", PRELUDE + STATUS + 'if [[ $code != 2* ]]; then exit 1; fi\n'),
    Variant("code-range", PRELUDE + STATUS + 'if [ "$code" -lt 200 ] || [ "$code" -ge 300 ]; then\n  exit 1\nfi\n', posix=True),
    Variant("code-test-a", PRELUDE + STATUS + 'test "$code" -ge 200 -a "$code" -lt 300 || exit 1\n', posix=True),
    Variant("code-arith", PRELUDE + STATUS + '(( code >= 200 && code < 300 )) || exit 1\necho done\n'),
    Variant("code-false-last-in-branch", PRELUDE + STATUS + 'if [ "$code" -ge 300 ]; then\n  echo "bad status"\n  false\nfi\n', posix=True),
    Variant("code-exit-0-after-failed-check", PRELUDE + STATUS + 'if [ "$code" = "200" ]; then echo ok; else echo "::error::HTTP $code"; fi\nexit 0\n', posix=True),
    Variant("code-inline-subst", f'[ "$({CURL} -s -o /dev/null -w \'%{{http_code}}\' "$URL")" = 200 ] || exit 1\necho done\n', posix=True),
    Variant("code-with-newline-format", f'code=$({CURL} -s -o /dev/null -w "%{{http_code}}\\n" "$URL")\n[ "$code" = 200 ] || {{ echo "HTTP $code"; exit 1; }}\n', posix=True),
    Variant("code-and-body-on-stdout", f'out=$({CURL} -s -w "\\n%{{http_code}}" "$URL")\ncode=${{out##*$\'\\n\'}}\n[ "$code" = 200 ] || exit 1\n', undecidable=True),
    # -- loops
    Variant("retry-and-break", f'for i in 1 2 3; do {CURL} -fsS "$URL" && break; done\n', posix=True),
    Variant("retry-and-break-then-echo", f'for i in 1 2 3; do {CURL} -fsS "$URL" && break; done\necho done\n', posix=True),
    Variant("retry-with-sleep", f'for i in 1 2 3; do\n  {CURL} -fsS "$URL" && break\n  sleep 0\ndone\n', posix=True),
    Variant("retry-counter-exit", f'n=0\nuntil {CURL} -fsS "$URL"; do\n  n=$((n+1))\n  if [ "$n" -ge 3 ]; then echo "giving up"; exit 1; fi\n  sleep 0\ndone\necho done\n', posix=True),
    Variant("retry-flag-variable", f'ok=0\nfor i in 1 2 3; do\n  if {CURL} -fsS "$URL"; then ok=1; break; fi\ndone\n[ "$ok" = 1 ] || exit 1\n', posix=True),
    Variant("c-style-retry", f'for ((i = 0; i < 3; i++)); do\n  {CURL} -fsS "$URL" && break\ndone\n'),
    # -- functions, subshells, groups
    Variant("function", f'promote() {{\n  {CURL} -fsS -X POST "$URL"\n  echo sent\n}}\npromote\necho done\n', posix=True),
    Variant("function-in-if", f'promote() {{\n  {CURL} -fsS -X POST "$URL"\n  echo sent\n}}\nif promote; then echo ok; else exit 1; fi\n', posix=True),
    Variant("function-or-echo", f'promote() {{\n  {CURL} -fsS -X POST "$URL"\n  echo sent\n}}\npromote || echo failed\n', posix=True),
    Variant("function-return-checked", PRELUDE + f'promote() {{\n  code=$({CURL} -s -o /dev/null -w \'%{{http_code}}\' "$URL")\n  [ "$code" = 200 ] || return 1\n}}\npromote\necho done\n', posix=True),
    Variant("function-return-in-if", f'promote() {{\n  {CURL} -fsS "$URL" || return 1\n}}\nif ! promote; then echo "::error::failed"; exit 1; fi\n', posix=True),
    Variant("subshell", f'( {CURL} -fsS "$URL" )\necho done\n', posix=True),
    Variant("subshell-or-true", f'( {CURL} -fsS "$URL"; echo sent ) || true\n', posix=True),
    Variant("brace-and-list", f'{{ {CURL} -fsS "$URL" && echo ok; }}\necho done\n', posix=True),
    # -- background jobs
    Variant("background", f'{CURL} -fsS "$URL" &\necho started\n', posix=True),
    Variant("background-wait-pid", f'{CURL} -fsS "$URL" &\npid=$!\nwait "$pid"\necho done\n', posix=True),
    Variant("background-wait-all", f'{CURL} -fsS "$URL" &\nwait\necho done\n', posix=True),
    # -- more corners
    Variant("or-exit-bare", f'{CURL} -fsS "$URL" || exit\necho done\n', posix=True),
    Variant("or-exit-0", f'{CURL} -fsS "$URL" || exit 0\necho done\n', posix=True),
    Variant("or-colon", f'{CURL} -fsS "$URL" || :\n', posix=True),
    Variant("or-group-false", f'{CURL} -fsS "$URL" || {{ echo "failed"; false; }}\necho done\n', posix=True),
    Variant("or-keep-rc", f'{CURL} -fsS "$URL" || {{ rc=$?; echo "failed rc=$rc"; exit "$rc"; }}\necho done\n', posix=True),
    Variant("else-exit-dollar-question", f'if {CURL} -fsS "$URL"; then :; else exit $?; fi\necho done\n', posix=True),
    Variant("or-then-curl-last-in-list", f'false || {CURL} -fsS "$URL"\necho done\n', posix=True),
    Variant("and-chain-middle", f'true && {CURL} -fsS "$URL" && echo ok\necho done\n', posix=True),
    Variant("and-or-echo", f'{CURL} -fsS "$URL" && echo ok || echo failed\n', posix=True),
    Variant("pipe-2to1-tee", f'{CURL} -fsS "$URL" 2>&1 | tee log.txt\necho done\n'),
    Variant("pipestatus", f'{CURL} -fsS "$URL" | tee /dev/null\nexit "${{PIPESTATUS[0]}}"\n'),
    Variant("subst-pipeline", f'out=$({CURL} -fsS "$URL" | cat)\necho "$out"\n'),
    Variant("readonly-subst", f'readonly OUT=$({CURL} -fsS "$URL")\necho done\n'),
    Variant("local-or-return", f'promote() {{\n  local out\n  out=$({CURL} -fsS "$URL") || return 1\n  echo "$out"\n}}\npromote\necho done\n'),
    Variant("function-keyword", f'function promote {{\n  {CURL} -fsS "$URL"\n}}\npromote\necho done\n'),
    Variant("function-set-e-in-or", f'promote() {{\n  set -e\n  {CURL} -fsS "$URL"\n  echo sent\n}}\npromote || true\n'),
    Variant("function-return-status", f'promote() {{\n  {CURL} -fsS "$URL"\n  return $?\n}}\npromote || exit 1\necho done\n', posix=True),
    Variant("subshell-set-plus-e", f'(set +e; {CURL} -fsS "$URL")\necho done\n', posix=True),
    Variant("independent-if", f'if [ -n "$URL" ]; then\n  {CURL} -fsS "$URL"\nfi\necho done\n', posix=True),
    Variant("exec", f'exec {CURL} -fsS "$URL"\n', posix=True),
    Variant("env-wrapper", f'env FOO=1 {CURL} -fsS "$URL"\necho done\n', posix=True),
    Variant("heredoc-body", f'{CURL} -fsS -d @- "$URL" <<EOF\n{{"template_name": "codex"}}\nEOF\necho done\n', posix=True),
    Variant("code-and-or", PRELUDE + STATUS + '[ "$code" -ge 200 ] && [ "$code" -lt 300 ] || exit 1\necho done\n', posix=True),
    Variant("code-unquoted-test", PRELUDE + STATUS + 'test $code -eq 200 || exit 1\n', posix=True),
    Variant("code-double-equals", PRELUDE + STATUS + '[ $code == 200 ] || exit 1\n'),
    Variant("code-arith-if", PRELUDE + STATUS + 'if (( code != 200 )); then echo "HTTP $code"; exit 1; fi\n'),
    Variant("code-ok-or-fail-list", PRELUDE + STATUS + '[ "$code" -eq 200 ] && echo ok || {{ echo bad; exit 1; }}\n'.replace('{{', '{').replace('}}', '}'), posix=True),
    Variant("code-warning-list", PRELUDE + STATUS + '[ "$code" = 200 ] || echo "::warning::HTTP $code"\n', posix=True),
    Variant("code-while-retry", PRELUDE + f'n=0\nwhile :; do\n  code=$({CURL} -s -o /dev/null -w \'%{{http_code}}\' "$URL")\n  [ "$code" = 200 ] && break\n  n=$((n + 1))\n  [ "$n" -lt 3 ] || {{ echo "HTTP $code"; exit 1; }}\ndone\necho done\n', posix=True),
    Variant("login-then-promote", f'tok=$({CURL} -fsS "$URL/login")\ncode=$({CURL} -sS -o /dev/null -w \'%{{http_code}}\' -H "Authorization: Bearer $tok" "$URL")\n[ "$code" = 200 ] || exit 1\n', posix=True),
    Variant("code-grep", PRELUDE + STATUS + 'echo "$code" | grep -q "^2" || exit 1\n', undecidable=True),
    # -- what the analysis cannot see
    Variant("trap-echo", f'trap "echo cleanup" EXIT\n{CURL} -fsS "$URL"\necho done\n', posix=True),
    Variant("if-not-assign", f'if ! out=$({CURL} -fsS "$URL"); then echo "::error::failed"; exit 1; fi\necho "$out"\n', posix=True),
    Variant("brace-redirected", f'{{ {CURL} -fsS "$URL"; }} 2>&1\necho done\n', posix=True),
    Variant("while-not-counter", f'n=0\nwhile ! {CURL} -fsS "$URL"; do\n  n=$((n + 1))\n  [ "$n" -lt 2 ] || exit 1\ndone\n', posix=True),
    Variant("test-nonempty-output", f'[[ -n $({CURL} -fsS "$URL") ]]\necho done\n'),
    Variant("case-on-substitution", f'case "$({CURL} -s -o /dev/null -w \'%{{http_code}}\' "$URL")" in\n  2??) echo ok ;;\n  *) exit 1 ;;\nesac\n', posix=True),
    Variant("code-or-true-then-check", PRELUDE + f'code=$({CURL} -s -o "$resp" -w \'%{{http_code}}\' "$URL") || true\n[ "$code" = 200 ] || exit 1\n', posix=True),
    Variant("code-check-in-function-or-exit", PRELUDE + f'check() {{\n  [ "$1" -ge 200 ] && [ "$1" -lt 300 ]\n}}\ncode=$({CURL} -s -o "$resp" -w \'%{{http_code}}\' "$URL")\ncheck "$code" || {{ echo "HTTP $code"; exit 1; }}\n', posix=True),
    Variant("trap-exit-0", f'trap "exit 0" EXIT\n{CURL} -fsS "$URL"\n', undecidable=True),
    Variant("eval", f'eval "{CURL} -fsS \\"\\$URL\\""\n{CURL} -sS "$URL"\n', undecidable=True),
    Variant("body-grep", f'{CURL} -sS "$URL" | grep -q \'"ok":true\' || exit 1\n', undecidable=True),
]

INVOCATIONS: list[tuple[str, list[str], Shell]] = [
    ("github-default", ["bash", "-e"], effective_shell(None, None, "github")),
    ("shell-bash", ["bash", "--noprofile", "--norc", "-eo", "pipefail"], effective_shell("bash", None, "github")),
    ("gitea-default", ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail"], effective_shell(None, None, "gitea")),
    ("bash-no-e", ["bash"], effective_shell("bash {0}", None, "github")),
    ("sh", ["sh", "-e"], effective_shell("sh", None, "github")),
]


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 500

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b'{"ok":true}' if self.status < 300 else b'{"ok":false}'
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def _server(status: int) -> http.server.ThreadingHTTPServer:
    handler = type(f"Handler{status}", (_Handler,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _run(argv: list[str], script: Path, url: str, cwd: Path) -> int:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "URL": url, "HOME": str(cwd), "TMPDIR": str(cwd)}
    proc = subprocess.run([*argv, str(script)], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return proc.returncode


def _applies(variant: Variant, label: str) -> bool:
    return label != "sh" or variant.posix


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], tuple[int, int]]]:
    """(variant, invocation) -> (exit status on 500, exit status on 200), all run in parallel."""
    if shutil.which("curl") is None or shutil.which("wget") is None:
        pytest.skip("curl and wget are needed")
    failing, passing = _server(500), _server(200)
    root = tmp_path_factory.mktemp("variants")
    jobs = {}
    with ThreadPoolExecutor(max_workers=16) as pool:
        for variant in VARIANTS:
            script = root / f"{variant.name}.sh"
            script.write_text(variant.script)
            for label, argv, _ in INVOCATIONS:
                if not _applies(variant, label):
                    continue
                for server in (failing, passing):
                    url = f"http://127.0.0.1:{server.server_address[1]}/cp/admin/runtime-image/promote"
                    work = root / f"{variant.name}-{label}-{server.server_address[1]}"
                    work.mkdir()
                    jobs[(variant.name, label, server is failing)] = pool.submit(_run, argv, script, url, work)
        results = {key: job.result() for key, job in jobs.items()}
    failing.shutdown()
    passing.shutdown()
    yield {(v, label): (results[(v, label, True)], results[(v, label, False)])
           for (v, label, error) in results if error}


def _observed(on_error: int, on_success: int) -> str:
    if on_success != 0:
        return "invalid"
    return "loud" if on_error != 0 else "quiet"


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_analyze_agrees_with_bash(variant: Variant, outcomes: dict[tuple[str, str], tuple[int, int]]) -> None:
    disagreements = []
    for label, _, shell in INVOCATIONS:
        if not _applies(variant, label):
            continue
        on_error, on_success = outcomes[(variant.name, label)]
        observed = _observed(on_error, on_success)
        assert observed != "invalid", f"{variant.name} under {label} fails even on a 200 (exit {on_success}): fix the variant"
        calls = analyze(variant.script, shell).http_calls
        assert calls, f"{variant.name}: no HTTP call found"
        verdicts = {c.verdict for c in calls}
        allowed = {observed, "unknown"} if variant.undecidable else {observed}
        # several calls: the script is loud if any call is, quiet only if all are
        script_verdict = "loud" if "loud" in verdicts else ("unknown" if "unknown" in verdicts else "quiet")
        if script_verdict not in allowed:
            disagreements.append(f"{label}: bash says {observed} (exit {on_error} on 500), analyze says "
                                 f"{[(c.verdict, c.cause, c.reason) for c in calls]}")
    assert not disagreements, f"{variant.name}:\n" + "\n".join(disagreements)


def test_undecidable_variants_are_rare() -> None:
    assert sum(v.undecidable for v in VARIANTS) * 10 <= len(VARIANTS)


def test_both_verdicts_are_exercised(outcomes: dict[tuple[str, str], tuple[int, int]]) -> None:
    observed = {_observed(*pair) for pair in outcomes.values()}
    assert {"loud", "quiet"} <= observed
