"""GitHub Actions / Gitea ``${{ }}`` expressions: scanner, parser, and the
three-valued reasoning the guard rules need.

Grammar (GitHub docs, highest precedence first): ``()``, ``[]``, ``.``, ``!``,
``< <= > >=``, ``== !=``, ``&&``, ``||``. Identifiers, property names and
function names are case-insensitive, so the tree stores them lowercased;
``true``/``false``/``null`` are case-sensitive keywords (as in actionlint and
act, which Gitea runs).

Three differences from actionlint's parser, all towards what GitHub accepts:
``!!x`` parses, ``<``-family binds tighter than ``==``-family (actionlint
puts them on one level), and an exponent may carry a ``+`` (``1e+3``).

The semantic helpers evaluate a condition in a handful of abstract "worlds"
(a ref, the event that produced it, the run's status) with Kleene logic:
anything pinflow cannot know (``vars.*``, ``inputs.*``, step outputs...) is
``UNKNOWN`` and taken as "may be either".
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Union

from pinflow.records import NamedTuple


class ExprError(ValueError):
    """A syntax error; ``offset`` indexes the text given to the parser."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at offset {self.offset})"


# --- tree -----------------------------------------------------------------
# ``offset`` is where the node's text starts (its leftmost token).


class Literal(NamedTuple):
    value: None | bool | int | float | str
    offset: int = 0


class Context(NamedTuple):
    """A named value and its constant accessors: ``secrets['X']`` is
    ``('secrets', 'x')``, ``steps.*.outputs`` is ``('steps', '*', 'outputs')``.
    """

    path: tuple[str, ...]
    offset: int = 0


class Index(NamedTuple):
    """``obj[index]`` that could not be folded into a Context path (a computed
    index, a number, or a property of something that is not a context)."""

    obj: Node
    index: Node
    offset: int = 0


class Filter(NamedTuple):
    """``obj.*`` on something that is not a context path."""

    obj: Node
    offset: int = 0


class Call(NamedTuple):
    name: str  # lowercased: toJson == toJSON
    args: tuple[Node, ...]
    offset: int = 0


class Not(NamedTuple):
    operand: Node
    offset: int = 0


class Binary(NamedTuple):
    op: str  # < <= > >= == !=
    left: Node
    right: Node
    offset: int = 0


class Logical(NamedTuple):
    op: str  # && ||
    left: Node
    right: Node
    offset: int = 0


Node = Union[Literal, Context, Index, Filter, Call, Not, Binary, Logical]


class Embedded(NamedTuple):
    """One ``${{ … }}`` in a string: ``text[start:end]`` is the whole of it,
    ``source`` the expression between the braces."""

    start: int
    end: int
    source: str

    @property
    def source_offset(self) -> int:
        """Where ``source`` starts in the scanned text (for ``parse(base=…)``)."""
        return self.start + 3


STATUS_FUNCTIONS = frozenset(("success", "failure", "always", "cancelled"))

# --- scanner --------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)")
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_WHITESPACE = frozenset(" \t\r\n")
_TWO_CHAR = frozenset(("<=", ">=", "==", "!=", "&&", "||"))
_ONE_CHAR = frozenset("()[].!<>*,")
_END = "end"
_MAX_NESTING = 32  # parens/brackets/calls/`!`: keeps the recursive parser far from Python's limit
_MAX_DEPTH = 120  # tree depth, so evaluation and printing never recurse too deep

_Token = tuple[str, Any, int]  # kind, value, offset


def _tokenize(src: str, base: int) -> list[_Token]:
    toks: list[_Token] = []
    append = toks.append
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in _WHITESPACE:
            i += 1
        elif c == "'":
            i = _scan_string(src, i, base, toks)
        elif c.isascii() and (c.isalpha() or c == "_"):
            m = _IDENT.match(src, i)
            assert m is not None
            append(("ident", m.group(), i + base))
            i = m.end()
        elif c == "-" or "0" <= c <= "9":
            i = _scan_number(src, i, base, toks)
        elif src[i:i + 2] in _TWO_CHAR:
            append((src[i:i + 2], None, i + base))
            i += 2
        elif c in _ONE_CHAR:
            append((c, None, i + base))
            i += 1
        else:
            raise ExprError(_bad_char(src, i), i + base)
    append((_END, None, n + base))
    return toks


def _scan_string(src: str, i: int, base: int, toks: list[_Token]) -> int:
    parts = []
    j = i + 1
    while True:
        k = src.find("'", j)
        if k < 0:
            raise ExprError("unterminated string literal (strings are closed with ')", i + base)
        if src.startswith("''", k):  # '' is an escaped quote
            parts.append(src[j:k + 1])
            j = k + 2
            continue
        parts.append(src[j:k])
        toks.append(("str", "".join(parts), i + base))
        return k + 1


