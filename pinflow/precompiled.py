"""The built-in templates, compiled ahead of time to plain Python.

A cold `pinflow render` used to spend a third of its time importing jinja2,
which even Jinja's own precompiled modules need (their code calls into
``jinja2.runtime``). The built-in templates use a small part of the language
(output, ``if``, ``for``, ``block``, ``include``, filters, attribute and item
lookups, ``~``, ``and``/``or``/``not``, comparisons), so this module
translates Jinja's own parse of them (whitespace control already applied by
its lexer) into Python functions that need nothing from jinja2, with Jinja's
sandboxed, StrictUndefined semantics:

- a name or attribute that does not exist raises with Jinja's words, where it
  is read (StrictUndefined raises where it is used: a template that reads a
  value it never uses renders under Jinja only; the built-in templates use
  everything they read, and the tests hold both renders equal);
- ``a.b`` tries the attribute, then the item; ``a[b]`` the item, then the
  attribute; no name starting with ``_`` is reachable;
- a block that is not ``scoped`` does not see the loop variables around it,
  and an ``include`` sees the context and every local variable;
- only the functions render provides are called, never one marked unsafe,
  and no attribute of code, frame or traceback objects is reachable.

The generator refuses anything else (``Unsupported``), so a template edit
that leaves this subset fails the drift test, never renders differently.
``pinflow/_prebuilt/templates.py`` holds the code and the hashes of the
template sources it came from; it is used only while they match and only for the built-in
templates (a templates_dir may override any name; those render with jinja2).

Regenerate after changing a template:

    python -m pinflow.precompiled

tests/test_precompiled.py fails when the committed module is not what this
would write, and checks that it renders what jinja2 renders.
"""
from __future__ import annotations

import os
import sys
import types

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing on the render path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    import jinja2
    from jinja2 import nodes

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_prebuilt")
MODULE = "templates.py"
# The built-in templates (the *.sh scripts are inlined verbatim, not templated).
TEMPLATES = ("publish-image.yml.j2", "_targets.yml.j2")
ENTRY = "publish-image.yml.j2"


def digest(text: str) -> str:
    from pinflow.cache import text_digest

    return text_digest(text)


# ---------------------------------------------------------------------------
# What the generated code calls (Jinja's sandboxed lookups, StrictUndefined).

class UndefinedValue(Exception):
    """A name, attribute or item the template reads does not exist (Jinja's UndefinedError)."""


class Refused(Exception):
    """What the sandbox would not hand out or call (Jinja's SecurityError)."""


# Objects whose every attribute the sandbox treats as internal.
_INTERNAL = (types.CodeType, types.FrameType, types.TracebackType)


def _type_repr(obj: object) -> str:
    if obj is None:
        return "None"
    if obj is Ellipsis:
        return "Ellipsis"
    cls = type(obj)
    return f"{cls.__name__} object" if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__} object"


def name(context: dict[str, Any], key: str) -> Any:
    try:
        return context[key]
    except KeyError:
        raise UndefinedValue(f"{key!r} is undefined") from None


def attr(obj: Any, key: str) -> Any:
    """``obj.key``: the attribute, else the item (keys starting with ``_`` never reach here)."""
    try:
        return _getattr(obj, key)
    except AttributeError:
        pass
    try:
        return obj[key]
    except (TypeError, LookupError):
        raise UndefinedValue(f"{_type_repr(obj)!r} has no attribute {key!r}") from None


def item(obj: Any, key: Any) -> Any:
    """``obj[key]``: the item, else (for a string key) the attribute."""
    try:
        return obj[key]
    except (TypeError, LookupError):
        if isinstance(key, str) and not key.startswith("_"):
            try:
                return _getattr(obj, key)
            except AttributeError:
                pass
    if isinstance(key, str):
        raise UndefinedValue(f"{_type_repr(obj)!r} has no attribute {key!r}") from None
    raise UndefinedValue(f"{_type_repr(obj)} has no element {key!r}") from None  # (Jinja's wording, unquoted)


def _getattr(obj: Any, key: str) -> Any:
    if isinstance(obj, _INTERNAL):  # the sandbox reaches no attribute of these
        raise Refused(f"access to attribute {key!r} of {type(obj).__name__!r} object is unsafe")
    return getattr(obj, key)


