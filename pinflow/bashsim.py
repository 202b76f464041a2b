"""The bash analysis behind pinflow.shell: does a non-2xx answer to an HTTP call in a `run:` script fail the step?

Bash decides that with errexit rules few people remember (conditions, `&&`
lists, pipelines without pipefail, `local x=$(…)`, functions called from a
condition, compound commands, the last command's status...). This module
replays them: it parses the script with tree-sitter-bash and interprets the
AST for each curl/wget, once in a world where that call gets an HTTP error
(4xx/5xx) and once where it gets a 2xx, every other command succeeding.
Values that come from the call (its exit status, the `%{http_code}` it
prints, its body) are followed through variables, `$?`, `PIPESTATUS`,
tests, `case` and arithmetic; a branch bash could take either way is
explored both ways. When the script can see the status code, each code gets
its own run (a server answers the same way each time).

A call is *loud* when every path through it ends non-zero on an error (and
some path ends 0 on a 2xx), *quiet* when some path ends 0 (a 409 that passes
counts), *unknown* when the outcome hangs on what the analysis cannot see:
eval/source/`bash -c`, curl options from a variable or a config file, a
command whose status depends on the response body, a trap that may exit,
a loop that may not end.

Not modelled: arrays, `local` scoping, files other than curl's `-o` target,
curl run through xargs/find/parallel or inside `<(…)`, 3xx answers.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from pinflow.records import NamedTuple
from pinflow.shell import HttpCall, ScriptReport, Shell, set_options

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree


# ---------------------------------------------------------------------------
# Parsing.

@functools.lru_cache(maxsize=1)
def _parser() -> Parser:
    from tree_sitter import Language, Parser

    return Parser(Language(_bash_language()))


def _bash_language() -> object:
    """tree_sitter_bash.language(), without running the package's __init__:
    it imports importlib.resources (for a query file we never read), which
    costs more than parsing every script of a workflow. Falls back to the
    plain import if the layout is not the one expected."""
    import importlib.machinery
    import importlib.util

    try:
        spec = importlib.util.find_spec("tree_sitter_bash")
        folder = spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None
        binding = next(os.path.join(folder, "_binding" + s) for s in importlib.machinery.EXTENSION_SUFFIXES
                       if folder and os.path.isfile(os.path.join(folder, "_binding" + s)))
        loader = importlib.machinery.ExtensionFileLoader("tree_sitter_bash._binding", binding)
        module = importlib.util.module_from_spec(importlib.util.spec_from_file_location("tree_sitter_bash._binding", binding, loader=loader))  # type: ignore[arg-type]
        loader.exec_module(module)
        return module.language()
    except (ImportError, StopIteration, OSError, AttributeError):
        import tree_sitter_bash

        return tree_sitter_bash.language()


def _mask_expressions(script: str) -> str:
    """Replace each `${{ … }}` by a same-length `${_P___}`: bash cannot parse them,
    and their value is unknown to the script anyway."""
    out: list[str] = []
    i = 0
    while True:
        start = script.find("${{", i)
        if start < 0:
            out.append(script[i:])
            return "".join(out)
        end = _expression_end(script, start + 3)
        if end < 0:
            out.append(script[i:])
            return "".join(out)
        out.append(script[i:start])
        out.append("${_P" + "_" * max(0, end - start - 5) + "}")
        i = end


def _expression_end(script: str, i: int) -> int:
    """Index just past the `}}` closing an expression (GitHub strings are '…' with '' escapes)."""
    quoted = False
    while i < len(script):
        ch = script[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and script.startswith("}}", i):
            return i + 2
        i += 1
    return -1


class _Src:
    """The parsed script, with character (not byte) columns for positions."""

    def __init__(self, script: str) -> None:
        self.data = _mask_expressions(script).encode("utf-8")
        self.tree: Tree = _parser().parse(self.data)
        self.root: Node = self.tree.root_node
        self._line_starts = [0] + [i + 1 for i, b in enumerate(self.data) if b == 0x0A]
        self._words: dict[int, Val] = {}
        self._subst: dict[int, bool] = {}
        self._literals: dict[int, str | None] = {}

    def pos(self, node: Node) -> tuple[int, int]:
        return self.pos_at(node.start_byte)

    def pos_at(self, byte: int) -> tuple[int, int]:
        row = _bisect(self._line_starts, byte)
        start = self._line_starts[row]
        return row, len(self.data[start:byte].decode("utf-8", "replace"))

    def text(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def runs_code(self, node: Node) -> bool:
        """Does expanding this word run a `$(…)`? (cached: asked again on every path)"""
        found = self._subst.get(node.id)
        if found is None:
            found = self._subst[node.id] = any(n.type in ("command_substitution", "process_substitution") for n in _walk(node))
        return found

    def word(self, node: Node) -> Val:
        """A literal word's value (cached: the interpreter asks again on every path)."""
        found = self._words.get(node.id)
        if found is None:
            found = self._words[node.id] = _lit(_unquote_text(self.text(node)))
        return found

    def snippet(self, span: Span) -> str:
        text = " ".join(self.data[span[0]:span[1]].decode("utf-8", "replace").replace("\\\n", " ").split())
        return text if len(text) <= 60 else text[:57] + "…"


@functools.lru_cache(maxsize=64)
def _source(script: str) -> _Src:
    """One parse per script for the three queries below (its caches are pure)."""
    return _Src(script)


def _bisect(starts: list[int], byte: int) -> int:
    lo, hi = 0, len(starts)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if starts[mid] <= byte:
            lo = mid
        else:
            hi = mid
    return lo


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


Span = tuple[int, int]


def _span(node: Node) -> Span:
    return (node.start_byte, node.end_byte)


# ---------------------------------------------------------------------------
# Static scans: HTTP calls, xtrace, secret echoes, parse errors.

_HTTP_TOOLS = ("curl", "wget")
# Commands that run their arguments as a command; value: options taking an argument.
_WRAPPERS: dict[str, frozenset[str]] = {
    "command": frozenset(), "builtin": frozenset(), "exec": frozenset({"-a"}), "nohup": frozenset(),
    "time": frozenset(), "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-U"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}), "nice": frozenset({"-n"}),
    "env": frozenset({"-u", "-C", "-S"}), "stdbuf": frozenset({"-i", "-o", "-e"}),
}


def _unwrap(words: list[str | None]) -> tuple[int, bool]:
    """Index of the real command in `timeout 30 curl …` style words, and whether `exec` was seen."""
    i, execed = 0, False
    while i < len(words) and words[i] in _WRAPPERS:
        name = words[i]
        execed = execed or name == "exec"
        takes = _WRAPPERS[name or ""]
        i += 1
        if name == "command" and i < len(words) and words[i] in ("-v", "-V"):
            return len(words), execed  # a lookup, not a run
        while i < len(words) and words[i] is not None and (words[i].startswith("-") or (name == "env" and "=" in words[i])):
            i += 2 if words[i] in takes else 1
        if name == "timeout" and i < len(words):
            i += 1  # the duration
    return i, execed


_LITERAL_KINDS = frozenset({"word", "number", "raw_string", "string", "concatenation", "string_content", "command_name"})


def _literal(node: Node, src: _Src) -> str | None:
    """The word's value when it has no expansion, else None (cached: asked on every path)."""
    key = node.id
    if key in src._literals:
        return src._literals[key]
    found = None if any(n.type not in _LITERAL_KINDS and n.is_named for n in _walk(node)) else _unquote_text(src.text(node))
    src._literals[key] = found
    return found


def _unquote_text(text: str) -> str:
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif ch == "\\" and i + 1 < len(text):
            i += 1
            if text[i] != "\n":
                out.append(text[i])
        elif ch in "'\"" and (not quote or quote == ch):
            quote = "" if quote else ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _command_parts(node: Node) -> tuple[list[Node], list[Node], list[Node]]:
    """A `command` node -> (prefix assignments, words (name first), redirects)."""
    assigns, words, redirects = [], [], []
    for child in node.named_children:
        if child.type == "variable_assignment":
            assigns.append(child)
        elif child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
            redirects.append(child)
        elif child.type == "command_name":
            words.append(child.named_children[0] if child.named_child_count else child)
        elif child.type != "comment":
            words.append(child)
    return assigns, words, redirects


def _http_commands(src: _Src) -> list[tuple[Node, Node, str]]:
    """(command node, the tool's word, tool) for every curl/wget command."""
    found = []
    for node in _walk(src.root):
        if node.type != "command":
            continue
        _, words, _ = _command_parts(node)
        texts = [_literal(w, src) for w in words]
        i, _ = _unwrap(texts)
        if i < len(texts) and texts[i] is not None:
            tool = texts[i].rsplit("/", 1)[-1]  # type: ignore[union-attr]
            if tool in _HTTP_TOOLS:
                found.append((node, words[i], tool))
    return found


def _xtrace(src: _Src) -> list[tuple[int, int]]:
    found = []
    for node in _walk(src.root):
        if node.type == "command":
            _, words, _ = _command_parts(node)
            texts = [_literal(w, src) or "" for w in words]
            if texts and texts[0] == "set" and any(name == "xtrace" and on for name, on in set_options(texts[1:])):
                found.append(src.pos(node))
    return found


def _secret_echoes(src: _Src, secrets: frozenset[str]) -> list[tuple[int, int, str]]:
    """`echo`/`printf` of a secret variable whose output reaches the log."""
    if not secrets:
        return []
    found = []
    for node in _walk(src.root):
        if node.type != "command":
            continue
        _, words, _ = _command_parts(node)
        if not words or _literal(words[0], src) not in ("echo", "printf") or not _reaches_log(node, src):
            continue
        if any("::add-mask::" in src.text(w) for w in words[1:]):
            continue  # the documented way to mask a value
        for word in words[1:]:
            for name, where in _expanded_names(word, src):
                if name in secrets:
                    found.append((*src.pos(where), name))
    return found