def _scan_number(src: str, i: int, base: int, toks: list[_Token]) -> int:
    m = _NUMBER.match(src, i)
    if m is None:
        raise ExprError("'-' is only allowed as the sign of a number (there is no minus operator)", i + base)
    end = m.end()
    if end < len(src) and src[end] in _IDENT_CHARS:
        j = end
        while j < len(src) and src[j] in _IDENT_CHARS:
            j += 1
        raise ExprError(f"invalid number {src[i:j]!r}", i + base)
    text = m.group()
    if "x" in text or "X" in text:
        value: int | float = int(text, 16)
    elif "." in text or "e" in text or "E" in text:
        value = float(text)
    else:
        value = int(text)
    toks.append(("num", value, i + base))
    return end


def _bad_char(src: str, i: int) -> str:
    c = src[i]
    if c == '"':
        return "unexpected character '\"': string literals use single quotes"
    if c in "=&|":
        return f"unexpected character {c!r}: did you mean {c * 2!r}?"
    if c in "+/%^~":
        return f"unexpected character {c!r}: expressions have no arithmetic operators"
    if c == "}":
        return "unexpected '}' (an expression ends with '}}')"
    return f"unexpected character {c!r}"


# --- parser ---------------------------------------------------------------

_KEYWORDS: dict[str, None | bool] = {"null": None, "true": True, "false": False}
_EQUALITY = frozenset(("==", "!="))
_RELATIONAL = frozenset(("<", "<=", ">", ">="))
_DESCRIBE = {"ident": "name", "num": "number", "str": "string"}


class _Parser:
    __slots__ = ("toks", "pos", "nesting")

    def __init__(self, toks: list[_Token]) -> None:
        self.toks = toks
        self.pos = 0
        self.nesting = 0

    def fail(self, expected: str) -> ExprError:
        kind, value, offset = self.toks[self.pos]
        if kind == _END:
            return ExprError(f"unexpected end of expression, expected {expected}", offset)
        got = f"{_DESCRIBE[kind]} {value!r}" if kind in _DESCRIBE else repr(kind)
        return ExprError(f"unexpected {got}, expected {expected}", offset)

    def expect(self, kind: str, expected: str) -> None:
        if self.toks[self.pos][0] != kind:
            raise self.fail(expected)
        self.pos += 1

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise ExprError("expression is nested too deeply", self.toks[self.pos][2])

    def parse_or(self) -> Node:
        left = self.parse_and()
        while self.toks[self.pos][0] == "||":
            self.pos += 1
            left = Logical("||", left, self.parse_and(), left.offset)
        return left

    def parse_and(self) -> Node:
        left = self.parse_equality()
        while self.toks[self.pos][0] == "&&":
            self.pos += 1
            left = Logical("&&", left, self.parse_equality(), left.offset)
        return left

    def parse_equality(self) -> Node:
        left = self.parse_relational()
        while self.toks[self.pos][0] in _EQUALITY:
            op = self.toks[self.pos][0]
            self.pos += 1
            left = Binary(op, left, self.parse_relational(), left.offset)
        return left

    def parse_relational(self) -> Node:
        left = self.parse_unary()
        while self.toks[self.pos][0] in _RELATIONAL:
            op = self.toks[self.pos][0]
            self.pos += 1
            left = Binary(op, left, self.parse_unary(), left.offset)
        return left

    def parse_unary(self) -> Node:
        kind, _, offset = self.toks[self.pos]
        if kind != "!":
            return self.parse_postfix()
        self.pos += 1
        self.enter()
        operand = self.parse_unary()
        self.nesting -= 1
        return Not(operand, offset)

    def parse_postfix(self) -> Node:
        node = self.parse_primary()
        toks = self.toks
        while True:
            kind = toks[self.pos][0]
            if kind == ".":
                self.pos += 1
                kind, value, _ = toks[self.pos]
                if kind == "ident":
                    node = _access(node, value.lower())
                elif kind == "*":
                    node = _filter(node)
                else:
                    raise self.fail("a property name or '*' after '.'")
                self.pos += 1
            elif kind == "[":
                self.pos += 1
                self.enter()
                index = self.parse_or()
                self.nesting -= 1
                self.expect("]", "']' to close the index")
                node = _index(node, index)
            else:
                return node

    def parse_primary(self) -> Node:
        kind, value, offset = self.toks[self.pos]
        self.pos += 1
        if kind == "ident":
            if self.toks[self.pos][0] == "(":
                return self.parse_call(value.lower(), offset)
            if value in _KEYWORDS:
                return Literal(_KEYWORDS[value], offset)
            return Context((value.lower(),), offset)
        if kind == "str" or kind == "num":
            return Literal(value, offset)
        if kind == "(":
            self.enter()
            inner = self.parse_or()
            self.nesting -= 1
            self.expect(")", "')' to close '('")
            return inner
        self.pos -= 1
        raise self.fail("a value (a name, a function call, a literal or '(')")

    def parse_call(self, name: str, offset: int) -> Call:
        self.pos += 1  # (
        self.enter()
        args: list[Node] = []
        if self.toks[self.pos][0] == ")":
            self.pos += 1
        else:
            while True:
                args.append(self.parse_or())
                kind = self.toks[self.pos][0]
                self.pos += 1
                if kind == ")":
                    break
                if kind != ",":
                    self.pos -= 1
                    raise self.fail(f"',' or ')' in the arguments of {name}()")
        self.nesting -= 1
        return Call(name, tuple(args), offset)