def join(value: Any, separator: Any = "") -> str:
    return str(separator).join(map(str, value))


def call(func: Any, *args: Any) -> Any:
    """``func(*args)``, unless the sandbox would refuse to call it."""
    if getattr(func, "unsafe_callable", False) or getattr(func, "alters_data", False):
        raise Refused(f"{func!r} is not safely callable")
    return func(*args)


# ---------------------------------------------------------------------------
# Loading (no jinja2, no json: a cold render imports neither)

def renderer() -> Callable[[dict[str, Any], dict[str, Callable[..., Any]], Callable[[str], None], str], None] | None:
    """``render(context, filters, write, template)`` from the compiled module, when it is current."""
    from pinflow import resources

    try:
        from pinflow._prebuilt import templates

        current = all(digest(resources.read_template(t) or "") == templates.SOURCES.get(t) for t in TEMPLATES)
    except (ImportError, OSError, ValueError, AttributeError):  # (a template that is not UTF-8: jinja2 words it)
        return None
    return templates.render if current else None


def template_frame(filename: str, pyline: int) -> str | None:
    """``pinflow/<template>:<line>`` for a traceback frame in the compiled module, else None."""
    templates = sys.modules.get("pinflow._prebuilt.templates")
    if templates is None or filename != templates.__file__:
        return None
    lines: dict[int, str] = templates.LINES
    best = max((n for n in lines if n <= pyline), default=None)
    return None if best is None else lines[best]


# ---------------------------------------------------------------------------
# The generator (imports jinja2: run at build time and by the tests)

class Unsupported(Exception):
    """The template uses Jinja beyond what this compiler translates."""


_COMPARE = {"eq": "==", "ne": "!=", "in": "in", "notin": "not in"}
# Names Jinja defines itself (its default globals, and what exists inside
# loops, macros and blocks): the compiled code has none of them.
_JINJA_NAMES = frozenset({"loop", "self", "super", "caller", "varargs", "kwargs", "dict", "cycler", "joiner",
                          "namespace", "lipsum"})


