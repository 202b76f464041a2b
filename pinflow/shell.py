"""What pinflow asks about a `run:` script, and which shell runs it.

``analyze`` (does a non-2xx answer to a curl/wget fail the step; is `set -x`
on; is a secret echoed), ``command_words`` and ``tested_variables`` are
answered by bashsim.py, which parses the script with tree-sitter-bash and
replays bash's errexit rules. Each answer is a pure function of its
arguments: it is kept per process, and pinflow's own scripts ship with their
answers computed when it was built (``_prebuilt``), so the self-check of a
render loads neither the parser nor the interpreter.
"""
from __future__ import annotations

import functools
import os
import shlex
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from typing import Any


class Shell(NamedTuple):
    program: str  # 'bash' | 'sh' | 'other'
    errexit: bool
    pipefail: bool
    label: str  # e.g. "bash -e {0} (GitHub default)"


class HttpCall(NamedTuple):
    line: int  # 0-based within the script
    column: int  # 0-based, in characters
    tool: str  # 'curl' | 'wget'
    verdict: str  # 'loud' | 'quiet' | 'unknown'
    cause: str  # see CAUSES
    reason: str  # one sentence, quoting the construct


class ScriptReport(NamedTuple):
    http_calls: list[HttpCall]
    xtrace: list[tuple[int, int]]
    secret_echoes: list[tuple[int, int, str]]
    parse_errors: list[tuple[int, int]]


CAUSES = (
    "fail-flag", "status-checked",  # loud
    "no-fail-flag", "status-unchecked", "swallowed-or-true", "swallowed-warning-only", "errexit-off",
    "errexit-ignored-condition", "pipeline-no-pipefail", "masked-by-local", "background", "not-last-command",
    "ignored-substitution",  # quiet
    "cannot-decide",  # unknown
)

# ---------------------------------------------------------------------------
# The effective shell of a step.

_GITHUB_DEFAULT = Shell("bash", True, False, "bash -e {0} (GitHub default)")
_ACT_DEFAULT = Shell("bash", True, True, "bash --noprofile --norc -e -o pipefail {0} (Gitea/act default)")
_BASH = "bash --noprofile --norc -eo pipefail {0}"


def effective_shell(step_shell: str | None, default_shell: str | None, dialect: str) -> Shell:
    """The shell a `run:` step gets: `shell:`, else `defaults.run.shell`, else the forge's default."""
    chosen = (step_shell or default_shell or "").strip()
    if not chosen:
        return _ACT_DEFAULT if dialect == "gitea" else _GITHUB_DEFAULT
    if chosen == "bash":
        return Shell("bash", True, True, f"{_BASH} (shell: bash)")
    if chosen == "sh":
        return Shell("sh", True, False, "sh -e {0} (shell: sh)")
    if "{0}" in chosen:
        return _custom_shell(chosen)
    return Shell("other", False, False, f"{chosen} (not a POSIX shell)")


def _custom_shell(template: str) -> Shell:
    try:
        words = shlex.split(template)
    except ValueError:
        return Shell("other", False, False, f"{template} (unparsable shell template)")
    program = words[0].rsplit("/", 1)[-1] if words else ""
    if program not in ("bash", "sh", "dash"):
        return Shell("other", False, False, f"{template} (not bash or sh)")
    errexit, pipefail = _apply_set_words(words[1:], False, False)
    return Shell("bash" if program == "bash" else "sh", errexit, pipefail, f"{template} (custom shell)")


def _apply_set_words(words: list[str], errexit: bool, pipefail: bool) -> tuple[bool, bool]:
    """Fold `set`-style flags (`-e`, `+e`, `-euo pipefail`, `-o errexit`) into the two options."""
    for name, on in set_options(words):
        if name == "errexit":
            errexit = on
        elif name == "pipefail":
            pipefail = on
    return errexit, pipefail


def set_options(words: list[str]) -> Iterator[tuple[str, bool]]:
    """`set` arguments -> (long option name, on) pairs, in order."""
    letters = {"e": "errexit", "x": "xtrace", "u": "nounset"}
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word in ("--", "-") or len(word) < 2 or word[0] not in "-+" or word.startswith("--"):
            if word in ("--", "-"):
                return
            continue
        on = word[0] == "-"
        for letter in word[1:]:
            if letter == "o":
                if i < len(words):
                    yield words[i], on
                    i += 1
            elif letter in letters:
                yield letters[letter], on


# ---------------------------------------------------------------------------
# The queries.

# The queries below are pure functions of their arguments, and a fleet's
# workflows repeat the same scripts file after file: each is answered once per
# process (callers get fresh lists, so the memo cannot be changed through them).
_MEMO = 1024