def _access(node: Node, name: str) -> Node:
    if type(node) is Context:
        return Context(node.path + (name,), node.offset)
    return Index(node, Literal(name, node.offset), node.offset)


def _filter(node: Node) -> Node:
    if type(node) is Context:
        return Context(node.path + ("*",), node.offset)
    return Filter(node, node.offset)


def _index(node: Node, index: Node) -> Node:
    # secrets['X'] is secrets.x; a literal '*' key is a key, not a filter
    if type(node) is Context and type(index) is Literal and type(index.value) is str and index.value != "*":
        return Context(node.path + (index.value.lower(),), node.offset)
    return Index(node, index, node.offset)


@functools.lru_cache(maxsize=4096)
def parse(source: str, base: int = 0) -> Node:
    """Parse one expression (the text between ``${{`` and ``}}``, or a bare
    ``if:``). Every offset, in nodes and in ExprError, is ``base`` + the index
    into ``source``. Trees are immutable, so results are cached."""
    toks = _tokenize(source, base)
    if len(toks) == 1:
        raise ExprError("empty expression", base + len(source))
    parser = _Parser(toks)
    node = parser.parse_or()
    if toks[parser.pos][0] != _END:
        raise parser.fail("an operator or the end of the expression")
    if len(toks) > _MAX_DEPTH and _depth(node) > _MAX_DEPTH:
        raise ExprError("expression is nested too deeply", base)
    return node


def _depth(node: Node) -> int:
    deepest = 0
    stack = [(node, 1)]
    while stack:
        cur, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in children(cur))
    return deepest


def find_embedded(text: str) -> list[Embedded]:
    """Every ``${{ … }}`` in a string value, in order.

    Like GitHub's template reader, a ``}}`` inside a single-quoted string
    does not close the expression (``${{ format('{0}}}', x) }}``).
    An unclosed ``${{`` is an ExprError at its offset.
    """
    found: list[Embedded] = []
    start = text.find("${{")
    while start >= 0:
        j = start + 3
        while True:
            close = text.find("}}", j)
            if close < 0:
                raise ExprError("'${{' is not closed by '}}'", start)
            quote = text.find("'", j, close)
            if quote < 0:
                break
            end_quote = text.find("'", quote + 1)
            if end_quote < 0:
                raise ExprError("'${{' is not closed by '}}' (a string literal in it is never closed)", start)
            j = end_quote + 1
        found.append(Embedded(start, close + 2, text[start + 3:close]))
        start = text.find("${{", close + 2)
    return found


def parse_condition(value: str) -> Node | None:
    """Parse an ``if:`` value; None when it is blank (same as no ``if:``).

    A value without ``${{`` is a bare expression; one that is exactly one
    ``${{ … }}`` is that expression. Anything else (``${{ a }} && ${{ b }}``,
    ``true && ${{ x }}``, even a space or newline outside the braces) is,
    for GitHub and act alike, ``format('{0} && {1}', a, b)``: a non-empty
    string, so always true. That is modelled literally as a ``format`` Call
    with offset 0. Offsets index ``value``.
    """
    if not value.strip():
        return None
    if "${{" not in value:
        return parse(value)
    embedded = find_embedded(value)
    if len(embedded) == 1 and embedded[0].start == 0 and embedded[0].end == len(value):
        return parse(embedded[0].source, 3)
    fmt: list[str] = []
    args: list[Node] = []
    pos = 0
    for i, emb in enumerate(embedded):
        fmt.append(_format_escape(value[pos:emb.start]))
        fmt.append(f"{{{i}}}")
        args.append(parse(emb.source, emb.source_offset))
        pos = emb.end
    fmt.append(_format_escape(value[pos:]))
    return Call("format", (Literal("".join(fmt), 0), *args), 0)


def _format_escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def is_template_string(node: Node | None) -> bool:
    """Is this the always-true ``format(…)`` that parse_condition builds for an
    ``if:`` with text outside its ``${{ }}``?"""
    return (
        type(node) is Call and node.name == "format" and node.offset == 0 and bool(node.args)
        and type(node.args[0]) is Literal and node.args[0].offset == 0 and type(node.args[0].value) is str
        and bool(_format_literal_text(node.args[0].value))
    )


# --- printing and walking --------------------------------------------------