class _Compiler:
    def __init__(self, filters: set[str], prefix: str) -> None:
        self.filters = filters | {"join"}
        self.prefix = prefix
        self.out: list[str] = []
        self.lines: dict[int, str] = {}
        self.functions: dict[str, str] = {}  # template or block name -> function name
        self.counter = 0
        self.template = ""

    # -- emitting
    def emit(self, depth: int, code: str, node: nodes.Node | None = None) -> None:
        self.out.append("    " * depth + code)
        if node is not None and getattr(node, "lineno", None):
            self.lines[len(self.out)] = f"{self.prefix}{self.template}:{node.lineno}"

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    # -- templates and blocks
    def template_function(self, name: str, tree: nodes.Template) -> None:
        from jinja2 import nodes

        self.template = name
        blocks = list(tree.find_all(nodes.Block))  # nested ones too: each is its own function
        for block in blocks:
            if block.required or f"{name}#{block.name}" in self.functions:
                raise Unsupported(f"{name}:{block.lineno}: block {block.name!r} required or defined twice")
            self.functions[f"{name}#{block.name}"] = self.fresh("block_")
        self.emit(0, f"def {self.functions[name]}(c, f, o):  # {name}")
        self.statements(1, tree.body, {})
        for block in blocks:
            self.emit(0, "")
            self.emit(0, "")
            self.emit(0, f"def {self.functions[f'{name}#{block.name}']}(c, f, o):  # {name}, block {block.name}")
            self.statements(1, block.body, {})
        self.emit(0, "")
        self.emit(0, "")

    def statements(self, depth: int, body: list[nodes.Node], scope: dict[str, str]) -> None:
        start = len(self.out)
        for node in body:
            self.statement(depth, node, scope)
        if len(self.out) == start:
            self.emit(depth, "pass")

    def statement(self, depth: int, node: nodes.Node, scope: dict[str, str]) -> None:
        from jinja2 import nodes

        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    self.emit(depth, f"o({child.data!r})", child)
                else:
                    self.emit(depth, f"o(str({self.expr(child, scope)}))", child)
        elif isinstance(node, nodes.If):
            self.emit(depth, f"if {self.expr(node.test, scope)}:", node)
            self.statements(depth + 1, node.body, scope)
            for branch in node.elif_:
                self.emit(depth, f"elif {self.expr(branch.test, scope)}:", branch)
                self.statements(depth + 1, branch.body, scope)
            if node.else_:
                self.emit(depth, "else:")
                self.statements(depth + 1, node.else_, scope)
        elif isinstance(node, nodes.For):
            self.for_(depth, node, scope)
        elif isinstance(node, nodes.Block):
            # Jinja: a scoped block sees the locals around it; any other only the context.
            context = self.with_locals(scope) if node.scoped else "c"
            self.emit(depth, f"{self.functions[f'{self.template}#{node.name}']}({context}, f, o)", node)
        elif isinstance(node, nodes.Include):
            self.include(depth, node, scope)
        else:
            raise Unsupported(f"{self.template}:{node.lineno}: {type(node).__name__}")

    def for_(self, depth: int, node: nodes.For, scope: dict[str, str]) -> None:
        from jinja2 import nodes

        if node.else_ or node.test is not None or node.recursive:
            raise Unsupported(f"{self.template}:{node.lineno}: for with else, if or recursive")
        if any(n.name == "loop" for n in node.find_all(nodes.Name)):
            raise Unsupported(f"{self.template}:{node.lineno}: the loop variable")
        inner = dict(scope)
        target = self.target(node.target, inner)
        self.emit(depth, f"for {target} in {self.expr(node.iter, scope)}:", node)
        self.statements(depth + 1, node.body, inner)

    def target(self, node: nodes.Node, scope: dict[str, str]) -> str:
        from jinja2 import nodes

        if isinstance(node, nodes.Name):
            scope[node.name] = self.fresh("l_")
            return scope[node.name]
        if isinstance(node, nodes.Tuple) and all(isinstance(n, nodes.Name) for n in node.items):
            return "(" + ", ".join(self.target(n, scope) for n in node.items) + ",)"
        raise Unsupported(f"{self.template}:{node.lineno}: loop target {type(node).__name__}")

    def include(self, depth: int, node: nodes.Include, scope: dict[str, str]) -> None:
        from jinja2 import nodes

        if not isinstance(node.template, nodes.Const) or node.template.value not in self.functions:
            raise Unsupported(f"{self.template}:{node.lineno}: include of anything but a built-in template")
        if node.ignore_missing or not node.with_context:
            raise Unsupported(f"{self.template}:{node.lineno}: include without context or ignoring missing")
        # Jinja hands an included template the context and every local variable.
        self.emit(depth, f"{self.functions[node.template.value]}({self.with_locals(scope)}, f, o)", node)

    @staticmethod
    def with_locals(scope: dict[str, str]) -> str:
        if not scope:
            return "c"
        return "{**c, " + ", ".join(f"{key!r}: {value}" for key, value in scope.items()) + "}"

    # -- expressions
    def expr(self, node: nodes.Node, scope: dict[str, str]) -> str:
        from jinja2 import nodes

        if isinstance(node, nodes.Const) and isinstance(node.value, (str, int, bool, type(None))):
            return repr(node.value)
        if isinstance(node, nodes.Name):
            if node.name in _JINJA_NAMES and node.name not in scope:
                raise Unsupported(f"{self.template}:{node.lineno}: {node.name!r} (a name Jinja itself provides)")
            return scope.get(node.name) or f"name(c, {node.name!r})"
        if isinstance(node, nodes.Getattr):
            self.public(node.attr, node)
            return f"attr({self.expr(node.node, scope)}, {node.attr!r})"
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, (str, int)):
            if isinstance(node.arg.value, str):
                self.public(node.arg.value, node)
            return f"item({self.expr(node.node, scope)}, {node.arg.value!r})"
        if isinstance(node, nodes.Filter):
            return self.filter(node, scope)
        if isinstance(node, nodes.Call):
            return self.call(node, scope)
        if isinstance(node, nodes.Concat):
            parts = (repr(n.value) if isinstance(n, nodes.Const) and isinstance(n.value, str) else f"str({self.expr(n, scope)})"
                     for n in node.nodes)
            return "''.join((" + ", ".join(parts) + "))"
        if isinstance(node, (nodes.And, nodes.Or)):
            op = "and" if isinstance(node, nodes.And) else "or"
            return f"({self.expr(node.left, scope)} {op} {self.expr(node.right, scope)})"
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node, scope)})"
        if isinstance(node, nodes.Compare) and all(op.op in _COMPARE for op in node.ops):
            return "(" + self.expr(node.expr, scope) + "".join(f" {_COMPARE[op.op]} {self.expr(op.expr, scope)}" for op in node.ops) + ")"
        if isinstance(node, nodes.Tuple) and node.ctx == "load":
            return "(" + "".join(f"{self.expr(n, scope)}, " for n in node.items) + ")"
        raise Unsupported(f"{self.template}:{node.lineno}: {type(node).__name__} expression")

    def public(self, key: str, node: nodes.Node) -> None:
        # What the sandbox would refuse: private names, and the internals of
        # types, frames, code and generators (jinja2.sandbox.is_internal_attribute).
        if key.startswith("_") or key == "mro" or key.startswith(("gi_", "cr_", "ag_", "tb_", "f_", "co_")):
            raise Unsupported(f"{self.template}:{node.lineno}: {key!r} is not reachable in the sandbox")

    def filter(self, node: nodes.Filter, scope: dict[str, str]) -> str:
        if (node.name not in self.filters or node.kwargs or node.dyn_args or node.dyn_kwargs or node.node is None
                or (node.name == "join" and len(node.args) > 1)):
            raise Unsupported(f"{self.template}:{node.lineno}: filter {node.name!r} as written")
        args = "".join(f", {self.expr(a, scope)}" for a in node.args)
        func = "join" if node.name == "join" else f"f[{node.name!r}]"
        return f"{func}({self.expr(node.node, scope)}{args})"

    def call(self, node: nodes.Call, scope: dict[str, str]) -> str:
        from jinja2 import nodes

        # Only the functions render provides (expr, script, fail, range): a loop
        # variable could hold anything, such as a bound str.format.
        if not isinstance(node.node, nodes.Name) or node.node.name in scope or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise Unsupported(f"{self.template}:{node.lineno}: only plain calls of a global function")
        args = "".join(f", {self.expr(a, scope)}" for a in node.args)
        return f"call({self.expr(node.node, scope)}{args})"