def _reaches_log(node: Node, src: _Src) -> bool:
    """False when stdout goes to a file, into a pipe or into a substitution."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type in ("command_substitution", "process_substitution"):
            return False
        if parent.type == "pipeline" and child != parent.named_children[-1]:
            return False
        if parent.type == "redirected_statement" and any(_redirects_stdout(r, src) for r in parent.children_by_field_name("redirect")):
            return False
        child, parent = parent, parent.parent
    return True


def _redirects_stdout(redirect: Node, src: _Src) -> bool:
    if redirect.type != "file_redirect":
        return False
    text = src.text(redirect).lstrip()
    descriptor = redirect.child_by_field_name("descriptor")
    fd = src.text(descriptor) if descriptor is not None else "1"
    if text.startswith("&>") or text.startswith("&>>"):
        return True
    op = text[len(fd):] if descriptor is not None else text
    return fd == "1" and op.startswith(">") and not op.startswith(">&2")


def _expanded_names(word: Node, src: _Src) -> Iterator[tuple[str, Node]]:
    for node in _walk(word):
        if node.type in ("simple_expansion", "expansion"):
            for child in node.named_children:
                if child.type == "variable_name":
                    yield src.text(child), node
                    break


def _parse_errors(src: _Src) -> list[tuple[int, int]]:
    if not src.root.has_error:
        return []
    return [src.pos(n) for n in _walk(src.root) if n.type == "ERROR" or n.is_missing]


# ---------------------------------------------------------------------------
# Abstract values.

# The answers a call can get in each world: any of these may come back, and a
# test that tells them apart is explored for each.
_ERROR_CODES = frozenset({"400", "401", "403", "404", "409", "422", "429", "500", "502", "503"})
_OK_CODES = frozenset({"200", "201", "202", "204"})
_JUST_200 = frozenset({"200"})


class Val(NamedTuple):
    strs: frozenset[str] | None  # the possible values; None: unknown
    nonempty: bool = False  # known non-empty although unknown
    taint: str = ""  # '' | 'status' | 'code' | 'body': derived from the call under study


UNKNOWN = Val(None)
EMPTY = Val(frozenset({""}))


def _lit(text: str) -> Val:
    return Val(frozenset({text}))


def _join_taint(taints: Iterable[str]) -> str:
    found = [t for t in taints if t]
    return "body" if "body" in found else (found[0] if found else "")


def _concat(vals: list[Val]) -> Val:
    strs: frozenset[str] | None = frozenset({""})
    for v in vals:
        if strs is None or v.strs is None or len(strs) * len(v.strs) > 64:
            strs = None
        else:
            strs = frozenset(a + b for a in strs for b in v.strs)
    nonempty = any(v.nonempty or (v.strs is not None and "" not in v.strs) for v in vals)
    return Val(strs, nonempty and strs is None, _join_taint(v.taint for v in vals))


def _known_nonempty(v: Val) -> bool | None:
    if v.strs is None:
        return True if v.nonempty else None
    if all(s for s in v.strs):
        return True
    return False if v.strs == frozenset({""}) else None


class St(NamedTuple):
    """An exit status (code None: unknown). taint 'call': the call's own status, passed
    along; 'test': the result of looking at what the call returned."""

    code: int | None
    taint: str = ""


OK = St(0)
_SOME_FAILURE = -1  # a status known to be non-zero, of unknown value


class Event(NamedTuple):
    kind: str  # 'lost' | 'checked' | 'captured' | 'exit'
    cause: str
    span: Span
    detail: str = ""


class Facts(NamedTuple):
    """What a path did, kept across subshells (shell state is not)."""

    reached: bool = False
    events: tuple[Event, ...] = ()
    unsure: str | None = None  # why this path's outcome cannot be trusted


class State:
    """One path's shell state. A plain class with slots, not a dataclass: the
    interpreter copies it at every branch, and importing dataclasses costs a
    lint run more than all those copies."""

    __slots__ = ("errexit", "pipefail", "inherit", "noerr", "vars", "funcs", "ignored", "status", "pending", "facts",
                 "jobs", "bang", "nbg", "stdin", "out", "body_files", "subst", "subst_span", "depth", "pipestatus", "reader")

    def __init__(self, errexit: bool, pipefail: bool, inherit: bool, noerr: str) -> None:
        self.errexit = errexit
        self.pipefail = pipefail
        self.inherit = inherit  # command substitutions keep -e (inherit_errexit, or POSIX sh)
        self.noerr = noerr  # why errexit is off, for the reason sentence
        self.vars: dict[str, Val] = {}
        self.funcs: dict[str, Node] = {}
        self.ignored: tuple[str, Span] | None = None  # errexit suppressed here, and why
        self.status: St = OK
        self.pending: Event | None = None  # why a tainted non-zero $? escaped errexit
        self.facts: Facts = Facts()
        self.jobs: dict[str, tuple[St, Span]] = {}
        self.bang = ""
        self.nbg = 0
        self.stdin: Val | None = None
        self.out: tuple[Val, ...] | None = None  # stdout being captured, or None
        self.body_files: frozenset[str] = frozenset()
        self.subst: St | None = None  # status of the last $(…) of the current command
        self.subst_span: Span = (0, 0)
        self.depth = 0
        self.pipestatus: tuple[St, ...] = (OK,)
        self.reader: Span = (0, 0)  # the last command whose status hangs on the response body

    def copy(self) -> State:
        new = State.__new__(State)
        for name in State.__slots__:
            setattr(new, name, getattr(self, name))
        new.vars, new.funcs, new.jobs = dict(self.vars), dict(self.funcs), dict(self.jobs)
        return new

    def key(self) -> tuple[object, ...]:
        return (self.errexit, self.pipefail, self.inherit, self.noerr, frozenset(self.vars.items()),
                tuple(sorted((k, v.start_byte) for k, v in self.funcs.items())), self.ignored, self.status,
                self.pending, self.facts, frozenset(self.jobs.items()), self.bang, self.nbg, self.stdin,
                self.out, self.body_files, self.depth, self.pipestatus)

    def add(self, event: Event) -> None:
        self.facts = self.facts._replace(events=(*self.facts.events, event))

    def doubt(self, why: str) -> None:
        if self.facts.unsure is None:
            self.facts = self.facts._replace(unsure=why)


class Flow(NamedTuple):
    kind: str  # 'next' | 'exit' | 'return' | 'break' | 'continue' | 'diverge'
    n: int = 1


NEXT = Flow("next")
Paths = list[tuple[State, Flow]]

_MAX_PATHS = 400
_MAX_LOOP = 8
_MAX_DEPTH = 12


class _TooComplex(Exception):
    pass


# Commands whose status does not depend on what they read.
_BLIND_READERS = frozenset({"cat", "tee", "head", "tail", "tr", "sed", "cut", "sort", "uniq", "wc", "base64", "column",
                            "fold", "xxd", "od", "nl", "rev", "awk", "less", "more", "echo", "printf", "true", ":"})
_OPAQUE = frozenset({"eval", "source", ".", "bash", "sh", "zsh", "dash"})


# ---------------------------------------------------------------------------
# The interpreter.

class _Interp:
    """Runs a script abstractly for one call (`target`), which gets HTTP status
    `code` every time it runs; every other command succeeds."""

    def __init__(self, src: _Src, shell: Shell, target: Span, codes: frozenset[str]) -> None:
        # Several codes at once: the response variable holds all of them and
        # every test on it splits the path (see _judge). All 2xx or all not.
        self.src, self.shell, self.target, self.codes = src, shell, target, codes
        self.error = not min(codes).startswith("2")
        self.steps = 0

    # -- entry ----------------------------------------------------------------

    def run(self) -> list[State]:
        noerr = "" if self.shell.errexit else f"the shell `{self.shell.label}` runs without -e"
        st = State(self.shell.errexit, self.shell.pipefail, self.shell.program == "sh", noerr)
        finals = []
        for s, f in self.block(_statements(self.src.root), st):
            if f.kind == "diverge":
                s.doubt("a loop around it may never end")
            for job_status, span in s.jobs.values():
                self._drop_job(s, job_status, span)
            finals.append(s)
        return finals

    # -- sequencing -------------------------------------------------------------

    def block(self, stmts: list[tuple[Node, bool]], st: State) -> Paths:
        paths: Paths = [(st, NEXT)]
        for node, background in stmts:
            new: Paths = []
            for s, f in paths:
                if f.kind != "next":
                    new.append((s, f))
                elif background:
                    new.extend(self.background(node, s))
                else:
                    new.extend(self.stmt(node, s))
            paths = _dedupe(new)
        return paths

    def stmt(self, node: Node, st: State) -> Paths:
        self.steps += 1
        if self.steps > 20000:
            raise _TooComplex
        handler = _HANDLERS.get(node.type)
        if handler is None:
            return [(st, NEXT)]
        return handler(self, node, st)

    # -- status bookkeeping -----------------------------------------------------

    def set_status(self, st: State, new: St) -> None:
        """A command completes: its status replaces `$?` (and a pending failure is lost)."""
        old = st.status
        if st.pending is not None and old.taint == "call" and old.code != 0:
            st.add(st.pending)
        st.pending = None
        st.status = new
        st.pipestatus = (new,)

    def check(self, st: State, node: Node) -> Paths:
        """errexit after a simple command, a function call, a subshell or a pipeline."""
        status = st.status
        if status.code is None and status.taint and st.ignored is None and st.errexit:
            st.doubt(f"the status of `{self.src.snippet(st.reader)}` depends on the response body")
        if status.code == 0 or status.code is None:
            return [(st, NEXT)]
        if st.ignored is not None:
            if status.taint == "call":
                st.pending = Event("lost", st.ignored[0], st.ignored[1])
            return [(st, NEXT)]
        if not st.errexit:
            if status.taint == "call":
                st.pending = Event("lost", "errexit-off", _span(node), st.noerr)
            return [(st, NEXT)]
        return [(st, Flow("exit"))]

    def done(self, st: State, node: Node, new: St) -> Paths:
        self.set_status(st, new)
        return self.check(st, node)

    def unknown_status(self, st: State, node: Node) -> Paths:
        """A command the analysis does not model: it succeeds, unless its status
        picks a branch, where either outcome is possible."""
        if st.ignored is None:
            return self.done(st, node, OK)
        other = st.copy()
        return self.done(st, node, OK) + self.done(other, node, St(1))

    def branch(self, st: State) -> list[tuple[State, bool]]:
        """Split on `$?` (unknown: both ways)."""
        code = st.status.code
        if code is not None:
            return [(st, code == 0)]
        other = st.copy()
        if st.status.taint:
            why = f"the status of `{self.src.snippet(st.reader)}` depends on the response body"
            st.doubt(why)
            other.doubt(why)
        return [(st, True), (other, False)]

    def emit(self, st: State, val: Val) -> None:
        if st.out is not None:
            st.out = (*st.out, val)

    # -- compound commands --------------------------------------------------------

    def program(self, node: Node, st: State) -> Paths:
        return self.block(_statements(node), st)

    def brace(self, node: Node, st: State) -> Paths:
        if node.children and node.children[0].type == "((":
            return self.arith_command(node, st)
        return self.block(_statements(node), st)

    def subshell(self, node: Node, st: State) -> Paths:
        out: Paths = []
        for child, f in self.block(_statements(node), st.copy()):
            parent = self.rejoin(st.copy(), child, f)
            out.extend(self.check(parent, node))
        return out

    def rejoin(self, parent: State, child: State, f: Flow) -> State:
        """Back from a subshell: the parent's shell state, the child's facts and status."""
        parent.facts = child.facts
        parent.out = child.out if parent.out is not None else None
        status = child.status
        if f.kind == "diverge":
            parent.doubt("a loop around it may never end")
        self.set_status(parent, status)
        return parent

    def negated(self, node: Node, st: State) -> Paths:
        inner = node.named_children[0] if node.named_child_count else None
        if inner is None:
            return [(st, NEXT)]
        return self.negate(node, st, lambda s: self.stmt(inner, s))

    def negate(self, node: Node, st: State, run: Callable[[State], Paths]) -> Paths:
        saved = st.ignored
        st.ignored = saved or ("errexit-ignored-condition", _span(node))
        out: Paths = []
        for s, f in run(st):
            s.ignored = saved
            if f.kind != "next":
                out.append((s, f))
                continue
            code = s.status.code
            flipped = St(None if code is None else int(code == 0), s.status.taint)
            if code not in (0, None) and s.status.taint == "call" and s.pending is None:
                s.pending = Event("lost", "errexit-ignored-condition", _span(node))
            self.set_status(s, flipped)
            out.append((s, NEXT))
        return out

    def list_(self, node: Node, st: State) -> Paths:
        left, op, right = node.children[0], node.children[1].type, node.children[-1]
        saved = st.ignored
        cause = "not-last-command" if op == "&&" else "swallowed-or-true"
        st.ignored = saved or (cause, _span(node))
        out: Paths = []
        for s, f in self.stmt(left, st):
            s.ignored = saved
            if f.kind != "next":
                out.append((s, f))
                continue
            for s2, ok in self.branch(s):
                if ok == (op == "&&"):
                    out.extend(self.stmt(right, s2))
                else:
                    out.append((s2, NEXT))
        return out

    def if_(self, node: Node, st: State) -> Paths:
        clauses, else_body = _if_clauses(node)
        return self.if_chain(node, clauses, else_body, st)

    def if_chain(self, node: Node, clauses: list[tuple[list[tuple[Node, bool]], list[tuple[Node, bool]]]],
                 else_body: list[tuple[Node, bool]] | None, st: State) -> Paths:
        cond, body = clauses[0]
        out: Paths = []
        for s, f in self.condition(node, cond, st):
            if f.kind != "next":
                out.append((s, f))
                continue
            for s2, truth in self.branch(s):
                taken = body if truth else (None if len(clauses) > 1 else else_body)
                if s2.status.taint:
                    self.note_check(s2, node, cond, taken)
                if truth:
                    out.extend(self.block(body, s2))
                elif len(clauses) > 1:
                    out.extend(self.if_chain(node, clauses[1:], else_body, s2))
                elif else_body is not None:
                    out.extend(self.block(else_body, s2))
                else:
                    self.set_status(s2, OK)
                    out.append((s2, NEXT))
        return out

    def condition(self, node: Node, cond: list[tuple[Node, bool]], st: State) -> Paths:
        saved = st.ignored
        st.ignored = saved or ("errexit-ignored-condition", _span(node))
        paths = self.block(cond, st)
        for s, _ in paths:
            s.ignored = saved
        return paths

    def note_check(self, st: State, node: Node, cond: list[tuple[Node, bool]], taken: list[tuple[Node, bool]] | None) -> None:
        """A branch chosen by the call's outcome (only the erroring world's choice matters)."""
        last = cond[-1][0] if cond else node
        kind = "value" if _is_test(last, self.src) else "cmd"
        echoes = taken is not None and any(_prints(n, self.src) for n, _ in taken)
        st.add(Event("checked", kind, _span(node), "echo" if echoes else ""))

    def while_(self, node: Node, st: State) -> Paths:
        until = node.children[0].type == "until"
        body_node = node.child_by_field_name("body")
        cond = [(c, bg) for c, bg in _statements(node) if c != body_node]
        body = _statements(body_node) if body_node is not None else []
        out: Paths = []
        frontier: list[tuple[State, St]] = [(st, OK)]
        for round_ in range(_MAX_LOOP + 1):
            nxt: list[tuple[State, St]] = []
            for s, last in frontier:
                going: list[State] = []
                ended = len(out)
                for s2, f in self.condition(node, cond, s):
                    if f.kind != "next":
                        out.append((s2, f))
                        continue
                    for s3, truth in self.branch(s2):
                        if s3.status.taint:
                            self.note_check(s3, node, cond, None)
                        if truth == until:
                            self.set_status(s3, last)
                            out.append((s3, NEXT))
                        else:
                            going.append(s3)
                if round_ < _MAX_LOOP:
                    for s3 in going:
                        nxt.extend(self.loop_body(body, s3, out))
                elif len(out) == ended:
                    # nothing lets the loop end: it spins (until the job's timeout)
                    out.extend((s3, Flow("diverge")) for s3 in going)
            frontier = _dedupe_pairs(nxt)
        return out

    def loop_body(self, body: list[tuple[Node, bool]], st: State, out: Paths) -> list[tuple[State, St]]:
        """Run one iteration; loop exits go to `out`, states that go on are returned."""
        going: list[tuple[State, St]] = []
        for s, f in self.block(body, st):
            if f.kind in ("break", "continue") and f.n > 1:
                out.append((s, Flow(f.kind, f.n - 1)))
            elif f.kind == "break":
                out.append((s, NEXT))
            elif f.kind in ("next", "continue"):
                going.append((s, s.status))
            else:
                out.append((s, f))
        return going

    def for_(self, node: Node, st: State) -> Paths:
        var = node.child_by_field_name("variable")
        name = self.src.text(var) if var is not None else ""
        body_node = node.child_by_field_name("body")
        body = _statements(body_node) if body_node is not None else []
        values = node.children_by_field_name("value")
        has_in = any(c.type == "in" for c in node.children)
        out: Paths = []
        for s, items in self.expand_fields(values, st) if has_in else [(st, None)]:
            out.extend(self.iterate(name, items, body, s))
        return out

    def iterate(self, name: str, items: list[Val] | None, body: list[tuple[Node, bool]], st: State) -> Paths:
        """Run the body once per item; a list of unknown length runs 0, 1 or 2 times."""
        unknown = items is None
        rounds = [UNKNOWN, UNKNOWN] if items is None else items
        out: Paths = []
        if unknown or not rounds:
            zero = st.copy() if rounds else st
            self.set_status(zero, OK)  # no round: the loop's status is 0
            out.append((zero, NEXT))
        frontier: list[tuple[State, St]] = [(st, OK)] if rounds else []
        for i, item in enumerate(rounds):
            nxt: list[tuple[State, St]] = []
            for s, _ in frontier:
                if name:
                    s.vars[name] = item
                nxt.extend(self.loop_body(body, s, out))
            frontier = _dedupe_pairs(nxt)
            if unknown or i == len(rounds) - 1:
                out.extend((s.copy() if i < len(rounds) - 1 else s, NEXT) for s, _ in frontier)
        return _dedupe(out)

    def c_for(self, node: Node, st: State) -> Paths:
        """`for ((i=0; i<3; i++))`: the counter's values are worked out first
        (the body is assumed not to touch it); otherwise 0, 1 or 2 rounds."""
        body_node = node.child_by_field_name("body")
        body = _statements(body_node) if body_node is not None else []
        init, cond, update = (node.child_by_field_name(f) for f in ("initializer", "condition", "update"))
        env = _int_env(st)
        get: Callable[[Node], int | None] = lambda n: None  # noqa: E731 - unknown outside env
        rounds: list[dict[str, int | None]] | None = []
        if init is not None and _arith(init, self.src, get, env) is None:
            rounds = None
        while rounds is not None and len(rounds) <= 16:
            ok = 1 if cond is None else _arith(cond, self.src, get, env)
            if not ok:
                rounds = None if ok is None else rounds
                break
            rounds.append(dict(env))
            if update is not None and _arith(update, self.src, get, env) is None:
                rounds = None
        if rounds is None or len(rounds) > 16:
            return self.iterate("", None, body, st)
        counter = next((self.src.text(n) for n in _walk(init) if n.type == "variable_name"), "") if init is not None else ""
        return self.iterate(counter, [_lit(str(r.get(counter))) for r in rounds], body, st)

    def case(self, node: Node, st: State) -> Paths:
        subject = node.child_by_field_name("value")
        items = [c for c in node.named_children if c.type == "case_item"]
        out: Paths = []
        for s, vals in self.expand_all([subject] if subject is not None else [], st):
            out.extend(self.case_items(node, vals[0] if vals else UNKNOWN, subject, items, s))
        return out

    def case_items(self, node: Node, subject: Val, subject_node: Node | None, items: list[Node], st: State) -> Paths:
        if not items:
            self.set_status(st, OK)
            return [(st, NEXT)]
        item = items[0]
        patterns = [c for c in item.children_by_field_name("value")]
        body = [(c, False) for c in item.named_children if c not in patterns and c.type != "comment"]
        var = _plain_var(subject_node, self.src) if subject_node is not None else None
        out: Paths = []

        def test(look: Callable[[Node], Val]) -> bool | None:
            value = look(subject_node) if subject_node is not None else subject
            return _any_match(value, [(look(p), p.type in ("string", "raw_string")) for p in patterns])

        pre = {} if subject_node is None or var else {subject_node.id: subject}
        nodes = ([subject_node] if subject_node is not None else []) + patterns
        for s, truth, dep in self.decide(st, nodes, pre, test):
            if dep and truth is not None:
                self.note_check(s, node, [(subject_node or node, False)], body if truth else None)
            if truth:
                if any(c.type in (";&", ";;&") for c in item.children):
                    s.doubt("a `case` fall-through (;& or ;;&)")
                if body:
                    out.extend(self.block(body, s))
                else:
                    self.set_status(s, OK)
                    out.append((s, NEXT))
            else:
                out.extend(self.case_items(node, subject, subject_node, items[1:], s))
        return out

    def function_def(self, node: Node, st: State) -> Paths:
        name = node.child_by_field_name("name")
        if name is not None:
            st.funcs[self.src.text(name)] = node
        return self.done(st, node, OK)

    def redirected(self, node: Node, st: State) -> Paths:
        body = node.child_by_field_name("body")
        redirects = node.children_by_field_name("redirect")
        if body is None:
            return self.done(st, node, OK)
        saved_out, saved_in = st.out, st.stdin
        if any(_redirects_stdout(r, self.src) for r in redirects):
            st.out = None
        states = [st]
        for r in redirects:
            if r.type == "herestring_redirect" and r.named_child_count:
                states = [self.feed(s, v[0]) for s0 in states for s, v in self.expand_all([r.named_children[-1]], s0)]
            elif r.type == "file_redirect" and _is_stdin(r, self.src):
                dest = r.child_by_field_name("destination")
                if dest is not None and _file_key(dest, self.src) in st.body_files:
                    states = [self.feed(s, Val(None, taint="body")) for s in states]
        out: Paths = []
        for s0 in states:
            for s, f in self.stmt(body, s0):
                s.out = s.out if saved_out is not None and s.out is not None else saved_out
                s.stdin = saved_in
                out.append((s, f))
        return out

    @staticmethod
    def feed(st: State, value: Val) -> State:
        st.stdin = value
        return st

    def background(self, node: Node, st: State) -> Paths:
        child = st.copy()
        child.out, child.pending = None, None
        out: Paths = []
        for s, f in self.stmt(node, child):
            parent = st.copy()
            parent.facts = s.facts
            parent.nbg += 1
            job = f"job{parent.nbg}"
            parent.jobs[job] = (s.status, _span(node))
            parent.bang = job
            self.set_status(parent, OK)
            out.append((parent, NEXT))
        return out

    def _drop_job(self, st: State, status: St, span: Span) -> None:
        if status.taint == "call" and status.code != 0:
            st.add(Event("lost", "background", span))

    # -- pipelines ------------------------------------------------------------------

    def pipeline(self, node: Node, st: State) -> Paths:
        elems = [c for c in node.named_children if c.type != "comment"]
        if elems and elems[0].type == "negated_command" and len(elems) > 1:
            # tree-sitter reads `! a | b` as `(! a) | b`; bash negates the whole pipeline
            inner = elems[0].named_children[0] if elems[0].named_child_count else None
            rest = ([inner] if inner is not None else []) + elems[1:]
            return self.negate(node, st, lambda s: self.run_pipeline(node, rest, s))
        return self.run_pipeline(node, elems, st)

    def run_pipeline(self, node: Node, elems: list[Node], st: State) -> Paths:
        # partial: (parent state carrying the facts, statuses so far, stdin for the next element)
        partial: list[tuple[State, list[tuple[St, Span]], Val | None]] = [(st, [], st.stdin)]
        for i, elem in enumerate(elems):
            last = i == len(elems) - 1
            nxt = []
            for parent, statuses, stdin in partial:
                child = parent.copy()
                child.stdin, child.pending = stdin, None
                child.out = parent.out if last else ()
                for s, f in self.stmt(elem, child):
                    if f.kind == "diverge":
                        s.doubt("a loop around it may never end")
                    carried = parent.copy()
                    carried.facts = s.facts
                    if last:
                        carried.out = s.out
                    nxt.append((carried, [*statuses, (s.status, _span(elem))], None if last else _concat(list(s.out or ()))))
            partial = nxt
            if len(partial) > _MAX_PATHS:
                raise _TooComplex
        out: Paths = []
        for parent, statuses, _ in partial:
            self.set_status(parent, self.pipe_status(parent, node, statuses))
            parent.pipestatus = tuple(status for status, _ in statuses)
            out.extend(self.check(parent, node))
        return out

    def pipe_status(self, st: State, node: Node, statuses: list[tuple[St, Span]]) -> St:
        chosen = statuses[-1][0]
        if st.pipefail:
            failed = [s for s, _ in statuses if s.code != 0]
            chosen = failed[-1] if failed else chosen
            if chosen.code is None and any(s.code not in (0, None) for s in failed):
                # some element surely failed: the pipeline fails, only the number is unknown
                chosen = St(_SOME_FAILURE, "call" if any(s.taint == "call" for s in failed) else "")
        for status, span in statuses[:-1]:
            if status.taint == "call" and status.code not in (0, None) and status is not chosen:
                st.add(Event("lost", "pipeline-no-pipefail", _span(node)))
        return chosen

    # -- simple commands ----------------------------------------------------------

    def assignments(self, node: Node, st: State) -> Paths:
        nodes = [node] if node.type == "variable_assignment" else [c for c in node.named_children if c.type == "variable_assignment"]
        return self.assign_only(node, nodes, st)

    def assign_only(self, node: Node, assigns: list[Node], st: State) -> Paths:
        """`x=$(…)`: the status is that of the last substitution (0 if none)."""
        st.subst = None
        out: Paths = []
        for s in self.assign(assigns, st):
            status = s.subst if s.subst is not None else OK
            s.subst = None
            out.extend(self.done(s, node, status))
        return out

    def assign(self, assigns: list[Node], st: State) -> list[State]:
        states = [st]
        for a in assigns:
            name_node = a.child_by_field_name("name")
            value_node = a.child_by_field_name("value")
            name = self.src.text(name_node) if name_node is not None else ""
            element = "[" in name  # `a[i]=…`: arrays are not tracked
            name = name.split("[", 1)[0]
            append = any(c.type == "+=" for c in a.children)
            nxt = []
            for s in states:
                for s2, vals in self.expand_all([value_node] if value_node is not None else [], s):
                    val = vals[0] if vals else EMPTY
                    if value_node is not None and value_node.type == "array":
                        val = Val(None, taint=val.taint)
                    if append:
                        val = _concat([s2.vars.get(name, UNKNOWN), val])
                    if element:
                        val = Val(None, taint=val.taint)
                    s2.vars[name] = val
                    if val.taint in ("code", "status"):
                        s2.add(Event("captured", val.taint, _span(a)))
                    nxt.append(s2)
            states = nxt
        return states

    def declaration(self, node: Node, st: State) -> Paths:
        """`local x=$(…)`: the builtin's status (0) masks the substitution's."""
        assigns = [c for c in node.named_children if c.type == "variable_assignment"]
        st.subst = None
        out: Paths = []
        creates = node.children[0].type in ("local", "declare", "typeset")
        for s in self.assign(assigns, st):
            for c in node.named_children:
                if c.type == "variable_name" and creates:
                    s.vars.setdefault(self.src.text(c), EMPTY)
            if s.subst is not None and s.subst.taint == "call" and s.subst.code not in (0, None):
                s.add(Event("lost", "masked-by-local", _span(node)))
            s.subst = None
            out.extend(self.done(s, node, OK))
        return out

    def unset(self, node: Node, st: State) -> Paths:
        for c in node.named_children:
            st.vars.pop(self.src.text(c), None)
        return self.done(st, node, OK)

    def test_command(self, node: Node, st: State) -> Paths:
        double = bool(node.children) and node.children[0].type == "[["
        items = _test_items(node)
        return self.run_test(node, items, double, st)

    def run_test(self, node: Node, items: list[Node], double: bool, st: State) -> Paths:
        if double and self.shell.program == "sh":
            st.doubt("`[[` is not in POSIX sh")
        out: Paths = []
        for s, pre in self.pre_expand(items, st):
            def test(look: Callable[[Node], Val]) -> bool | None:
                return _TestEval(items, look, double, self.src).run()
            for s2, truth, dep in self.decide(s, items, pre, test):
                out.extend(self.done(s2, node, St(None if truth is None else int(not truth), "test" if dep else "")))
        return out

    def arith_command(self, node: Node, st: State) -> Paths:
        exprs = [c for c in node.named_children if c.type != "comment"]
        if not exprs:
            return self.done(st, node, OK)
        expr = exprs[-1]
        if _has_assignment(expr):
            env = _int_env(st)
            value = _arith(expr, self.src, lambda n: None, env)
            for k, v in env.items():
                if v is not None and _int_of(st.vars.get(k, UNKNOWN)) != v:
                    st.vars[k] = _lit(str(v))
            return self.done(st, node, St(None if value is None else int(value == 0)))
        out: Paths = []

        def test(look: Callable[[Node], Val]) -> bool | None:
            value = _arith(expr, self.src, lambda n: _int_of(look(n)))
            return None if value is None else value != 0
        for s, truth, dep in self.decide(st, [expr], {}, test):
            out.extend(self.done(s, node, St(None if truth is None else int(not truth), "test" if dep else "")))
        return out

    def command(self, node: Node, st: State) -> Paths:
        assigns, words, _ = _command_parts(node)
        st.subst = None
        out: Paths = []
        for s in self.assign_prefix(assigns, st):
            for s2, vals in self.expand_all(words, s):
                if s2.subst is not None and s2.subst.taint == "call" and s2.subst.code not in (0, None):
                    s2.add(Event("lost", "ignored-substitution", s2.subst_span))
                s2.subst = None
                out.extend(self.simple(node, words, vals, s2))
        return out

    def assign_prefix(self, assigns: list[Node], st: State) -> list[State]:
        if not assigns:
            return [st]
        saved = dict(st.vars)
        states = self.assign(assigns, st)
        for s in states:
            s.vars = dict(saved)  # `X=1 cmd`: X is for cmd only
        return states

    def simple(self, node: Node, words: list[Node], vals: list[Val], st: State) -> Paths:
        texts = [_single(v) for v in vals]
        start, execed = _unwrap(texts)
        if start >= len(words):
            return self.done(st, node, OK) if not execed else [(st, Flow("exit"))]
        name = texts[start]
        argv = list(zip(words[start:], vals[start:]))
        if name is None:
            if vals[start].taint:
                st.doubt("the command name comes from the response")
            return self.unknown_status(st, node)
        paths = self.dispatch(node, name, argv, st)
        if execed:
            return [(s, Flow("exit") if f.kind == "next" else f) for s, f in paths]
        return paths

    def dispatch(self, node: Node, name: str, argv: list[tuple[Node, Val]], st: State) -> Paths:
        base = name.rsplit("/", 1)[-1]
        if base in _HTTP_TOOLS:
            return self.http(node, base, argv, st)
        if name in st.funcs:
            return self.call(node, st.funcs[name], argv, st)
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return builtin(self, node, argv, st)
        if name in _OPAQUE:
            st.doubt(f"`{self.src.snippet(_span(node))}` runs code the analysis cannot see")
            return self.done(st, node, OK)
        return self.external(node, base, argv, st)

    def external(self, node: Node, name: str, argv: list[tuple[Node, Val]], st: State) -> Paths:
        reads_body = (st.stdin is not None and st.stdin.taint) or any(
            _file_key(w, self.src) in st.body_files for w, _ in argv[1:])
        if not reads_body:
            self.emit(st, UNKNOWN)
            return self.unknown_status(st, node)
        self.emit(st, Val(None, taint="body"))
        if name in _BLIND_READERS or not self.error:
            return self.done(st, node, OK)
        if st.stdin is not None and st.stdin.strs == frozenset({""}):
            flags = {v for _, v in argv[1:] for v in (v.strs or ())}
            if name == "jq" and not any(f.startswith("-") and "e" in f.lstrip("-") for f in flags if not f.startswith("--")) and "--exit-status" not in flags:
                return self.done(st, node, St(0, "test"))  # jq reads nothing and succeeds
            if name == "grep":
                return self.done(st, node, St(1, "test"))
        st.reader = _span(node)
        return self.done(st, node, St(None, "test"))

    def call(self, node: Node, fn: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
        body = fn.child_by_field_name("body")
        if body is None:
            return self.done(st, node, OK)
        if st.depth >= _MAX_DEPTH:
            st.doubt("recursion")
            return self.done(st, node, St(None))
        saved = {k: st.vars.get(k) for k in map(str, range(1, 10))}
        for i in range(1, 10):
            st.vars[str(i)] = argv[i][1] if i < len(argv) else EMPTY
        st.depth += 1
        out: Paths = []
        for s, f in self.stmt(body, st):
            s.depth -= 1
            for k, v in saved.items():
                if v is None:
                    s.vars.pop(k, None)
                else:
                    s.vars[k] = v
            if f.kind in ("exit", "diverge"):
                out.append((s, f))
            else:
                out.extend(self.check(s, node))
        return out

    # -- the HTTP call ---------------------------------------------------------------

    def http(self, node: Node, tool: str, argv: list[tuple[Node, Val]], st: State) -> Paths:
        opts = _http_options(tool, argv, self.src)
        is_target = _span(node) == self.target
        if is_target:
            st.facts = st.facts._replace(reached=True)
        erroring = is_target and self.error
        if erroring and opts.fail is None:
            st.doubt(opts.why_unknown)
        codes = self.codes if is_target else _JUST_200
        if opts.write is not None and opts.body_elsewhere and "%" not in opts.write.replace("\x00", ""):
            out = Val(frozenset(opts.write.replace("\x00", c).rstrip("\n") for c in codes), taint="code" if is_target else "")
        elif erroring and opts.fail and not opts.fail_with_body and opts.write is None and tool == "curl":
            out = Val(frozenset({""}), taint="body")
        else:
            out = Val(None, taint="body" if is_target else "")
        self.emit(st, out)
        if is_target and opts.body_file:
            st.body_files = st.body_files | {opts.body_file}
        if not erroring:
            return self.done(st, node, St(0, "call" if is_target else ""))
        code = None if opts.fail is None else ((22 if tool == "curl" else 8) if opts.fail else 0)
        return self.done(st, node, St(code, "call"))

    # -- word expansion ----------------------------------------------------------------

    def expand_all(self, nodes: list[Node], st: State) -> list[tuple[State, list[Val]]]:
        results: list[tuple[State, list[Val]]] = [(st, [])]
        for n in nodes:
            nxt = []
            for s, vals in results:
                for s2, v in self.expand(n, s):
                    nxt.append((s2, [*vals, v]))
            results = nxt
        return results

    def expand(self, node: Node, st: State) -> list[tuple[State, Val]]:
        if not self.src.runs_code(node):
            return [(st, self.pure(node, st))]
        if node.type == "command_substitution":
            return self.substitute(node, st)
        parts = [c for c in node.named_children] if node.type in ("string", "concatenation") else []
        if not parts:
            return [(st, UNKNOWN)]
        out = []
        for s, vals in self.expand_all(parts, st):
            out.append((s, _concat(vals)))
        return out

    def substitute(self, node: Node, st: State) -> list[tuple[State, Val]]:
        child = st.copy()
        child.out, child.stdin, child.pending, child.subst = (), None, None, None
        if not (st.inherit or self.shell.program == "sh"):
            if child.errexit:
                child.noerr = "command substitutions do not inherit -e (no `shopt -s inherit_errexit`)"
            child.errexit = False
        out = []
        for s, f in self.block(_statements(node), child):
            if f.kind == "diverge":
                s.doubt("a loop around it may never end")
            parent = st.copy()
            parent.facts = s.facts
            parent.body_files = s.body_files
            value = _concat(list(s.out or ()))
            if value.strs is not None:
                value = value._replace(strs=frozenset(v.rstrip("\n") for v in value.strs))
            parent.subst, parent.subst_span = s.status, _span(node)
            out.append((parent, value))
        return out

    def pure(self, node: Node, st: State, look: Callable[[str], Val] | None = None) -> Val:
        return _pure(node, self.src, look or (lambda name: _lookup(st, name)))

    def expand_fields(self, nodes: list[Node], st: State) -> list[tuple[State, list[Val] | None]]:
        """`for x in …` words -> the items, or None when their number is unknown."""
        out: list[tuple[State, list[Val] | None]] = []
        for s, vals in self.expand_all(nodes, st):
            items: list[Val] | None = []
            for n, v in zip(nodes, vals):
                if items is None:
                    break
                if _splits(n):
                    if v.strs is None or len(v.strs) != 1:
                        items = None
                    else:
                        items.extend(_lit(w) for w in next(iter(v.strs)).split())
                elif any(c in self.src.text(n) for c in "*?[") and n.type == "word":
                    items = None  # a glob
                else:
                    items.append(v)
            out.append((s, items if items is None or len(items) <= 16 else None))
        return out

    # -- deciding tests ----------------------------------------------------------------

    def pre_expand(self, items: list[Node], st: State) -> list[tuple[State, dict[int, Val]]]:
        """Run the substitutions inside test operands once, before the test."""
        subs = [n for n in items if self.src.runs_code(n)]
        out = []
        for s, vals in self.expand_all(subs, st):
            out.append((s, {n.id: v for n, v in zip(subs, vals)}))
        return out

    def decide(self, st: State, items: list[Node], pre: dict[int, Val],
               test: Callable[[Callable[[Node], Val]], bool | None]) -> list[tuple[State, bool | None, bool]]:
        """Evaluate a test for each value its variables may hold; split the path
        where the values disagree, narrowing each variable to the values of its branch."""
        names = sorted({n for item in items if item.id not in pre for n in _vars_in(item, self.src)})
        current: dict[object, Val] = {n: _lookup(st, n) for n in names}
        current.update(pre)
        multi = [k for k, v in current.items() if v.strs is not None and len(v.strs) > 1]
        combos: list[dict[object, Val]] = [{}]
        for k in multi:
            combos = [{**c, k: current[k]._replace(strs=frozenset({s}))} for c in combos for s in sorted(current[k].strs or ())]
            if len(combos) > 256:
                combos, multi = [{}], []
                break
        taints = [v.taint for v in current.values()]
        dependent = any(taints)
        body = "body" in taints
        groups: dict[bool, list[dict[object, Val]]] = {True: [], False: []}
        unknown = False
        for combo in combos:
            def look(node: Node, combo: dict[object, Val] = combo) -> Val:
                if node.id in pre:
                    return combo.get(node.id) or pre[node.id]
                return _pure(node, self.src, lambda name: combo.get(name) or _lookup(st, name))
            result = test(look)
            if result is None:
                unknown = True
                groups[True].append(combo)
                groups[False].append(combo)
            else:
                groups[result].append(combo)
        out: list[tuple[State, bool | None, bool]] = []
        live = [(truth, combos_) for truth, combos_ in groups.items() if combos_]
        for i, (truth, chosen) in enumerate(live):
            s = st if i == len(live) - 1 else st.copy()
            for k in multi:
                if isinstance(k, str):  # narrow the variable to this branch's values
                    s.vars[k] = current[k]._replace(strs=frozenset(v for c in chosen for v in (c[k].strs or ())))
            if unknown and (body or (dependent and self.error)) and self.error:
                s.doubt("a test on the response cannot be decided")
            out.append((s, truth, dependent))
        return out


def _dedupe(paths: Paths) -> Paths:
    if len(paths) < 2:
        return paths
    seen: dict[tuple[object, ...], tuple[State, Flow]] = {}
    for s, f in paths:
        seen.setdefault((s.key(), f), (s, f))
    if len(seen) > _MAX_PATHS:
        raise _TooComplex
    return list(seen.values())


def _dedupe_pairs(pairs: list[tuple[State, St]]) -> list[tuple[State, St]]:
    seen: dict[tuple[object, ...], tuple[State, St]] = {}
    for s, last in pairs:
        seen.setdefault((s.key(), last), (s, last))
    if len(seen) > _MAX_PATHS:
        raise _TooComplex
    return list(seen.values())


_STATEMENTS = frozenset({
    "command", "pipeline", "list", "negated_command", "redirected_statement", "subshell", "compound_statement",
    "if_statement", "while_statement", "for_statement", "c_style_for_statement", "case_statement",
    "function_definition", "variable_assignment", "variable_assignments", "declaration_command",
    "unset_command", "test_command",
})


def _statements(node: Node) -> list[tuple[Node, bool]]:
    """The statements of a block, each with whether it is sent to the background (`&`)."""
    children = node.children
    return [(child, i + 1 < len(children) and children[i + 1].type == "&")
            for i, child in enumerate(children) if child.type in _STATEMENTS]


def _if_clauses(node: Node) -> tuple[list[tuple[list[tuple[Node, bool]], list[tuple[Node, bool]]]], list[tuple[Node, bool]] | None]:
    clauses = [_cond_body(node)]
    else_body = None
    for child in node.named_children:
        if child.type == "elif_clause":
            clauses.append(_cond_body(child))
        elif child.type == "else_clause":
            else_body = _statements(child)
    return clauses, else_body


def _cond_body(node: Node) -> tuple[list[tuple[Node, bool]], list[tuple[Node, bool]]]:
    cond: list[tuple[Node, bool]] = []
    body: list[tuple[Node, bool]] = []
    target = cond
    children = node.children
    for i, child in enumerate(children):
        if child.type == "then":
            target = body
        elif child.type in ("elif_clause", "else_clause", "fi"):
            break
        elif child.is_named and child.type != "comment":
            target.append((child, i + 1 < len(children) and children[i + 1].type == "&"))
    return cond, body


def _is_test(node: Node, src: _Src) -> bool:
    while node.type in ("redirected_statement", "negated_command") and node.named_child_count:
        node = node.named_children[0]
    if node.type == "list":
        return _is_test(node.children[-1], src)
    if node.type in ("test_command", "variable_assignment"):
        return True
    if node.type == "compound_statement" and node.children and node.children[0].type == "((":
        return True
    if node.type == "command":
        _, words, _ = _command_parts(node)
        return bool(words) and _literal(words[0], src) in ("test", "[", "[[")
    return False


def _prints(node: Node, src: _Src) -> bool:
    for n in _walk(node):
        if n.type == "command":
            _, words, _ = _command_parts(n)
            if words and _literal(words[0], src) in ("echo", "printf"):
                return True
    return False





def _splits(node: Node) -> bool:
    """An unquoted expansion: its value is split into words."""
    if node.type in ("simple_expansion", "expansion", "command_substitution"):
        return True
    return node.type == "concatenation" and any(c.type in ("simple_expansion", "expansion", "command_substitution") for c in node.named_children)


def _single(v: Val) -> str | None:
    if v.strs is not None and len(v.strs) == 1:
        return next(iter(v.strs))
    return None


def _lookup(st: State, name: str) -> Val:
    if name == "?":
        return Val(frozenset({"?" if st.status.code is None else str(st.status.code)}) if st.status.code is not None else None,
                   taint={"call": "status", "test": "code"}.get(st.status.taint, ""))
    if name == "!":
        return _lit(st.bang) if st.bang else UNKNOWN
    if name.startswith("PIPESTATUS["):
        index = _int_text(name[len("PIPESTATUS["):-1]) or 0
        status = st.pipestatus[index] if index < len(st.pipestatus) else St(None)
        return Val(None if status.code is None else frozenset({str(status.code)}), taint="status" if status.taint else "")
    return st.vars.get(name, UNKNOWN)


def _plain_var(node: Node | None, src: _Src) -> str | None:
    """`$x`, `"$x"`, `${x}`, `"${x}"` -> x."""
    if node is None:
        return None
    if node.type == "string" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type in ("simple_expansion", "expansion") and node.named_child_count == 1:
        child = node.named_children[0]
        if child.type in ("variable_name", "special_variable_name"):
            return src.text(child)
    return None


def _vars_in(node: Node, src: _Src) -> set[str]:
    names = set()
    for n in _walk(node):
        if n.type in ("variable_name", "special_variable_name") and n.parent is not None and n.parent.type in ("simple_expansion", "expansion"):
            names.add(src.text(n))
        elif n.type == "variable_name" and n.parent is not None and n.parent.type in ("binary_expression", "unary_expression", "parenthesized_expression", "postfix_expression"):
            names.add(src.text(n))
    return names


def _file_key(node: Node, src: _Src) -> str:
    var = _plain_var(node, src)
    return f"${var}" if var else (_literal(node, src) or src.text(node))


def _is_stdin(redirect: Node, src: _Src) -> bool:
    text = src.text(redirect).lstrip()
    return text.startswith("<") and not text.startswith("<<")


# ---------------------------------------------------------------------------
# Pure word values.

def _pure(node: Node, src: _Src, look: Callable[[str], Val]) -> Val:
    kind = node.type
    if kind in ("word", "number", "command_name"):
        if node.named_child_count and kind == "command_name":
            return _pure(node.named_children[0], src, look)
        return src.word(node)
    if kind in ("raw_string", "string_content"):
        return _lit(src.text(node)[1:-1] if kind == "raw_string" else src.text(node))
    if kind == "string":
        return _concat([_pure(c, src, look) for c in node.named_children]) if node.named_child_count else EMPTY
    if kind == "concatenation":
        return _concat([_pure(c, src, look) for c in node.children if c.is_named or c.type not in ('"',)])
    if kind == "simple_expansion":
        child = node.named_children[0] if node.named_child_count else None
        return look(src.text(child)) if child is not None else _lit("$")
    if kind == "expansion":
        return _expansion(node, src, look)
    if kind == "arithmetic_expansion":
        exprs = node.named_children
        value = _arith(exprs[-1], src, lambda n: _int_of(_pure(n, src, look))) if exprs else None
        return _lit(str(value)) if value is not None else Val(None, taint=_join_taint(look(v).taint for v in _vars_in(node, src)))
    if kind == "variable_name":
        return look(src.text(node))
    if kind in ("extglob_pattern", "regex", "test_operator"):
        return _lit(src.text(node))
    if not node.is_named:
        return _lit(src.text(node))
    return UNKNOWN


def _expansion(node: Node, src: _Src, look: Callable[[str], Val]) -> Val:
    children = node.children
    first = node.named_children[0] if node.named_child_count else None
    if first is not None and first.type == "subscript" and node.named_child_count == 1:
        parts = first.named_children
        if len(parts) == 2 and parts[1].type == "number":
            return look(f"{src.text(parts[0])}[{src.text(parts[1])}]")
        return Val(None, taint=look(src.text(parts[0])).taint if parts else "")
    names = [c for c in node.named_children if c.type in ("variable_name", "special_variable_name")]
    if not names:
        return UNKNOWN
    value = look(src.text(names[0]))
    ops = [c for c in children if not c.is_named and c.type not in ("${", "}")]
    if not ops:
        return value
    op = ops[0].type
    rest = [c for c in node.named_children if c is not names[0]]
    if op in (":-", "-", ":=", "=") and rest:
        default = _pure(rest[0], src, look)
        if _known_nonempty(value):
            return value
        if value.strs == frozenset({""}):
            return default
        return Val(None, taint=_join_taint([value.taint, default.taint]))
    if op == "#" and children[1].type == "#":
        if value.strs is not None:
            return Val(frozenset(str(len(s)) for s in value.strs), taint=value.taint)
    return Val(None, taint=value.taint)


# ---------------------------------------------------------------------------
# Tests: `[ … ]`, `[[ … ]]`, `test …`.

_UNARY = frozenset("-a -b -c -d -e -f -g -h -k -p -r -s -t -u -w -x -G -L -N -O -S -z -n -v -o -R".split())
_BINARY = frozenset("= == != < > =~ -eq -ne -lt -le -gt -ge -nt -ot -ef".split())


def _test_items(node: Node) -> list[Node]:
    """The operands and operators of a test, in source order (tree-sitter's grouping
    of `[ ! a = b ]` or `-o` is not bash's, so the test is re-parsed from these)."""
    items: list[Node] = []

    def flat(n: Node) -> None:
        if n.type in ("binary_expression", "unary_expression", "parenthesized_expression"):
            for c in n.children:
                flat(c)
        elif n.type not in ("[", "]", "[[", "]]", "comment"):
            items.append(n)

    for child in node.children:
        flat(child)
    return items


class _TestEval:
    def __init__(self, items: list[Node], look: Callable[[Node], Val], double: bool, src: _Src) -> None:
        self.items, self.look, self.double, self.src = items, look, double, src
        self.i = 0

    def text(self, k: int) -> str | None:
        if k >= len(self.items):
            return None
        node = self.items[k]
        if node.type in ("string", "raw_string", "simple_expansion", "expansion", "concatenation", "command_substitution"):
            return None
        return self.src.text(node)

    def run(self) -> bool | None:
        if not self.items:
            return False
        try:
            value = self.or_()
        except IndexError:
            return None
        return value if self.i == len(self.items) else None

    def or_(self) -> bool | None:
        left = self.and_()
        while self.text(self.i) in ("||", "-o"):
            self.i += 1
            right = self.and_()
            left = True if left is True or right is True else (None if None in (left, right) else False)
        return left

    def and_(self) -> bool | None:
        left = self.not_()
        while self.text(self.i) in ("&&", "-a"):
            self.i += 1
            right = self.not_()
            left = False if left is False or right is False else (None if None in (left, right) else True)
        return left

    def not_(self) -> bool | None:
        if self.text(self.i) == "!" and self.i + 1 < len(self.items):
            self.i += 1
            value = self.not_()
            return None if value is None else not value
        return self.primary()

    def primary(self) -> bool | None:
        t = self.text(self.i)
        if t == "(":
            self.i += 1
            value = self.or_()
            self.i += 1  # ')'
            return value
        if self.text(self.i + 1) in _BINARY:
            left, op, right = self.items[self.i], self.text(self.i + 1), self.items[self.i + 2]
            self.i += 3
            return _binary(self.look(left), op or "", self.look(right), right, self.double)
        if t in _UNARY and self.i + 1 < len(self.items) and self.text(self.i + 1) not in ("-a", "-o", "&&", "||", ")"):
            operand = self.look(self.items[self.i + 1])
            self.i += 2
            return _unary(t or "", operand)
        value = self.look(self.items[self.i])
        self.i += 1
        return _known_nonempty(value)


def _unary(op: str, v: Val) -> bool | None:
    if op in ("-z", "-n"):
        nonempty = _known_nonempty(v)
        return None if nonempty is None else (nonempty if op == "-n" else not nonempty)
    return None  # files, variables, options: unknown here


def _binary(a: Val, op: str, b: Val, right: Node, double: bool) -> bool | None:
    if a.strs is None or b.strs is None or len(a.strs) != 1 or len(b.strs) != 1:
        return None
    x, y = next(iter(a.strs)), next(iter(b.strs))
    if op in ("=", "=="):
        return _glob(x, y, right) if double else x == y
    if op == "!=":
        return not _glob(x, y, right) if double else x != y
    if op == "=~":
        try:
            return re.search(y, x) is not None
        except re.error:
            return None
    if op in ("<", ">"):
        return (x < y) if op == "<" else (x > y)
    if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
        i, j = _int_text(x), _int_text(y)
        if i is None or j is None:
            return False  # "integer expression expected": status 2
        return {"-eq": i == j, "-ne": i != j, "-lt": i < j, "-le": i <= j, "-gt": i > j, "-ge": i >= j}[op]
    return None


def _glob(text: str, pattern: str, node: Node) -> bool:
    if node.type in ("string", "raw_string"):
        return text == pattern
    return fnmatch.fnmatchcase(text, pattern.replace("[!", "[!").replace("[^", "[!"))


def _int_text(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _any_match(subject: Val, patterns: list[tuple[Val, bool]]) -> bool | None:
    if subject.strs is None or len(subject.strs) != 1:
        return True if any(p.strs == frozenset({"*"}) and not q for p, q in patterns) else None
    text = next(iter(subject.strs))
    unknown = False
    for pattern, quoted in patterns:
        if pattern.strs is None or len(pattern.strs) != 1:
            unknown = True
            continue
        p = next(iter(pattern.strs))
        if (text == p) if quoted else fnmatch.fnmatchcase(text, p.replace("[^", "[!")):
            return True
    return None if unknown else False


# ---------------------------------------------------------------------------
# Arithmetic: `(( … ))`, `$(( … ))`, C-style for.

def _int_of(v: Val) -> int | None:
    s = _single(v)
    return _int_text(s) if s is not None else None


def _has_assignment(node: Node) -> bool:
    return any(not n.is_named and n.type in ("=", "+=", "-=", "*=", "/=", "%=", "++", "--") for n in _walk(node))


_ASSIGN_OPS = {"=": lambda old, v: v, "+=": lambda old, v: old + v, "-=": lambda old, v: old - v, "*=": lambda old, v: old * v}


def _arith(node: Node, src: _Src, get: Callable[[Node], int | None], env: dict[str, int | None] | None = None) -> int | None:
    """Evaluate an arithmetic node; with `env`, assignments (`i++`, `n+=1`) update it."""
    kind = node.type
    if kind == "number":
        text = src.text(node)
        return int(text, 16) if text.lower().startswith("0x") else _int_text(text)
    if kind == "variable_name":
        name = src.text(node)
        return env[name] if env is not None and name in env else get(node)
    if kind in ("simple_expansion", "expansion"):
        return get(node)
    if kind == "parenthesized_expression" and node.named_child_count:
        return _arith(node.named_children[0], src, get, env)
    if kind in ("postfix_expression", "unary_expression") and any(c.type in ("++", "--") for c in node.children):
        if env is None or not node.named_child_count:
            return None
        name = src.text(node.named_children[0])
        old = _arith(node.named_children[0], src, get, env)
        if old is None:
            return None
        env[name] = old + (1 if any(c.type == "++" for c in node.children) else -1)
        return old if kind == "postfix_expression" else env[name]
    if kind == "unary_expression" and node.named_child_count:
        value = _arith(node.named_children[-1], src, get, env)
        return None if value is None else {"!": int(not value), "-": -value, "+": value, "~": ~value}.get(node.children[0].type)
    if kind == "binary_expression" and node.named_child_count == 2:
        op = node.children[1].type
        left, right = node.named_children
        if op in _ASSIGN_OPS:
            if env is None:
                return None
            value = _arith(right, src, get, env)
            old = _arith(left, src, get, env) if op != "=" else 0
            env[src.text(left)] = None if value is None or old is None else _ASSIGN_OPS[op](old, value)
            return env[src.text(left)]
        a, b = _arith(left, src, get, env), _arith(right, src, get, env)
        return None if a is None or b is None else _arith_op(a, op, b)
    return None


def _arith_op(a: int, op: str, b: int) -> int | None:
    table: dict[str, Callable[[int, int], int]] = {
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
        "<": lambda x, y: int(x < y), ">": lambda x, y: int(x > y), "<=": lambda x, y: int(x <= y),
        ">=": lambda x, y: int(x >= y), "==": lambda x, y: int(x == y), "!=": lambda x, y: int(x != y),
        "&&": lambda x, y: int(bool(x and y)), "||": lambda x, y: int(bool(x or y)),
    }
    if op in ("/", "%"):
        return None if b == 0 else (int(a / b) if op == "/" else a - b * int(a / b))
    fn = table.get(op)
    return fn(a, b) if fn else None


def _int_env(st: State) -> dict[str, int | None]:
    return {k: _int_of(v) for k, v in st.vars.items()}


# ---------------------------------------------------------------------------
# HTTP tool options.

class _HttpOpts(NamedTuple):
    fail: bool | None  # None: cannot tell (flags from a variable, a config file)
    fail_with_body: bool
    write: str | None  # -w format with the status code as \x00, or None
    body_elsewhere: bool  # -o FILE / -o /dev/null: the body is not on stdout
    body_file: str | None
    why_unknown: str
    code_visible: bool = False  # -w writes the status code (or a format we cannot read)


# curl options that take an argument (short letters and long names).
_CURL_SHORT_ARG = frozenset("AbcCdDeEFhHKmoPQrtTuUwxXyYz")
_CURL_LONG_ARG = frozenset("""abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
connect-timeout connect-to continue-at cookie cookie-jar create-file-mode curves data data-ascii data-binary
data-raw data-urlencode delegation dns-interface dns-servers doh-url dump-header egd-file engine etag-compare
etag-save expect100-timeout form form-string ftp-account ftp-method ftp-port header help hostpubmd5 hostpubsha256
hsts interface ipfs-gateway json keepalive-time key key-type krb libcurl limit-rate local-port login-options
mail-auth mail-from mail-rcpt max-filesize max-redirs max-time netrc-file noproxy oauth2-bearer output output-dir
pass pinnedpubkey preproxy proto proto-default proto-redir proxy proxy-cacert proxy-header proxy-user quote
random-file range referer request request-target resolve retry retry-delay retry-max-time sasl-authzid
service-name socks4 socks5 socks5-hostname speed-limit speed-time stderr telnet-option time-cond tls-max
trace trace-ascii unix-socket upload-file url user user-agent variable write-out""".split())
_FLAGGY = re.compile(r"(?i)flag|opt|arg|curl|param")


def _http_options(tool: str, argv: list[tuple[Node, Val]], src: _Src) -> _HttpOpts:
    words, unknown = _option_words(argv, src)
    if tool == "wget":
        return _HttpOpts(True, False, None, True, None, unknown or "")
    fail: bool | None = False
    fail_with_body = False
    write: str | None = None
    wrote = False
    output: str | None = None
    i = 1
    while i < len(words):
        word = words[i][0]
        i += 1
        if word is None or not word.startswith("-") or word == "-":
            continue
        if word.startswith("--"):
            name, _, inline = word[2:].partition("=")
            value = inline if inline or "=" in word else (words[i][0] if i < len(words) else None)
            if name in _CURL_LONG_ARG and not inline and "=" not in word:
                i += 1
            if name in ("fail", "fail-with-body"):
                fail, fail_with_body = True, fail_with_body or name == "fail-with-body"
            elif name == "no-fail":
                fail = False
            elif name == "write-out":
                write, wrote = value, True
            elif name == "output":
                output = value if value is not None else ""
            elif name == "config":
                return _HttpOpts(None, False, write, output is not None, None, "curl reads options from a config file (`-K`)")
            continue
        for j, letter in enumerate(word[1:], start=1):
            if letter in _CURL_SHORT_ARG:
                value = word[j + 1:] or (words[i][0] if i < len(words) else None)
                if not word[j + 1:]:
                    i += 1
                if letter == "w":
                    write, wrote = value, True
                elif letter == "o":
                    output = value if value is not None else ""
                elif letter == "K":
                    return _HttpOpts(None, False, write, output is not None, None, "curl reads options from a config file (`-K`)")
                break
            if letter == "f":
                fail = True
    if unknown:
        fail = None if not fail else fail
    body_file = _output_key(argv, src, output)
    fmt = _write_format(write)
    visible = fmt is not None or (wrote and write is None) or unknown is not None
    return _HttpOpts(fail, fail_with_body, fmt, output is not None and output != "-", body_file, unknown or "", visible)


def _option_words(argv: list[tuple[Node, Val]], src: _Src) -> tuple[list[tuple[str | None, Node]], str | None]:
    """Split unquoted expansions whose value is known; an unknown one that looks like flags
    (`$CURL_FLAGS`, `"${args[@]}"`) makes the options unknowable."""
    words: list[tuple[str | None, Node]] = []
    unknown: str | None = None
    for node, val in argv:
        text = src.text(node)
        if _splits(node) and val.strs is not None and len(val.strs) == 1:
            words.extend((w, node) for w in next(iter(val.strs)).split())
            continue
        single = _single(val)
        if single is None and (_splits(node) or "[@]" in text or "$@" in text or "[*]" in text):
            names = _vars_in(node, src)
            if "[@]" in text or "[*]" in text or "@" in names or any(_FLAGGY.search(n) for n in names):
                unknown = unknown or f"curl's options come from `{src.snippet(_span(node))}`"
        words.append((single, node))
    return words, unknown


def _output_key(argv: list[tuple[Node, Val]], src: _Src, output: str | None) -> str | None:
    if output is None or output in ("/dev/null", "-"):
        return None
    for k, (node, val) in enumerate(argv):
        if _single(val) == output and k > 0:
            prev = _single(argv[k - 1][1]) or ""
            if prev in ("-o", "--output") or (prev.startswith("-") and not prev.startswith("--") and prev.endswith("o")):
                return _file_key(node, src)
    return f"lit:{output}"


def _write_format(write: str | None) -> str | None:
    """`-w '%{http_code}\\n'` -> '\\x00\\n' (the code's place marked); None if no code is written."""
    if write is None or ("%{http_code}" not in write and "%{response_code}" not in write):
        return None
    fmt = write.replace("%{http_code}", "\x00").replace("%{response_code}", "\x00")
    return fmt.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")


# ---------------------------------------------------------------------------
# Builtins: (interp, node, argv [name first], state) -> paths.

def _b_true(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    return it.done(st, node, OK)


def _b_false(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    return it.done(st, node, St(1))


def _status_arg(argv: list[tuple[Node, Val]], st: State) -> St:
    if len(argv) < 2:
        return st.status
    val = argv[1][1]
    code = _int_of(val)
    return St(None if code is None else code & 255, "call" if val.taint == "status" else ("test" if val.taint else ""))


def _b_exit(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    status = _status_arg(argv, st)
    st.status, st.pending = status, None
    if status.code not in (0, None) and status.taint != "call":
        st.add(Event("exit", "", _span(node)))
    return [(st, Flow("exit"))]


def _b_return(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    if st.depth == 0:
        return it.done(st, node, St(1))
    status = _status_arg(argv, st)
    st.status, st.pending = status, None
    return [(st, Flow("return"))]


def _b_loop(kind: str) -> Callable[[_Interp, Node, list[tuple[Node, Val]], State], Paths]:
    def run(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
        n = _int_of(argv[1][1]) if len(argv) > 1 else 1
        it.set_status(st, OK)
        return [(st, Flow(kind, n or 1))]
    return run


def _b_set(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    words = [_single(v) or "" for _, v in argv[1:]]
    for name, on in set_options(words):
        if name == "errexit":
            st.errexit = on
            st.noerr = "" if on else f"`{it.src.snippet(_span(node))}` turned it off"
        elif name == "pipefail":
            if it.shell.program == "sh":
                st.doubt("`set -o pipefail` is not portable to sh (dash rejects it)")
            st.pipefail = on
        elif name == "posix":
            st.inherit = st.inherit or on
    return it.done(st, node, OK)


def _b_shopt(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    words = [_single(v) or "" for _, v in argv[1:]]
    on = "-s" in words
    if "inherit_errexit" in words and ("-s" in words or "-u" in words):
        st.inherit = on
    if it.shell.program == "sh":
        st.doubt("`shopt` is not in sh")
    return it.done(st, node, OK)


def _b_test(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    items = [n for n, _ in argv[1:]]
    if argv and _single(argv[0][1]) == "[" and items and it.src.text(items[-1]) == "]":
        items = items[:-1]
    return it.run_test(node, items, False, st)


def _b_echo(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    args = [v for _, v in argv[1:]]
    while args and _single(args[0]) in ("-n", "-e", "-E", "-ne", "-en"):
        args = args[1:]
    parts: list[Val] = []
    for k, v in enumerate(args):
        parts.extend([_lit(" "), v] if k else [v])
    value = _concat(parts) if _single(argv[0][1]) == "echo" else Val(None, taint=_join_taint(v.taint for v in args))
    it.emit(st, value)
    return it.done(st, node, OK)


def _b_trap(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    handler = argv[1][1] if len(argv) > 2 else EMPTY
    if handler.strs is None or any("exit" in h or "return" in h for h in handler.strs):
        st.doubt(f"`{it.src.snippet(_span(node))}` may change the exit status")
    return it.done(st, node, OK)


def _b_opaque(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    st.doubt(f"`{it.src.snippet(_span(node))}` runs code the analysis cannot see")
    return it.done(st, node, OK)


def _b_wait(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    args = [v for _, v in argv[1:] if not (_single(v) or "").startswith("-")]
    if not args:
        for job, (status, span) in list(st.jobs.items()):
            it._drop_job(st, status, span)
        st.jobs = {}
        return it.done(st, node, OK)
    status = OK
    for v in args:
        job = _single(v)
        if job in st.jobs:
            status = st.jobs.pop(job)[0]  # type: ignore[arg-type]
        else:
            status = St(None)
    return it.done(st, node, status)


def _b_read(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    taint = st.stdin.taint if st.stdin is not None else ""
    skip = False
    for n, v in argv[1:]:
        text = _single(v) or ""
        if skip:
            skip = False
        elif text.startswith("-"):
            skip = text[-1:] in "adinNpt" and len(text) == 2
        elif text:
            st.vars[text] = Val(None, taint="body" if taint else "")
    if st.stdin is not None and st.stdin.strs == frozenset({""}):
        return it.done(st, node, St(1, "test" if taint else ""))  # nothing to read
    return it.unknown_status(st, node)


def _b_printf(it: _Interp, node: Node, argv: list[tuple[Node, Val]], st: State) -> Paths:
    if len(argv) > 2 and _single(argv[1][1]) == "-v":
        name = _single(argv[2][1])
        if name:
            st.vars[name] = Val(None, taint=_join_taint(v.taint for _, v in argv[3:]))
        return it.done(st, node, OK)
    return _b_echo(it, node, argv, st)


_BUILTINS: dict[str, Callable[[_Interp, Node, list[tuple[Node, Val]], State], Paths]] = {
    ":": _b_true, "true": _b_true, "false": _b_false, "exit": _b_exit, "return": _b_return,
    "break": _b_loop("break"), "continue": _b_loop("continue"), "set": _b_set, "shopt": _b_shopt,
    "test": _b_test, "[": _b_test, "echo": _b_echo, "printf": _b_printf, "eval": _b_opaque,
    "source": _b_opaque, ".": _b_opaque, "wait": _b_wait, "read": _b_read, "trap": _b_trap,
    "cd": _b_true, "shift": _b_true, "export": _b_true, "umask": _b_true, "unalias": _b_true,
}

_HANDLERS: dict[str, Callable[[_Interp, Node, State], Paths]] = {
    "program": _Interp.program, "compound_statement": _Interp.brace, "do_group": _Interp.program,
    "subshell": _Interp.subshell, "negated_command": _Interp.negated, "list": _Interp.list_,
    "if_statement": _Interp.if_, "while_statement": _Interp.while_, "for_statement": _Interp.for_,
    "c_style_for_statement": _Interp.c_for, "case_statement": _Interp.case,
    "function_definition": _Interp.function_def, "redirected_statement": _Interp.redirected,
    "pipeline": _Interp.pipeline, "variable_assignment": _Interp.assignments,
    "variable_assignments": _Interp.assignments, "declaration_command": _Interp.declaration,
    "unset_command": _Interp.unset, "test_command": _Interp.test_command, "command": _Interp.command,
}


# ---------------------------------------------------------------------------
# Verdicts.

def _writes_code(node: Node, tool: str, src: _Src) -> bool:
    _, words, _ = _command_parts(node)
    argv = [(w, _lit(text) if (text := _literal(w, src)) is not None else UNKNOWN) for w in words]
    start, _ = _unwrap([_single(v) for _, v in argv])
    return tool == "curl" and _http_options(tool, argv[start:], src).code_visible


def _judge(src: _Src, shell: Shell, node: Node, name: Node, tool: str) -> HttpCall:
    line, column = src.pos(name)
    call = src.snippet(_span(node))

    def verdict(v: str, cause: str, reason: str) -> HttpCall:
        return HttpCall(line, column, tool, v, cause, reason)

    # A server answers the same way each time; when the script can see the code
    # (`-w '%{http_code}'`) every code gets its own run, else one stands for all.
    sees_code = _writes_code(node, tool, src)
    errors = sorted(_ERROR_CODES) if sees_code else ["500"]
    oks = ["200", *sorted(_OK_CODES - {"200"})] if sees_code else ["200"]
    try:
        succeeding: list[State] = []
        for code in oks:  # one 2xx that lets the script pass is enough
            succeeding = _Interp(src, shell, _span(node), frozenset({code})).run()
            if any(s.facts.reached and s.status.code == 0 for s in succeeding):
                break
        erroring: list[State] = []
        if len(errors) > 1 and _loud_for_all(src, shell, node, errors):
            errors = errors[:1]  # proven for every code at once: the first stands for all
        for tried, code in enumerate(errors):
            erroring += _Interp(src, shell, _span(node), frozenset({code})).run()
            if any(s.facts.reached and s.facts.unsure is None and s.status.code == 0 for s in erroring):
                break  # quiet already
    except (_TooComplex, RecursionError):
        return verdict("unknown", "cannot-decide", f"the script around `{call}` has too many paths to follow")
    reached = [s for s in erroring if s.facts.reached]
    if not reached:
        return verdict("unknown", "cannot-decide", f"`{call}` is never run by the script (a function nobody calls, or dead code)")
    if not any(s.facts.reached and s.status.code == 0 for s in succeeding):
        return verdict("unknown", "cannot-decide", f"the script cannot exit 0 even when `{call}` gets a 2xx, so its failures prove nothing")
    sure = [s for s in reached if s.facts.unsure is None and s.status.code is not None]
    quiet = [s for s in sure if s.status.code == 0]
    if quiet:
        cause, reason = _quiet_cause(quiet[0], src, call)
        if tried:  # other codes failed the step: say which one does not
            reason = f"{reason.rstrip('.')} (with HTTP {errors[tried]})."
        return verdict("quiet", cause, reason)
    if len(sure) == len(reached):
        cause, reason = _loud_cause(sure[0], src, shell, call, tool)
        return verdict("loud", cause, reason)
    why = next((s.facts.unsure for s in reached if s.facts.unsure is not None), None) or "its exit status cannot be determined"
    return verdict("unknown", "cannot-decide", f"cannot tell whether an HTTP error from `{call}` fails the step: {why}")


def _loud_for_all(src: _Src, shell: Shell, node: Node, errors: list[str]) -> bool:
    """Does every error code fail the script, surely? One run with the response
    variable holding all the codes answers that: each test on it splits the
    path and narrows the variable, and a test it cannot split makes the path
    unsure. True only when every path that reaches the call ends non-zero and
    sure; anything else (or too many paths) leaves it to one run per code,
    which also finds the code to name. A script that checks the status is
    loud for all of them, so this turns ten runs into two on most scripts."""
    try:
        runs = _Interp(src, shell, _span(node), frozenset(errors)).run()
    except (_TooComplex, RecursionError):
        return False
    reached = [s for s in runs if s.facts.reached]
    return bool(reached) and all(s.facts.unsure is None and s.status.code not in (None, 0) for s in reached)


def _loud_cause(st: State, src: _Src, shell: Shell, call: str, tool: str) -> tuple[str, str]:
    if st.status.taint == "call":
        how = "exits 8 on an HTTP error" if tool == "wget" else "exits 22 on an HTTP error (--fail)"
        return "fail-flag", f"`{call}` {how} and that status ends the script under `{shell.label}`."
    check = next((e for e in reversed(st.facts.events) if e.kind == "exit"), None)
    where = f" (`{src.snippet(check.span)}`)" if check else ""
    return "status-checked", f"the outcome of `{call}` is checked and the script exits non-zero on an HTTP error{where}."


def _quiet_cause(st: State, src: _Src, call: str) -> tuple[str, str]:
    events = st.facts.events
    warned = next((e for e in events if e.kind == "checked" and e.detail == "echo"), None)
    if warned is not None:
        return "swallowed-warning-only", f"on an HTTP error the branch `{src.snippet(warned.span)}` only reports it; nothing exits non-zero, so the step passes."
    lost = next((e for e in events if e.kind == "lost"), None)
    if lost is not None:
        return lost.cause, _LOST_REASONS[lost.cause].format(call=call, construct=src.snippet(lost.span), why=lost.detail or "errexit is off")
    checked = next((e for e in events if e.kind == "checked"), None)
    if checked is not None and checked.cause == "cmd":
        return "errexit-ignored-condition", _LOST_REASONS["errexit-ignored-condition"].format(call=call, construct=src.snippet(checked.span), why="")
    if checked is not None or any(e.kind == "captured" for e in events):
        return "status-unchecked", f"`{call}` captures the HTTP status but no branch exits non-zero when it is not 2xx."
    return "no-fail-flag", f"`{call}` exits 0 on an HTTP 4xx/5xx: it has no --fail/-f/--fail-with-body and nothing checks its status code."


_LOST_REASONS = {
    "swallowed-or-true": "`{construct}` swallows the failure of `{call}`: the right-hand side runs instead and the script goes on.",
    "errexit-off": "errexit is off at `{call}` ({why}), so its failure does not stop the script and a later command decides the exit status.",
    "errexit-ignored-condition": "`{construct}` runs `{call}` where bash ignores errexit (a condition or `!`): the failure only picks a branch and the script goes on.",
    "pipeline-no-pipefail": "`{construct}` runs without pipefail, so the pipeline's status is its last command's and the failure of `{call}` is lost.",
    "masked-by-local": "`{construct}` returns the status of the declaration builtin, not of `{call}`, so the failure is masked.",
    "background": "`{call}` runs in the background (`&`) and its status is never collected with `wait $!`.",
    "not-last-command": "in `{construct}` a failure before the last command of an `&&` list does not trigger errexit, and a later command decides the exit status.",
    "ignored-substitution": "`{construct}` is used as an argument, so the status of `{call}` inside it is discarded.",
}


# ---------------------------------------------------------------------------
# The entry points (pinflow.shell memoizes them).

def judge_script(script: str, shell: Shell, secret_vars: frozenset[str]) -> ScriptReport:
    """``analyze`` itself: no memo, no prebuilt answers."""
    src = _source(script)
    errors = _parse_errors(src)
    calls = []
    for node, name, tool in _http_commands(src):
        line, column = src.pos(name)
        call = src.snippet(_span(node))
        if errors:
            calls.append(HttpCall(line, column, tool, "unknown", "cannot-decide", f"the script does not parse (line {errors[0][0] + 1}), so `{call}` cannot be judged"))
        elif shell.program == "other":
            calls.append(HttpCall(line, column, tool, "unknown", "cannot-decide", f"the step runs under `{shell.label}`, which this analysis does not model"))
        else:
            calls.append(_judge(src, shell, node, name, tool))
    return ScriptReport(calls, _xtrace(src), _secret_echoes(src, secret_vars), errors)


def find_command_words(script: str) -> tuple[tuple[int, int, tuple[str, ...]], ...]:
    src = _source(script)
    found = []
    for node in _walk(src.root):
        if node.type == "command":
            _, words, _ = _command_parts(node)
            texts = [_literal(w, src) or src.text(w) for w in words]
            texts = [_unquote_expansion(t) for t in texts]
            # `timeout 480 docker push`, `env X=1 curl`: the command is what runs.
            texts = texts[_unwrap(list(texts))[0]:]
            if texts:
                found.append((*src.pos(node), tuple(texts)))
    found.sort(key=lambda t: (t[0], t[1]))
    return tuple(found)


def _unquote_expansion(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def find_tested_variables(script: str) -> dict[str, frozenset[str]]:
    src = _source(script)
    found: dict[str, set[str]] = {}

    def mark(node: Node, how: str) -> None:
        for name in _vars_in(node, src):
            found.setdefault(name, set()).add(how)

    for node in _walk(src.root):
        kind = node.type
        name = _command_name(node, src) if kind == "command" else None
        if kind == "test_command" or name in ("test", "["):
            _test_marks(node, src, mark)
        elif kind == "case_statement" and node.child_by_field_name("value") is not None:
            mark(node.child_by_field_name("value"), "pattern")  # type: ignore[arg-type]
        elif kind == "expansion" and any(c.type in (":?", "?") for c in node.children):
            mark(node, "empty")
        elif name == "grep" or (kind in ("pipeline", "redirected_statement") and _feeds_grep(node, src)):
            mark(node, "pattern")
    return {name: frozenset(how) for name, how in found.items()}


def _command_name(node: Node, src: _Src) -> str | None:
    _, words, _ = _command_parts(node)
    return _literal(words[0], src) if words else None


def _test_marks(node: Node, src: _Src, mark: Callable[[Node, str], None]) -> None:
    items = _test_items(node) if node.type == "test_command" else _command_parts(node)[1][1:]
    texts = [src.text(i) for i in items]
    for k, text in enumerate(texts):
        if text in ("-z", "-n") and k + 1 < len(items):
            mark(items[k + 1], "empty")
        elif text in ("=~", "==", "=", "!=") and 0 < k < len(items) - 1:
            right = items[k + 1]
            if right.type in ("regex", "extglob_pattern") or (right.type == "word" and any(c in src.text(right) for c in "*?[")):
                mark(items[k - 1], "pattern")
    if len(items) == 1:
        mark(items[0], "empty")


def _feeds_grep(node: Node, src: _Src) -> bool:
    for child in node.named_children:
        if child.type == "command" and _command_name(child, src) == "grep":
            return True
    return False