_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}
_NOT_PRECEDENCE = 5
_DISPLAY_NAMES = {"startswith": "startsWith", "endswith": "endsWith", "tojson": "toJSON", "fromjson": "fromJSON", "hashfiles": "hashFiles"}
_ATOM_PRECEDENCE = 6


def unparse(node: Node) -> str:
    """Canonical source for a tree: ``parse(unparse(n))`` is ``n`` (offsets aside)."""
    t = type(node)
    if t is Literal:
        return _literal_source(node.value)
    if t is Context:
        return node.path[0] + "".join(_accessor(p) for p in node.path[1:])
    if t is Index:
        return f"{_postfix_operand(node.obj)}[{unparse(node.index)}]"
    if t is Filter:
        return f"{_postfix_operand(node.obj)}.*"
    if t is Call:
        return f"{_DISPLAY_NAMES.get(node.name, node.name)}({', '.join(unparse(a) for a in node.args)})"
    if t is Not:
        return "!" + _operand(node.operand, _NOT_PRECEDENCE)
    prec = _PRECEDENCE[node.op]  # Binary, Logical: left-associative
    return f"{_operand(node.left, prec)} {node.op} {_operand(node.right, prec + 1)}"


def _precedence(node: Node) -> int:
    t = type(node)
    if t is Binary or t is Logical:
        return _PRECEDENCE[node.op]
    return _NOT_PRECEDENCE if t is Not else _ATOM_PRECEDENCE


def _operand(node: Node, minimum: int) -> str:
    text = unparse(node)
    return f"({text})" if _precedence(node) < minimum else text


def _postfix_operand(node: Node) -> str:
    if type(node) is Literal and _kind(node.value) == "number":
        return f"({unparse(node)})"  # `1.*` would lex as a broken number
    return _operand(node, _ATOM_PRECEDENCE)


def _accessor(part: str) -> str:
    if part == "*":
        return ".*"
    if _IDENT.fullmatch(part):
        return "." + part
    return f"[{_literal_source(part)}]"


def _literal_source(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float) and math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    return repr(value)


def children(node: Node) -> tuple[Node, ...]:
    t = type(node)
    if t is Binary or t is Logical:
        return (node.left, node.right)
    if t is Call:
        return node.args
    if t is Not:
        return (node.operand,)
    if t is Index:
        return (node.obj, node.index)
    if t is Filter:
        return (node.obj,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node, pre-order, left to right."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(reversed(children(cur)))


def contexts_used(node: Node) -> list[tuple[str, ...]]:
    """Every context path (lowercased) in order of first use, each once.

    ``needs[inputs.job].result`` yields ``('needs',)`` and ``('inputs', 'job')``.
    ``gitea.*`` is reported as written; see ``canonical_path``.
    """
    seen: dict[tuple[str, ...], None] = {}
    for n in walk(node):
        if type(n) is Context:
            seen.setdefault(n.path)
    return list(seen)


def canonical_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """``gitea.x`` is Gitea's alias of ``github.x``."""
    return ("github",) + path[1:] if path and path[0] == "gitea" else path


def is_status_call(node: Node) -> bool:
    return type(node) is Call and node.name in STATUS_FUNCTIONS


def has_status_check(node: Node | None) -> bool:
    """GitHub's test: any success()/failure()/always()/cancelled() anywhere."""
    return node is not None and any(is_status_call(n) for n in walk(node))


def effective_condition(cond: Node | None) -> Node:
    """What GitHub evaluates: no ``if:`` is ``success()``; a condition without
    a status function is ``success() && (cond)``."""
    if cond is None:
        return Call("success", (), 0)
    if has_status_check(cond):
        return cond
    return Logical("&&", Call("success", (), cond.offset), cond, cond.offset)


# --- evaluation -----------------------------------------------------------


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class _Open(dict):  # type: ignore[type-arg]
    """An object pinflow models partially: a missing key is UNKNOWN, not null."""


class _Filtered(list):  # type: ignore[type-arg]
    """The result of ``.*``: a later ``.name`` maps over the elements."""


class _OtherThan:
    """A non-empty string known only to differ (ignoring case) from ``names``:
    the event name of "some event pinflow did not list"."""

    __slots__ = ("names",)

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names


def evaluate(node: Node, contexts: Mapping[str, Any], status: str = "success") -> Any:
    """The value of ``node`` with GitHub's rules, or UNKNOWN.

    ``contexts`` maps a root name (``github``, ``needs``...) to plain Python
    data (keys lowercased); a root that is missing is UNKNOWN. ``status`` is
    ``success``, ``failure`` or ``cancelled`` for the status functions.
    """
    return _value(node, _Env(contexts, status))


def truth(node: Node, contexts: Mapping[str, Any], status: str = "success") -> bool | None:
    """Three-valued truthiness of ``node``: True, False or None (unknown)."""
    return _truth(node, _Env(contexts, status))


def truth_on_push(cond: Node | None, ref: str) -> bool | None:
    """Is a job condition true for a green push to ``ref`` (``refs/heads/x``)?

    Other facts of the run stay unknown, so None means "depends on more than
    the ref and the event".
    """
    github = _Open({"ref": ref, "ref_name": ref.rsplit("/", 1)[-1], "ref_type": "branch",
                    "event_name": "push", "head_ref": "", "base_ref": ""})
    return truth(effective_condition(cond), {"github": github})


class _Env(NamedTuple):
    contexts: Mapping[str, Any]
    status: str


def _truth(node: Node, env: _Env) -> bool | None:
    t = type(node)
    if t is Logical:
        left = _truth(node.left, env)
        if node.op == "&&":
            if left is False:
                return False
            right = _truth(node.right, env)
            return False if right is False else (None if left is None or right is None else True)
        if left is True:
            return True
        right = _truth(node.right, env)
        return True if right is True else (None if left is None or right is None else False)
    if t is Not:
        inner = _truth(node.operand, env)
        return None if inner is None else not inner
    if t is Call and node.name in ("format", "tojson") and _never_empty(node):
        return True
    value = _value(node, env)
    return None if value is UNKNOWN else _truthy(value)


def _never_empty(call: Call) -> bool:
    if call.name == "tojson":
        return True  # even toJSON(null) is the string 'null'
    first = call.args[0] if call.args else None
    return type(first) is Literal and type(first.value) is str and bool(_format_literal_text(first.value))


def _format_literal_text(fmt: str) -> str:
    """The text of a format string outside its ``{N}`` placeholders."""
    out, i, n = [], 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c in "{}" and fmt.startswith(c * 2, i):
            out.append(c)
            i += 2
        elif c == "{":
            close = fmt.find("}", i)
            i = n if close < 0 else close + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, (int, float)):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True  # arrays and objects