_HEADER = '''\
"""The built-in templates as Python: written by `python -m pinflow.precompiled`
from Jinja's parse of templates/{names}. Do not edit."""
from pinflow.precompiled import attr, call, item, join, name


'''


def compile_templates(env: jinja2.Environment, sources: dict[str, str], filters: set[str], prefix: str) -> str:
    """The module's source: ``render(c, f, o, template)`` writes ``template`` rendered with context ``c``."""
    from jinja2 import nodes

    compiler = _Compiler(filters, prefix)
    for number, name in enumerate(sources):
        compiler.functions[name] = f"template_{number}"
    for name, source in sources.items():
        tree = env.parse(source, name)
        if any(True for _ in tree.find_all((nodes.Extends, nodes.Macro, nodes.Import, nodes.FromImport))):
            raise Unsupported(f"{name}: extends, macros and imports")
        compiler.template_function(name, tree)
    head = _HEADER.format(names=", templates/".join(sources))
    offset = head.count("\n")  # compiler.lines are 1-based within compiler.out
    table = "".join(f"    {key!r}: {value},\n" for key, value in compiler.functions.items() if "#" not in key)
    lines = "".join(f"    {n + offset}: {where!r},\n" for n, where in sorted(compiler.lines.items()))
    return (head + "\n".join(compiler.out) + "\n"
            + f"TEMPLATES = {{\n{table}}}\n"
            + "# The sources these came from (used only while they match).\n"
            + "SOURCES = {\n" + "".join(f"    {n!r}: {digest(s)!r},\n" for n, s in sources.items()) + "}\n\n\n"
            + "def render(c, f, o, template):\n    TEMPLATES[template](c, f, o)\n\n\n"
            + f"# Module line -> template line, for errors.\nLINES = {{\n{lines}}}\n")