def _prebuilt(script: str, query: tuple[object, ...]) -> Any:
    """The answer to ``query`` about one of pinflow's own scripts, as computed when it was built, or None.

    Every render lints its own output, and judging the built-in promote.sh
    takes ~10 ms, a fifth of a cold render; its verdict cannot change unless
    the analysis or the grammar does. pinflow/_prebuilt/scripts.py holds the
    answers for the scripts render inlines, keyed by each script's hash; they
    count only while ``analyzer_digest()`` is the one they were computed with
    (any other script, an edited analysis or another grammar version is judged
    here and now). ``python -m pinflow.precompiled`` writes them,
    tests/test_precompiled.py recomputes them.
    """
    from pinflow.cache import text_digest

    try:
        from pinflow._prebuilt import scripts
    except ImportError:
        return None
    key = text_digest(script)
    if key not in scripts.FACTS:  # most scripts: no need to hash the analysis to know
        return None
    return _prebuilt_facts().get(key, {}).get(query)


@functools.lru_cache(maxsize=1)
def _prebuilt_facts() -> dict[str, dict[tuple[object, ...], Any]]:
    try:
        from pinflow._prebuilt import scripts

        current = analyzer_digest() == scripts.ANALYZER
    except (ImportError, OSError, AttributeError):
        return {}
    return scripts.FACTS if current else {}


def analyzer_digest() -> str | None:
    """What the prebuilt answers depend on: the analysis's source (this module,
    bashsim.py, records.py) and the tree-sitter-bash grammar's version. None
    when the version cannot be told (then nothing prebuilt is used)."""
    from pinflow.cache import blake2b

    grammar = _grammar_version()
    if grammar is None:
        return None
    h = blake2b(f"tree-sitter-bash {grammar}\0".encode(), digest_size=16)
    here = os.path.dirname(os.path.abspath(__file__))
    for module in ("shell.py", "bashsim.py", "records.py"):
        with open(os.path.join(here, module), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def _grammar_version() -> str | None:
    """tree-sitter-bash's version, from its dist-info folder's name (importlib.metadata costs ~5 ms)."""
    prefix, suffix = "tree_sitter_bash-", ".dist-info"
    for entry in sys.path:
        folder = entry or "."
        if os.path.isdir(os.path.join(folder, "tree_sitter_bash")):
            found = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(suffix)]
            return found[0][len(prefix):-len(suffix)] if len(found) == 1 else None
    return None


def analyze(script: str, shell: Shell, secret_vars: frozenset[str] = frozenset()) -> ScriptReport:
    """Judge every curl/wget in a `run:` script, and list `set -x` and secret echoes."""
    r = _analyze(script, shell, secret_vars)
    return ScriptReport(list(r.http_calls), list(r.xtrace), list(r.secret_echoes), list(r.parse_errors))


@functools.lru_cache(maxsize=_MEMO)
def _analyze(script: str, shell: Shell, secret_vars: frozenset[str]) -> ScriptReport:
    known = _prebuilt(script, ("analyze", *shell, *sorted(secret_vars)))
    if known is not None:
        calls, xtrace, echoes, errors = known
        return ScriptReport([HttpCall(*c) for c in calls], list(xtrace), list(echoes), list(errors))
    from pinflow import bashsim

    return bashsim.judge_script(script, shell, secret_vars)


# ---------------------------------------------------------------------------
# Small queries the contract rules need (who pushes, is the digest checked).

def command_words(script: str) -> list[tuple[int, int, list[str]]]:
    """Every simple command, anywhere (substitutions, conditions, functions):
    (line, column, words) with quotes removed from plain literal words and
    wrappers (`timeout 30`, `env X=1`, `exec`, `sudo`...) dropped.

    `timeout 480 docker push "$IMAGE"` gives ['docker', 'push', '$IMAGE'].
    """
    return [(line, col, list(words)) for line, col, words in _command_words(script)]


@functools.lru_cache(maxsize=_MEMO)
def _command_words(script: str) -> tuple[tuple[int, int, tuple[str, ...]], ...]:
    known = _prebuilt(script, ("command_words",))
    if known is not None:
        return known  # type: ignore[no-any-return]
    from pinflow import bashsim

    return bashsim.find_command_words(script)


def tested_variables(script: str) -> dict[str, set[str]]:
    """Which variables a script validates, and how.

    'empty': `[ -z "$X" ]`, `[ -n "$X" ]`, `test -z`, `${X:?}`;
    'pattern': `[[ $X =~ re ]]`, `case "$X" in sha256:*)`, `[[ $X == sha256:* ]]`,
    a `grep -E`/`grep -q` fed with the variable.
    """
    return {name: set(how) for name, how in _tested_variables(script).items()}


@functools.lru_cache(maxsize=_MEMO)
def _tested_variables(script: str) -> dict[str, frozenset[str]]:
    known = _prebuilt(script, ("tested_variables",))
    if known is not None:
        return {name: frozenset(how) for name, how in known}
    from pinflow import bashsim

    return bashsim.find_tested_variables(script)