def _value(node: Node, env: _Env) -> Any:
    t = type(node)
    if t is Literal:
        return node.value
    if t is Context:
        return _lookup(node.path, env.contexts)
    if t is Binary:
        return _compare(node.op, _value(node.left, env), _value(node.right, env))
    if t is Call:
        return _call(node, env)
    if t is Logical:  # the value of the operand that decided, as in JavaScript
        left = _truth(node.left, env)
        if left is None:
            return UNKNOWN
        decided = (not left) if node.op == "&&" else left
        return _value(node.left, env) if decided else _value(node.right, env)
    if t is Not:
        inner = _truth(node.operand, env)
        return UNKNOWN if inner is None else not inner
    if t is Index:
        return _get(_value(node.obj, env), _value(node.index, env))
    return _star(_value(node.obj, env))  # Filter


def _lookup(path: tuple[str, ...], contexts: Mapping[str, Any]) -> Any:
    root = "github" if path[0] == "gitea" else path[0]
    value = contexts.get(root, UNKNOWN)
    for part in path[1:]:
        value = _star(value) if part == "*" else _get(value, part)
    return value


def _star(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        return _Filtered(value.values())
    if isinstance(value, list):
        return _Filtered(value)
    return _Filtered()


def _get(obj: Any, key: Any) -> Any:
    if obj is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if type(obj) is _Filtered:
        if not isinstance(key, str):
            return None
        items = [_get(item, key) for item in obj]
        return _Filtered(i for i in items if i is not None)
    if isinstance(obj, dict):
        if not isinstance(key, str):
            return None
        if key in obj:
            return obj[key]
        key = key.lower()
        for k, v in obj.items():
            if k.lower() == key:
                return v
        return UNKNOWN if type(obj) is _Open else None
    if isinstance(obj, list) and isinstance(key, (int, float)) and not isinstance(key, bool):
        if key != key or key < 0 or key >= len(obj):
            return None
        return obj[int(key)]
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if type(value) is _OtherThan:
        return "other"
    return "array" if isinstance(value, list) else "object"


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _number(value: Any) -> float:
    kind = _kind(value)
    if kind == "null":
        return 0.0
    if kind in ("bool", "number"):
        return float(value)
    if kind == "string":
        text = value.strip()
        if not text:
            return 0.0
        if text.lower().startswith("0x"):
            try:
                return float(int(text[2:], 16))
            except ValueError:
                return math.nan
        return float(text) if _JSON_NUMBER.fullmatch(text) else math.nan
    return math.nan


def _compare(op: str, left: Any, right: Any) -> Any:
    """GitHub's rules: strings compare ignoring case (act does the same);
    mismatched types compare as numbers; NaN is never ordered; arrays and
    objects are equal only to themselves."""
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if type(left) is _OtherThan or type(right) is _OtherThan:
        known, other = (right, left) if type(left) is _OtherThan else (left, right)
        if op in _EQUALITY and isinstance(known, str) and known.lower() in other.names:
            return op == "!="
        return UNKNOWN
    if op == "!=":
        return not _compare("==", left, right)
    kl, kr = _kind(left), _kind(right)
    if kl == kr == "string":
        a: Any = left.lower()
        b: Any = right.lower()
    elif kl == kr and kl in ("array", "object"):
        return left is right if op == "==" else False
    elif kl == kr == "null":
        a = b = 0.0
    else:
        a, b = _number(left), _number(right)
    if op == "==":
        return a == b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _string(value: Any) -> Any:
    kind = _kind(value)
    if kind == "null":
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "number":
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if kind == "string":
        return value
    return UNKNOWN  # GitHub refuses arrays/objects here; pinflow doesn't guess (nor for _OtherThan)


def _call(node: Call, env: _Env) -> Any:
    name = node.name
    if name in STATUS_FUNCTIONS:
        return name == "always" or env.status == name
    args = [_value(a, env) for a in node.args]
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    handler = _FUNCTIONS.get(name)
    if handler is None:
        return UNKNOWN  # hashFiles and anything pinflow does not model
    try:
        return handler(*args)
    except (TypeError, ValueError, IndexError):
        return UNKNOWN  # wrong arity or a runtime error in GitHub


def _contains(search: Any, item: Any) -> Any:
    if isinstance(search, list):
        outcomes = [_compare("==", element, item) for element in search]
        if True in outcomes:
            return True
        return UNKNOWN if UNKNOWN in outcomes else False
    if search is UNKNOWN:
        return UNKNOWN
    return _text_test(search, item, lambda s, i: i in s)


def _text_test(haystack: Any, needle: Any, test: Any) -> Any:
    s, i = _string(haystack), _string(needle)
    if s is UNKNOWN or i is UNKNOWN:
        return UNKNOWN
    return test(s.lower(), i.lower())


def _format(fmt: Any, *args: Any) -> Any:
    if not isinstance(fmt, str):
        return UNKNOWN
    strings = [_string(a) for a in args]
    if UNKNOWN in strings:
        return UNKNOWN
    out, i, n = [], 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c in "{}" and fmt.startswith(c * 2, i):
            out.append(c)
            i += 2
        elif c == "{":
            close = fmt.find("}", i)
            if close < 0:
                raise ValueError("unclosed '{'")
            out.append(strings[int(fmt[i + 1:close])])  # ValueError/IndexError: GitHub fails too
            i = close + 1
        elif c == "}":
            raise ValueError("unmatched '}'")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _join(items: Any, sep: Any = ",") -> Any:
    if isinstance(items, str):
        return items
    if not isinstance(items, list):
        return ""
    strings = [_string(i) for i in items]
    joiner = _string(sep)
    if UNKNOWN in strings or joiner is UNKNOWN:
        return UNKNOWN
    return joiner.join(strings)


def _from_json(text: Any) -> Any:
    import json  # (here: lint and render load expressions.py on every run, json rarely)

    if not isinstance(text, str):
        return UNKNOWN
    return json.loads(text)


def _to_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2)