# The shells and secret variables the built-in templates run their scripts with
# (`shell: bash`, or none in a templates_dir copy; CP_TOKEN holds a secret).
_SCRIPT_SHELLS = ((None, "gitea"), (None, "github"), ("bash", "gitea"), ("bash", "github"))
_SCRIPT_SECRETS: tuple[frozenset[str], ...] = (frozenset(), frozenset({"CP_TOKEN"}))


def script_facts(scripts: dict[str, str]) -> str:
    """pinflow/_prebuilt/scripts.py: bashsim.py's answers about the built-in scripts (see shell._prebuilt)."""
    from pinflow import bashsim, shell

    shells = sorted({tuple(shell.effective_shell(s, None, d)) for s, d in _SCRIPT_SHELLS})
    out = ['"""bashsim.py\'s answers about the built-in scripts: written by `python -m pinflow.precompiled`. Do not edit."""\n\n',
           f"# The hash of the bashsim.py they came from (they count only while it matches).\nANALYZER = {shell.analyzer_digest()!r}\n\n",
           "FACTS = {\n"]
    for name, text in sorted(scripts.items()):
        answers: dict[tuple[object, ...], object] = {
            ("command_words",): bashsim.find_command_words(text),
            ("tested_variables",): tuple(sorted((k, tuple(sorted(v))) for k, v in bashsim.find_tested_variables(text).items())),
        }
        for sh in shells:
            for secrets in _SCRIPT_SECRETS:
                report = bashsim.judge_script(text, shell.Shell(*sh), secrets)
                answers[("analyze", *sh, *sorted(secrets))] = (tuple(tuple(c) for c in report.http_calls), tuple(report.xtrace),
                                                      tuple(report.secret_echoes), tuple(report.parse_errors))
        out.append(f"    # {name}\n    {digest(text)!r}: {{\n")
        out.extend(f"        {key!r}: {value!r},\n" for key, value in answers.items())
        out.append("    },\n")
    return "".join(out) + "}\n"


def schema_literals() -> str:
    """pinflow/_prebuilt/schemas.py: every shipped JSON schema as a Python literal, with its source's hash."""
    import json

    from pinflow import resources

    folder = resources.folder_on_disk("schemas")
    if folder is None:
        raise OSError("schemas/ is not a folder on disk")
    out = ['"""The JSON schemas of schemas/ as Python literals: written by `python -m pinflow.precompiled`. Do not edit.\n\n',
           'resources.load_schema uses one only while its source hashes to the recorded value."""\n\n', "SCHEMAS = {\n"]
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".json")):
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            text = fh.read()
        out.append(f"    {name!r}: ({digest(text)!r}, {json.loads(text)!r}),\n")
    return "".join(out) + "}\n"


def generate() -> dict[str, str]:
    """{file name: text} of pinflow/_prebuilt/, as it should be."""
    from pinflow import render, resources

    env = render._environment(None)  # the very settings that render them (whitespace control)
    sources = {name: resources.read_template(name) or "" for name in TEMPLATES}
    folder = resources.templates_dir()
    scripts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".sh")}
    return {
        MODULE: compile_templates(env, sources, set(render.FILTERS), render.BUILTIN_PREFIX),
        "scripts.py": script_facts(scripts),
        "schemas.py": schema_literals(),
        "__init__.py": "",
    }


def write(folder: str = FOLDER) -> list[str]:
    """Write the compiled module; returns the files that changed."""
    from pinflow import yamlio

    changed = []
    wanted = generate()
    os.makedirs(folder, exist_ok=True)
    for stale in sorted(set(os.listdir(folder)) - set(wanted) - {"__pycache__"}):
        os.unlink(os.path.join(folder, stale))
        changed.append(stale)
    for file, text in sorted(wanted.items()):
        if yamlio.atomic_write(os.path.join(folder, file), text):
            changed.append(file)
    return changed


def main(argv: list[str] | None = None) -> int:
    if sys.argv[1:] if argv is None else argv:
        sys.stderr.write("usage: python -m pinflow.precompiled  (regenerates pinflow/_prebuilt/, takes no arguments)\n")
        return 2
    changed = write()
    sys.stdout.write("".join(f"wrote {os.path.join('pinflow', '_prebuilt', n)}\n" for n in changed) or "up to date\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
