"""Validate a composed workflow against schemas/workflow.schema.json (rule PF002).

The node graph is turned into plain data (scalars typed by their resolved
tag, aliases shared rather than copied), validated, and each error is mapped
back to the node a person should look at: the offending *key* for an unknown
key, the value for a wrong type, the mapping's own key for a missing key.

The validator is compiled here, once per process, from the schema into
closures. It implements only the keywords the schema uses (and refuses a
schema with any other), because the general validators cost more than the
whole lint budget to import: jsonschema ~64 ms, jsonschema_rs ~19 ms, against
~1 ms for this module. tests/test_schema.py checks it agrees with jsonschema.

Wording comes from annotations in the schema (``x-expected``, ``x-unknown``,
``x-unknown-keys``, ``x-message``, ``x-message-<keyword>``, ``x-suggest``),
never from a dump of the instance.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Optional, Union

from pinflow.records import NamedTuple

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

SCHEMA_NAME = "workflow.schema.json"
MAX_PROBLEMS = 20
MAX_MESSAGE = 200
# Enough raw errors to find MAX_PROBLEMS distinct ones, few enough that an
# alias-expanded document full of mistakes stays cheap.
_MAX_RAW_ERRORS = 500

_T = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _MERGE = (_T + s for s in ("str", "null", "bool", "int", "float", "merge"))

Key = Union[str, int]
JsonPath = tuple[Key, ...]


class Problem(NamedTuple):
    node: Node
    message: str


class SchemaError(Exception):
    """The schema uses something this validator does not implement."""


class _Error(NamedTuple):
    path: JsonPath  # where in the instance
    keyword: str  # the failing keyword
    holder: dict[str, Any]  # the subschema holding it (and its annotations)
    expected: str | None = None  # x-expected of the innermost subschema that has one
    unexpected: tuple[str, ...] = ()  # additionalProperties, propertyNames: keys not allowed
    missing: str | None = None  # required: the absent key


class _Found(NamedTuple):
    node: Node
    where: str  # the key path, e.g. jobs.build.steps[0]
    text: str  # what is wrong there


def workflow_problems(root: Node, dialect: str = "gitea") -> list[Problem]:
    """Structural problems of a workflow document, at most MAX_PROBLEMS, in file order.

    ``dialect`` "github" also reports YAML merge keys (`<<:`), which GitHub
    does not support; Gitea and Forgejo apply them.
    """
    data, found = _convert(root, report_merges=dialect == "github")
    errors = validation_errors(data)
    if errors:
        found.extend(_explain(root, data, errors))
    return _finish(found)


def validation_errors(data: Any) -> list[_Error]:
    """Raw errors for plain data (empty when valid: the common, fast case)."""
    check = _validator()
    if check(data, (), None):
        return []
    errors: list[_Error] = []
    try:
        check(data, (), errors)
    except _TooMany:
        pass
    return errors


# ---------------------------------------------------------------------------
# Nodes to data

def to_data(root: Node) -> Any:
    """Plain data for ``root``: what a YAML loader would give, aliases shared."""
    return _convert(root, report_merges=False)[0]


def _convert(root: Node, report_merges: bool) -> tuple[Any, list[_Found]]:
    """Plain data for ``root`` plus the problems found converting it.

    Iterative (no recursion limit); a node reached twice through aliases
    becomes one shared object, so an alias is never copied. A recursive alias
    (a collection containing itself) cannot be data: it becomes None and a
    problem.
    """
    problems: list[_Found] = []
    memo: dict[int, Any] = {}
    open_ids: set[int] = set()  # collections still being filled: an alias to one is a cycle
    top: list[Any] = [None]
    stack: list[Any] = [(root, top, 0)]
    while stack:
        item = stack.pop()
        if item.__class__ is int:
            open_ids.discard(item)
            continue
        node, parent, slot = item
        kind = node.id
        if kind == "scalar":
            parent[slot] = node.value if node.tag == _STR else _scalar(node)
            continue
        nid = id(node)
        if nid in memo:
            if nid in open_ids:
                problems.append(_Found(node, "", "an alias refers to a collection that contains it (recursive alias)"))
                parent[slot] = None
            else:
                parent[slot] = memo[nid]
            continue
        if kind == "mapping":
            entries, bad_keys = mapping_entries(node)
            problems.extend(_Found(k, "", "a mapping key must be a plain scalar, not a collection") for k in bad_keys)
            if report_merges:
                problems.extend(_Found(k, "", "GitHub Actions does not support YAML merge keys (`<<:`)")
                                for k, _ in node.value if k.id == "scalar" and k.tag == _MERGE)
            value: Any = dict.fromkeys(entries)
            children: Iterable[tuple[Key, Node]] = [(k, v) for k, (_, v) in entries.items()]
        else:
            value = [None] * len(node.value)
            children = enumerate(node.value)
        memo[nid] = parent[slot] = value
        open_ids.add(nid)
        stack.append(nid)
        stack.extend((child, value, key) for key, child in children)
    return top[0], problems


def mapping_entries(node: Node) -> tuple[dict[str, tuple[Node, Node]], list[Node]]:
    """Effective ``{key text: (key node, value node)}`` of a mapping, and its non-scalar keys.

    A repeated key keeps its last value (what loaders do; PF001 reports it).
    Merge keys (``<<: *defaults``, applied by Gitea's YAML library) are
    applied: explicit keys win, then earlier merged mappings.
    """
    entries: dict[str, tuple[Node, Node]] = {}
    bad: list[Node] = []
    merges: list[Node] = []
    for key, value in node.value:
        if key.id != "scalar":
            bad.append(key)
        elif key.value == "<<" and key.tag == _MERGE:  # (the text test first: .tag is slow)
            merges.append(value)
        else:
            entries[key.value] = (key, value)
    if merges:
        _apply_merges(entries, merges, node)
    return entries, bad


def _apply_merges(entries: dict[str, tuple[Node, Node]], merges: list[Node], owner: Node) -> None:
    # Depth-first over the merge tree (a merged mapping may merge others);
    # first come wins, a visited set stops merge cycles.
    seen = {id(owner)}
    stack: list[Node] = []
    for m in reversed(merges):
        stack.extend(reversed(m.value) if m.id == "sequence" else (m,))
    while stack:
        src = stack.pop()
        if src.id != "mapping" or id(src) in seen:
            continue
        seen.add(id(src))
        nested: list[Node] = []
        for key, value in src.value:
            if key.id != "scalar":
                continue
            if key.value == "<<" and key.tag == _MERGE:
                nested.extend(value.value if value.id == "sequence" else (value,))
            else:
                entries.setdefault(str(key.value), (key, value))
        stack.extend(reversed(nested))


def _scalar(node: Node) -> Any:
    tag, text = node.tag, str(node.value)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() in ("true", "yes", "on", "y")
    if tag == _INT:
        return _int(text)
    if tag == _FLOAT:
        return _float(text)
    return text  # str, timestamps, binary, custom tags: the runner sees text


def _int(text: str) -> int:
    # Only the type matters to the schema; a value we cannot read exactly is 0.
    digits = text.replace("_", "")
    try:
        return int(digits, 0)
    except ValueError:
        pass
    try:
        return int(digits, 8) if digits.lstrip("+-").startswith("0") else int(digits)
    except ValueError:
        return 0


def _float(text: str) -> float:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0  # JSON has no inf/NaN


# ---------------------------------------------------------------------------
# The compiled validator
#
# A check is ``check(instance, path, errors) -> valid``. With errors=None it
# answers as fast as possible (first failure wins); with a list it appends
# every error. Semantics follow JSON Schema 2020-12 for the keywords below.

_Check = Callable[[Any, JsonPath, Optional[list[_Error]]], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"})
_OBJECT_KEYWORDS = ("properties", "patternProperties", "additionalProperties")


class _TooMany(Exception):
    pass


def _add(errors: list[_Error], error: _Error) -> None:
    errors.append(error)
    if len(errors) >= _MAX_RAW_ERRORS:
        raise _TooMany


@functools.lru_cache(maxsize=None)
def _validator() -> _Check:
    """The workflow schema compiled once per process."""
    return compile_schema(workflow_schema())


def workflow_schema() -> dict[str, Any]:
    from pinflow.resources import load_schema

    return load_schema(SCHEMA_NAME)


def is_valid(data: Any, schema_name: str) -> bool:
    """Does ``data`` validate against ``schemas/<schema_name>``? Compiled once
    per process; the config check asks this first and leaves the wording of
    any error to jsonschema, whose import costs more than a lint run."""
    return _compiled(schema_name)(data, (), None)


@functools.lru_cache(maxsize=None)
def _compiled(schema_name: str) -> _Check:
    from pinflow.resources import load_schema

    return compile_schema(load_schema(schema_name))


def compile_schema(schema: dict[str, Any], eager: bool = False) -> _Check:
    """A check for ``schema``; property schemas are compiled on first use
    unless ``eager`` (which tests use to find unsupported keywords anywhere)."""
    return _Compiler(schema, eager).compile(schema)


class _Compiler:
    def __init__(self, root: dict[str, Any], eager: bool = False) -> None:
        self.root = root
        self.eager = eager
        self.done: dict[int, list[_Check]] = {}

    def compile(self, sub: Any) -> _Check:
        if sub is True:
            return _always
        if sub is False:
            return _never(sub)
        if not isinstance(sub, dict):
            raise SchemaError(f"a schema must be an object or a boolean, got {sub!r}")
        cell = self.done.get(id(sub))
        if cell is not None:
            # Already compiled, or being compiled (a recursive $ref): late-bind.
            return cell[0] if cell else (lambda inst, path, errors: cell[0](inst, path, errors))
        cell = []
        self.done[id(sub)] = cell
        cell.append(self._build(sub))
        return cell[0]

    def _build(self, sub: dict[str, Any]) -> _Check:
        checks: list[_Check] = []
        for keyword in sub:
            if keyword in _ANNOTATIONS or keyword.startswith("x-") or keyword in ("then", "else"):
                continue
            if keyword in _OBJECT_KEYWORDS:
                if keyword == next(k for k in sub if k in _OBJECT_KEYWORDS):
                    checks.append(self._object_keys(sub))
                continue
            method = _KEYWORDS.get(keyword)
            if method is None:
                raise SchemaError(f"keyword {keyword!r} is not supported by pinflow's validator")
            checks.append(getattr(self, method)(sub))
        return _combine(checks, sub.get("x-expected"))

    def _kw_type(self, sub: dict[str, Any]) -> _Check:
        names = [sub["type"]] if isinstance(sub["type"], str) else list(sub["type"])
        tests = tuple(_TYPE_TESTS[n] for n in names)

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            for test in tests:
                if test(inst):
                    return True
            if errors is not None:
                _add(errors, _Error(path, "type", sub))
            return False
        return check

    def _kw_enum(self, sub: dict[str, Any]) -> _Check:
        return _equals_one_of(sub, "enum", list(sub["enum"]))

    def _kw_const(self, sub: dict[str, Any]) -> _Check:
        return _equals_one_of(sub, "const", [sub["const"]])

    def _kw_pattern(self, sub: dict[str, Any]) -> _Check:
        search = _lazy_search(sub["pattern"])

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            if inst.__class__ is not str or search(inst):
                return True
            if errors is not None:
                _add(errors, _Error(path, "pattern", sub))
            return False
        return check

    def _kw_minLength(self, sub: dict[str, Any]) -> _Check:
        return _minimum(sub, "minLength", str)

    def _kw_minItems(self, sub: dict[str, Any]) -> _Check:
        return _minimum(sub, "minItems", list)

    def _kw_minProperties(self, sub: dict[str, Any]) -> _Check:
        return _minimum(sub, "minProperties", dict)

    def _kw_maxLength(self, sub: dict[str, Any]) -> _Check:
        return _maximum(sub, "maxLength", str)

    def _kw_maxItems(self, sub: dict[str, Any]) -> _Check:
        return _maximum(sub, "maxItems", list)

    def _kw_maxProperties(self, sub: dict[str, Any]) -> _Check:
        return _maximum(sub, "maxProperties", dict)

    def _kw_uniqueItems(self, sub: dict[str, Any]) -> _Check:
        if sub["uniqueItems"] is not True:
            return _always

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            # Python's == never tells apart what JSON equality joins (1 and
            # 1.0), only more (True and 1): "unique" here is unique in JSON.
            if inst.__class__ is not list or _distinct(inst):
                return True
            if errors is not None:
                _add(errors, _Error(path, "uniqueItems", sub))
            return False
        return check

    def _kw_oneOf(self, sub: dict[str, Any]) -> _Check:
        branches = [self.compile(s) for s in sub["oneOf"]]

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            if sum(1 for b in branches if b(inst, path, None)) == 1:
                return True
            if errors is not None:
                _add(errors, _Error(path, "oneOf", sub))
            return False
        return check

    def _kw_required(self, sub: dict[str, Any]) -> _Check:
        names = list(sub["required"])

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            if inst.__class__ is not dict:
                return True
            ok = True
            for name in names:
                if name not in inst:
                    if errors is None:
                        return False
                    _add(errors, _Error(path, "required", sub, missing=name))
                    ok = False
            return ok
        return check

    def _kw_items(self, sub: dict[str, Any]) -> _Check:
        item = self.compile(sub["items"])

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            if inst.__class__ is not list:
                return True
            ok = True
            for i, value in enumerate(inst):
                # Paths only matter for errors: the fast pass does not build them.
                if not item(value, path if errors is None else (*path, i), errors):
                    if errors is None:
                        return False
                    ok = False
            return ok
        return check

    def _kw_propertyNames(self, sub: dict[str, Any]) -> _Check:
        name_check = self.compile(sub["propertyNames"])

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            if inst.__class__ is not dict:
                return True
            bad = tuple(k for k in inst if not name_check(k, path, None))
            if bad and errors is not None:
                _add(errors, _Error(path, "propertyNames", sub, unexpected=bad))
            return not bad
        return check

    def _object_keys(self, sub: dict[str, Any]) -> _Check:
        """properties + patternProperties + additionalProperties, in one pass over the keys."""
        # A property's schema is compiled when a document first has that key:
        # the workflow schema describes every trigger and job key, a workflow
        # uses a few, and compiling all of them cost 3 ms of each lint run.
        declared: dict[str, Any] = sub.get("properties", {})
        compiled: dict[str, _Check] = {name: self.compile(s) for name, s in declared.items()} if self.eager else {}

        patterns = [(_lazy_search(p), self.compile(s)) for p, s in sub.get("patternProperties", {}).items()]
        extra = sub.get("additionalProperties", True)
        extra_check = None if extra is False else self.compile(extra)

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            if inst.__class__ is not dict:
                return True
            ok = True
            unexpected = []
            for key, value in inst.items():
                sub_path = path if errors is None else (*path, key)
                prop = compiled.get(key)
                if prop is None and key in declared:
                    prop = compiled[key] = self.compile(declared[key])
                matched = prop is not None
                if matched and not prop(value, sub_path, errors):  # type: ignore[misc]
                    if errors is None:
                        return False
                    ok = False
                for search, pattern_check in patterns:
                    if search(key):
                        matched = True
                        if not pattern_check(value, sub_path, errors):
                            if errors is None:
                                return False
                            ok = False
                if matched:
                    continue
                if extra_check is None:
                    if errors is None:
                        return False
                    unexpected.append(key)
                elif not extra_check(value, sub_path, errors):
                    if errors is None:
                        return False
                    ok = False
            if unexpected and errors is not None:
                _add(errors, _Error(path, "additionalProperties", sub, unexpected=tuple(unexpected)))
                ok = False
            return ok
        return check

    def _kw_allOf(self, sub: dict[str, Any]) -> _Check:
        parts = [self.compile(s) for s in sub["allOf"]]

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            ok = True
            for part in parts:
                if not part(inst, path, errors):
                    if errors is None:
                        return False
                    ok = False
            return ok
        return check

    def _kw_not(self, sub: dict[str, Any]) -> _Check:
        inner = self.compile(sub["not"])

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            if not inner(inst, path, None):
                return True
            if errors is not None:
                _add(errors, _Error(path, "not", sub))
            return False
        return check

    def _kw_if(self, sub: dict[str, Any]) -> _Check:
        cond = self.compile(sub["if"])
        then = self.compile(sub.get("then", True))
        else_ = self.compile(sub.get("else", True))

        def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
            return (then if cond(inst, path, None) else else_)(inst, path, errors)
        return check

    def _kw_ref(self, sub: dict[str, Any]) -> _Check:
        ref = sub["$ref"]
        if not ref.startswith("#"):
            raise SchemaError(f"only local $ref is supported, got {ref!r}")
        target: Any = self.root
        for part in ref[1:].split("/")[1:]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return self.compile(target)


_KEYWORDS = {k: "_kw_" + k.lstrip("$") for k in (
    "type", "enum", "const", "pattern", "minLength", "minItems", "minProperties", "required", "items",
    "propertyNames", "allOf", "not", "if", "$ref", "maxLength", "maxItems", "maxProperties", "uniqueItems", "oneOf")}


def _combine(checks: list[_Check], expected: str | None) -> _Check:
    if not checks:
        return _always
    if len(checks) == 1 and expected is None:
        return checks[0]

    def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
        if errors is None:
            for c in checks:
                if not c(inst, path, None):
                    return False
            return True
        start = len(errors)
        ok = True
        for c in checks:
            ok = c(inst, path, errors) and ok
        if not ok and expected is not None:
            # Word this instance's errors with the innermost x-expected.
            for i in range(start, len(errors)):
                if errors[i].expected is None and errors[i].path == path:
                    errors[i] = errors[i]._replace(expected=expected)
        return ok
    return check


def _always(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
    return True


def _never(sub: Any) -> _Check:
    def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
        if errors is not None:
            _add(errors, _Error(path, "false", {}))
        return False
    return check


def _equals_one_of(sub: dict[str, Any], keyword: str, values: list[Any]) -> _Check:
    def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
        for v in values:
            # JSON equality: true is not 1, 1 is 1.0.
            if inst == v and (inst.__class__ is bool) == (v.__class__ is bool):
                return True
        if errors is not None:
            _add(errors, _Error(path, keyword, sub))
        return False
    return check


def _minimum(sub: dict[str, Any], keyword: str, kind: type) -> _Check:
    least = sub[keyword]

    def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
        if inst.__class__ is not kind or len(inst) >= least:
            return True
        if errors is not None:
            _add(errors, _Error(path, keyword, sub))
        return False
    return check


def _lazy_search(pattern: str) -> Callable[[str], object]:
    """``re.compile(pattern).search``, compiled on first use: a config or a
    workflow meets few of a schema's patterns, and compiling them all costs
    more than validating."""
    compiled: list[Callable[[str], object]] = []

    def search(text: str) -> object:
        if not compiled:
            compiled.append(re.compile(pattern).search)
        return compiled[0](text)
    return search


def _maximum(sub: dict[str, Any], keyword: str, kind: type) -> _Check:
    most = sub[keyword]

    def check(inst: Any, path: JsonPath, errors: list[_Error] | None) -> bool:
        if inst.__class__ is not kind or len(inst) <= most:
            return True
        if errors is not None:
            _add(errors, _Error(path, keyword, sub))
        return False
    return check


def _distinct(items: list[Any]) -> bool:
    try:
        return len(set(items)) == len(items)
    except TypeError:  # lists or tables among the items
        return all(a != b for i, a in enumerate(items) for b in items[i + 1:])


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: v.__class__ is dict,
    "array": lambda v: v.__class__ is list,
    "string": lambda v: v.__class__ is str,
    "null": lambda v: v is None,
    "boolean": lambda v: v.__class__ is bool,
    "number": lambda v: v.__class__ is int or v.__class__ is float,
    "integer": lambda v: v.__class__ is int or (v.__class__ is float and v.is_integer()),
}


# ---------------------------------------------------------------------------
# Errors to problems

def _explain(root: Node, data: Any, errors: list[_Error]) -> Iterator[_Found]:
    # A typo'd key explains the "missing key" it causes: report the typo only
    # (`runs_on:` -> not "missing runs-on"; `usess:` -> not "needs run or uses").
    hinted: dict[JsonPath, set[str]] = {}
    for err in errors:
        for key in err.unexpected:
            hint = _suggest(key, _known_keys(err.holder))
            if hint:
                hinted.setdefault(err.path, set()).add(hint)
    for err in errors:
        if err.keyword == "required" and _explained_by_typo(err, hinted.get(err.path, set())):
            continue
        yield from _describe_error(root, data, err)


def _known_keys(holder: dict[str, Any]) -> list[str]:
    return sorted({*holder.get("properties", {}), *holder.get("x-unknown-keys", {}), *holder.get("x-suggest", ())})


def _explained_by_typo(err: _Error, hints: set[str]) -> bool:
    message = err.holder.get("x-message", "")
    return err.missing in hints or any(f"`{h}:`" in message for h in hints)


def _describe_error(root: Node, data: Any, err: _Error) -> Iterator[_Found]:
    where = format_path(err.path)
    holder = err.holder
    if err.unexpected:
        yield from _unknown_keys(root, err, where)
        return
    message = holder.get(f"x-message-{err.keyword}") or holder.get("x-message")
    if err.keyword == "required":
        yield _Found(_key_or_node(root, err.path), where, message or f"missing `{err.missing}:`")
        return
    if message or err.keyword in ("minItems", "minProperties"):
        yield _Found(_key_or_node(root, err.path), where, message or "must not be empty")
        return
    instance = _data_at(data, err.path)
    text = f"expected {err.expected or _expected_from_keyword(holder, err.keyword)}, got {describe(instance)}"
    if err.keyword == "enum" and isinstance(instance, str):
        hint = _suggest(instance, [str(v) for v in holder.get("enum", ())])
        if hint:
            text += f" (did you mean `{hint}`?)"
    node = _node_at(root, err.path)
    if node is None or _is_empty(node):
        node = _key_or_node(root, err.path)  # an empty value has no text to point at
    yield _Found(node, where, text)


def _unknown_keys(root: Node, err: _Error, where: str) -> Iterator[_Found]:
    holder = err.holder
    mapping = _node_at(root, err.path)
    entries = mapping_entries(mapping)[0] if mapping is not None and mapping.id == "mapping" else {}
    specific = holder.get("x-unknown-keys", {})
    listed = sorted(holder.get("properties", {}))
    for key in err.unexpected:
        if key in specific:
            text = f"`{_short(key)}` {specific[key]}"
        else:
            hint = _suggest(key, _known_keys(holder))
            if hint:
                tail = f" (did you mean `{hint}`?)"
            elif listed and len(listed) <= 8:
                tail = f" (expected {', '.join(listed)})"
            else:
                tail = ""
            text = f"`{_short(key)}` {holder.get('x-unknown', 'is not allowed here')}{tail}"
        node = entries[key][0] if key in entries else (mapping or root)
        yield _Found(node, where, text)


def _finish(found: Iterable[_Found]) -> list[Problem]:
    """One problem per (node, wording), in file order, capped.

    The same mistake reached through several aliases (`- *step` ten times)
    is one node with the same wording under different paths: reported once,
    under the first path.
    """
    seen: set[tuple[int, str]] = set()
    unique: list[_Found] = []
    for f in found:
        if (id(f.node), f.text) not in seen:
            seen.add((id(f.node), f.text))
            unique.append(f)
    unique.sort(key=lambda f: (f.node.start_mark.line, f.node.start_mark.column))
    return [Problem(f.node, _bounded(f"{f.where}: {f.text}" if f.where else f.text)) for f in unique[:MAX_PROBLEMS]]


def _bounded(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
               "integer": "an integer", "boolean": "true or false", "null": "an empty value"}


def _expected_from_keyword(holder: dict[str, Any], keyword: str) -> str:
    if keyword == "type":
        types = holder.get("type")
        names = [types] if isinstance(types, str) else list(types or ())
        return " or ".join(_TYPE_WORDS.get(t, t) for t in names) or "another type"
    if keyword == "enum":
        return "one of " + ", ".join(str(v) for v in holder.get("enum", ()))
    if keyword == "const":
        return f"`{holder.get('const')}`"
    if keyword == "minLength":
        return "a non-empty string"
    return "something else"


def describe(value: Any) -> str:
    """A short human description of a data value (never a dump)."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, (int, float)):
        return f"the number {_short(str(value))}"
    if isinstance(value, str):
        return f"'{_short(value)}'" if value else "an empty string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def format_path(path: JsonPath) -> str:
    """``("jobs", "build", "steps", 0, "id")`` -> ``jobs.build.steps[0].id``."""
    out = []
    for comp in path:
        if isinstance(comp, int):
            out.append(f"[{comp}]")
        elif comp and comp.isascii() and all(c.isalnum() or c in "_-" for c in comp):
            out.append(f".{_short(comp)}" if out else _short(comp))
        else:
            out.append(f"[{_short(comp)!r}]")
    return "".join(out)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())  # one line, whatever the value held
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _suggest(word: str, candidates: list[str]) -> str | None:
    if not candidates:
        return None
    import difflib

    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