_FUNCTIONS: dict[str, Any] = {
    "contains": _contains,
    "startswith": lambda a, b: _text_test(a, b, str.startswith),
    "endswith": lambda a, b: _text_test(a, b, str.endswith),
    "format": _format,
    "join": _join,
    "tojson": _to_json,
    "fromjson": _from_json,
}


# --- worlds and verdicts ----------------------------------------------------


class Verdict(NamedTuple):
    """``holds``: True (proven), False (a concrete counterexample), None
    (it depends on something pinflow cannot evaluate). ``reason`` is one
    short sentence for a lint message."""

    holds: bool | None
    reason: str


class _World(NamedTuple):
    ref: str
    event: Any  # an event name or UNKNOWN
    status: str
    env: _Env


_BRANCH_EVENTS = ("push", "workflow_dispatch", "schedule", UNKNOWN)
_TAG_EVENTS = ("push", "release", "workflow_dispatch", UNKNOWN)
_PR_EVENTS = ("pull_request", UNKNOWN)
# "another event": none of the listed ones, which cannot produce the other refs anyway
_OTHER_EVENT = _OtherThan(frozenset(e for e in _BRANCH_EVENTS + _TAG_EVENTS + _PR_EVENTS if e is not UNKNOWN))
_ALL_STATUSES = ("success", "failure", "cancelled")
_FAILED_STATUSES = ("failure", "cancelled")
_MAX_LITERAL_REFS = 16


def _refs(branch: str, cond: Node) -> list[str]:
    """Refs worth trying: the branch, look-alikes, a tag, a PR merge ref, and
    every ref or branch name the condition mentions (so ``== 'refs/heads/dev'``
    has a world where it is true)."""
    refs = [f"refs/heads/{branch}", "refs/heads/other", f"refs/heads/{branch}-x", "refs/tags/v1", "refs/pull/1/merge"]
    seen = {r.lower() for r in refs}
    extra = 0
    for n in walk(cond):
        if type(n) is Literal and type(n.value) is str and n.value and extra < _MAX_LITERAL_REFS:
            text = n.value.strip()
            if not text or any(c in _WHITESPACE for c in text):
                continue
            ref = text if text.startswith("refs/") else f"refs/heads/{text}"
            if ref.lower() not in seen:
                seen.add(ref.lower())
                refs.append(ref)
                extra += 1
    return refs


def _github(ref: str, event: Any, branch: str) -> _Open:
    """github.* consistent with the ref and event. A pull_request run has the
    merge ref and the *target* branch as base_ref, which can be main."""
    if ref.startswith("refs/pull/"):
        ref_name = ref[len("refs/pull/"):]
        head_ref, base_ref, ref_type = "feature", branch, "branch"
    elif ref.startswith("refs/tags/"):
        ref_name, head_ref, base_ref, ref_type = ref[len("refs/tags/"):], "", "", "tag"
    else:
        ref_name, head_ref, base_ref, ref_type = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else ref, "", "", "branch"
    event_name: Any = event
    if event is UNKNOWN:
        head_ref = base_ref = UNKNOWN  # e.g. pull_request_target sets both
        event_name = _OTHER_EVENT
    event_obj = _Open({"ref": ref}) if event == "push" else _Open()
    return _Open({
        "ref": ref, "ref_name": ref_name, "head_ref": head_ref, "base_ref": base_ref,
        "ref_type": ref_type, "event_name": event_name, "event": event_obj,
    })


def _events(ref: str) -> tuple[Any, ...]:
    """Events that run a workflow on such a ref; UNKNOWN stands for any other."""
    if ref.startswith("refs/pull/"):
        return _PR_EVENTS
    if ref.startswith("refs/tags/"):
        return _TAG_EVENTS
    return _BRANCH_EVENTS


def _needs_variants(status: str, needs: Sequence[str] | None) -> list[Any]:
    """The ``needs`` context for a status: each needed job in turn is the one
    that failed (or was cancelled); unknown when the caller gave no list."""
    if needs is None:
        return [UNKNOWN]
    ok = {j.lower(): _Open({"result": "success"}) for j in needs}
    if status == "success" or not needs:
        return [ok]
    return [{**ok, j.lower(): _Open({"result": status})} for j in needs]


def _worlds(branch: str, cond: Node, statuses: Sequence[str], needs: Sequence[str] | None) -> Iterator[_World]:
    for ref in _refs(branch, cond):
        for event in _events(ref):
            github = _github(ref, event, branch)
            for status in statuses:
                for needs_ctx in _needs_variants(status, needs):
                    contexts = {"github": github, "job": _Open({"status": status}), "needs": needs_ctx}
                    yield _World(ref, event, status, _Env(contexts, status))