# ---------------------------------------------------------------------------
# Paths back to nodes

def _walk(root: Node, path: JsonPath) -> tuple[Node | None, Node | None]:
    """(key node, value node) at ``path``; as deep as the path still resolves."""
    key_node: Node | None = None
    node = root
    for comp in path:
        if node.id == "mapping" and isinstance(comp, str):
            hit = mapping_entries(node)[0].get(comp)
            if hit is None:
                break
            key_node, node = hit
        elif node.id == "sequence" and isinstance(comp, int) and 0 <= comp < len(node.value):
            key_node, node = None, node.value[comp]
        else:
            break
    return key_node, node


def _node_at(root: Node, path: JsonPath) -> Node | None:
    return _walk(root, path)[1]


def _key_or_node(root: Node, path: JsonPath) -> Node:
    """The key naming the value at ``path`` if it has one (``build:`` for a
    job), else the value itself (a list item, the document)."""
    key, node = _walk(root, path)
    return key if key is not None else (node if node is not None else root)


def _is_empty(node: Node) -> bool:
    return node.id == "scalar" and node.tag == _NULL and not node.value


def _data_at(data: Any, path: JsonPath) -> Any:
    for comp in path:
        try:
            data = data[comp]
        except (KeyError, IndexError, TypeError):
            return None
    return data