def _branch_ref(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def implies_ref(cond: Node | None, branch: str) -> Verdict:
    """Does ``if: cond`` guarantee a run on ``branch``? (see _implies_ref)"""
    return _memo(_implies_ref, cond, branch)


def can_run_after_failure(cond: Node | None, needs: Sequence[str] | None = None) -> Verdict:
    """Can ``if: cond`` run after a failure? (see _can_run_after_failure)"""
    return _memo(_can_run_after_failure, cond, None if needs is None else tuple(needs))


_VERDICTS: dict[tuple[str, str, object], Verdict] = {}


def _memo(fn: Any, cond: Node | None, arg: object) -> Verdict:
    # Both questions are pure functions of immutable trees, asked again for
    # the same conditions file after file in a fleet: answered once each.
    # Keyed by repr, not the tree: Literal(True) == Literal(1) as tuples, but
    # they print (and so explain) differently.
    key = (fn.__name__, repr(cond), arg)
    found = _VERDICTS.get(key)
    if found is None:
        if len(_VERDICTS) >= 4096:
            _VERDICTS.clear()
        found = _VERDICTS[key] = fn(cond, arg)
    return found


def _implies_ref(cond: Node | None, branch: str) -> Verdict:
    """Does ``if: cond`` (with GitHub's implicit ``success()``) guarantee the
    run is for ``refs/heads/<branch>``?

    True iff in every world where the condition is True or unknown, the ref
    is the branch. Comparisons ignore case (GitHub and act both compare
    strings case-insensitively), so ``== 'refs/heads/MAIN'`` counts as main.
    A tag named like the branch (``refs/tags/main``, whose ref_name is
    ``main``) is not among the worlds: ``ref_name == 'main'`` counts.
    """
    target = _branch_ref(branch)
    name = target[len("refs/heads/"):] if target.startswith("refs/heads/") else target
    eff = effective_condition(cond)
    maybe: _World | None = None
    on_branch = False
    for world in _worlds(name, eff, _ALL_STATUSES, None):
        result = _truth(eff, world.env)
        if world.ref.lower() == target.lower():
            on_branch = on_branch or result is not False
        elif result is True:
            return Verdict(False, _escape_reason(cond, world, None))
        elif result is None and maybe is None:
            maybe = world
    if maybe is not None:
        unknowns = _unknowns(eff, maybe.env)
        return Verdict(None, f"{_escape_reason(cond, maybe, unknowns)}, depending on {', '.join(unknowns) or 'values pinflow cannot evaluate'}")
    if not on_branch:
        return Verdict(True, "the condition is never true")
    return Verdict(True, f"`{unparse(cond)}` only holds on {target}")  # type: ignore[arg-type]


def _escape_reason(cond: Node | None, world: _World, unknowns: list[str] | None) -> str:
    where = _describe(world)
    if cond is None:
        return f"there is no `if:`, so it also runs on {where}"
    if is_template_string(cond):
        return "text outside `${{ }}` makes the `if:` a non-empty string, which is always true"
    parts = _disjuncts(cond)
    if len(parts) > 1:
        open_parts = [p for p in parts if _truth(effective_condition(p), world.env) is not False]
        for part in open_parts:
            if not _mentions_ref(part):
                return f"`||` lets {unparse(part)} through without the branch check (e.g. on {where})"
        if open_parts:
            return f"`||` lets {unparse(open_parts[0])} through on {where}"
    may = "may be" if unknowns is not None else "is"
    return f"`{unparse(cond)}` {may} true on {where}"


def _disjuncts(node: Node) -> list[Node]:
    if type(node) is Logical and node.op == "||":
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


def _mentions_ref(node: Node) -> bool:
    return any(type(n) is Context and canonical_path(n.path)[:2] in _REF_PATHS for n in walk(node))


_REF_PATHS = frozenset((("github", "ref"), ("github", "ref_name"), ("github", "head_ref"), ("github", "base_ref")))


def _describe(world: _World, with_status: bool = True) -> str:
    event = "another event" if world.event is UNKNOWN else world.event
    status = {"success": "", "failure": ", after a failed needed job", "cancelled": ", when the run is cancelled"}[world.status]
    return f"{world.ref} ({event}{status if with_status else ''})"


def _unknowns(node: Node, env: _Env) -> list[str]:
    """The smallest parts of ``node`` that evaluate to UNKNOWN (for messages)."""
    found: dict[str, None] = {}

    def visit(n: Node) -> bool:
        t = type(n)
        if t is Context:
            if _value(n, env) is UNKNOWN:
                found.setdefault(unparse(n))
                return True
            return False
        hit = False
        for child in children(n):
            hit = visit(child) or hit
        if not hit and t is Call and not is_status_call(n) and _value(n, env) is UNKNOWN:
            found.setdefault(unparse(n))
            hit = True
        return hit

    visit(node)
    return list(found)


def _can_run_after_failure(cond: Node | None, needs: Sequence[str] | None = None) -> Verdict:
    """Can a job/step with ``if: cond`` run when a needed job failed or the
    run was cancelled?

    ``needs``: the job's ``needs:`` list, if known; then ``needs.X.result``
    is modelled (each needed job in turn is the one that failed). Without it,
    ``needs.*`` is unknown.
    """
    eff = effective_condition(cond)
    maybe: _World | None = None
    for world in _worlds("main", eff, _FAILED_STATUSES, needs):
        result = _truth(eff, world.env)
        if result is True:
            return Verdict(True, _failure_reason(cond, world))
        if result is None and maybe is None:
            maybe = world
    if maybe is not None:
        unknowns = ", ".join(_unknowns(eff, maybe.env)) or "values pinflow cannot evaluate"
        situation = "a needed job failed" if maybe.status == "failure" else "the run is cancelled"
        return Verdict(None, f"when {situation}, `{unparse(cond)}` depends on {unknowns}")  # type: ignore[arg-type]
    if cond is None:
        return Verdict(False, "no `if:` means `success()`: it runs only when every needed job succeeded")
    if not has_status_check(cond):
        return Verdict(False, f"no status function, so GitHub evaluates `success() && ({unparse(cond)})`")
    return Verdict(False, f"`{unparse(cond)}` is false whenever a needed job failed or the run was cancelled")


def _failure_reason(cond: Node | None, world: _World) -> str:
    situation = "a needed job failed" if world.status == "failure" else "the run is cancelled"
    if cond is not None and is_template_string(cond) and has_status_check(cond):
        return f"text outside `${{{{ }}}}` makes the `if:` an always-true string, and its status function turns off the implicit success(), so it runs even when {situation}"
    return f"`{unparse(cond)}` is true when {situation} (e.g. on {_describe(world, with_status=False)})"  # type: ignore[arg-type]
