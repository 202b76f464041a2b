"""fastyaml composes exactly what ruamel's C composer composes, or declines.

Declining is always safe (yamlio then asks ruamel); a different tree never
is, so every test here compares the two trees node for node: kind, tag,
value, style and both marks (line, column, index)."""
from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from pinflow import fastyaml, yamlio


def _ruamel(text: str) -> Any:
    loader = YAML(typ="safe", pure=False)
    loader.Resolver = yamlio._resolver_class()
    return loader.compose(text)


def _dump(node: Any) -> Any:
    def mark(m: Any) -> tuple[int, int, int]:
        return (m.line, m.column, m.index)

    head = (node.id, str(node.tag), mark(node.start_mark), mark(node.end_mark))
    if node.id == "scalar":
        return (*head, node.value, node.style)
    if node.id == "sequence":
        return (*head, [_dump(n) for n in node.value])
    return (*head, [(_dump(k), _dump(v)) for k, v in node.value])


def same_or_declined(text: str) -> bool:
    """True when fastyaml composed ``text`` (and then exactly as ruamel did)."""
    fast = fastyaml.compose(text)
    if fast is None:
        return False
    try:
        reference = _ruamel(text)
    except YAMLError as exc:
        raise AssertionError(f"fastyaml composed a document ruamel rejects: {exc}\n{text}") from None
    assert _dump(fast) == _dump(reference), text
    return True


# ---------------------------------------------------------------------------
# Documents workflows are made of: each must be composed, and identically.

HANDLED = [
    "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n",
    "---\non: [push, pull_request]\n",
    "# head\n\non:\n  push:\n    branches: [ main ]\n    tags: ['v*', \"x\"]\n",
    "a:\n- 1\n- two\n-\n- 'q''s'\nb: ~\n",
    "a:\n  - b: 1\n    c: 2\n  -   d: x   # c\n",
    "k: |\n  line 1\n\n    more\n  end\n\nnext: v\n",
    "k: |-\n  a\n  b\n\n\n",
    "k: |+\n  a\n\n\nz: 1\n",
    "k: >\n  folded\n  text\n\n  para\n    indented\n  back\n",
    "k: >-\n  a\n  b\n",
    "k: |2\n    two extra\n",
    "k: |\n  no final break",
    "k: |\n  x\n  ",
    "k: v\n  # deeper comment\nz: 1",
    "\"quoted key\": 'v'\n'sq': \"esc \\\" \\\\ \\n \\t \\x41 \\u00e9 \\U0001F600\"\n",
    "a: true\nb: False\nc: 1.5\nd: 0x1F\ne: .inf\nf: 2001-12-14\ng: null\nh: 1_000\ni: <<\nj: =\nk: -1\nl: +.5e3\n",
    "url: http://x:80/a#frag\nwith: a:b\nc: -v\nd: x -y\n",
    "empty: {}\nlist: []\nspaced: [ a , b ]\n",
    "üñí: ✓ value\nk: ✓\n",
    "a:\n\n\n  b: 1\n\n",
    "a:    \n  b: c\n",
    "- not a mapping root\n",
    "# header\n---\na: 1\n",
    "...x: 1\n",
    "a: b\xa0\nc: 'x'  \nd: [b\u3000]\n",  # YAML strips spaces and tabs, never other white space
    "a" * 1000 + " " * 24 + ": b\n",  # a key of exactly 1024 characters up to its ':'
]


@pytest.mark.parametrize("text", HANDLED)
def test_workflow_shapes_are_composed_like_ruamel(text: str) -> None:
    composed = same_or_declined(text)
    assert composed or text.startswith("- "), f"declined a plain document: {text!r}"


DECLINED = [
    "a: &x 1\nb: *x\n",                      # anchors and aliases
    "a: !!str 1\n",                          # tags
    "? a\n: b\n",                            # explicit keys
    "a: 'multi\n  line'\n",                  # multi-line quoted
    "a: plain\n  continued\n",               # multi-line plain
    "a: [1,\n  2]\n",                         # multi-line flow
    "a: {b: 1}\n",                           # flow mapping
    "a:\tb\n",                               # a tab
    "a: b\r\nc: d\r\n",                      # CR LF
    "%YAML 1.2\n---\na: 1\n",                # a directive
    "a: 1\n---\nb: 2\n",                     # two documents
    "a: b: c\n",                             # an error
    "a: 'x' y\n",                            # an error
    "a:\n  b: 1\n c: 2\n",                   # an error
    "\ufeffa: 1\n",                          # a BOM
    "",                                      # empty
    "a: 1 # c\x85b: 2\n",                    # NEL, LS and PS are line breaks to libyaml
    "a: 'x\u2028y'\n",
    "a: b\u2029c\n",
    "a: 'x'\xa0\n",                          # an error: \xa0 is not white space there
    "--- \xa0\na: 1\n",
    "... a: 1\n",                           # document markers anywhere else
    "a: 1\n... b: 2\n",
    "a: 1\n--- b: 2\n",
    "a:\n- x\n---\n",
    "a" + " " * 1100 + ": b\n",             # a key longer than 1024 characters up to its ':'
    "'a'" + " " * 1022 + ": b\n",
    "x:\n- a" + " " * 1100 + ": b\n",
    "# only a comment\n",
]


@pytest.mark.parametrize("text", DECLINED)
def test_what_is_outside_the_subset_is_declined(text: str) -> None:
    assert fastyaml.compose(text) is None


def test_yamlio_uses_it_and_falls_back_to_ruamel_with_the_same_result() -> None:
    plain, anchored = HANDLED[0], "on: push\njobs:\n  a: &j\n    runs-on: x\n  b: *j\n"
    assert isinstance(yamlio.compose(plain), fastyaml.Node)
    fallback = yamlio.compose(anchored)
    assert not isinstance(fallback, fastyaml.Node) and fallback is not None
    assert not isinstance(yamlio.compose(plain, fast=False), fastyaml.Node)
    with pytest.raises(yamlio.YamlProblem, match="mapping values"):
        yamlio.compose("a: b: c\n")  # ruamel still words the errors


# ---------------------------------------------------------------------------
# Generated documents.

_PLAIN_WORDS = st.sampled_from([
    "a", "run", "ubuntu-latest", "true", "False", "null", "~", "1", "-2", "0x1f", "0o7", "1_0", "1.5", ".5",
    "1e3", ".inf", ".NaN", "2001-12-14", "<<", "=", "-v", "a:b", "x -y", "http://h:1/p#f", "a b", "é✓",
    "${{ github.sha }}", "$X", "a,b", "[x", "x]", "a'b", 'a"b', "%", "@x", "`x`", "-", "?x", ":x",
])
_TEXT = st.text(st.sampled_from(list("ab1 -:#'\"[]{},.&*!|>%@`?\\é✓\t")), min_size=1, max_size=8)


@st.composite
def _scalar(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "plain", "word", "single", "double"]))
    if kind == "plain":
        return draw(_PLAIN_WORDS)
    if kind == "word":
        return draw(_TEXT)
    raw = draw(_TEXT)
    if kind == "single":
        return "'" + raw.replace("'", "''") + "'"
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def _block_scalar(draw: st.DrawFn, indent: int) -> list[str]:
    header = draw(st.sampled_from(["|", "|-", "|+", ">", ">-", ">+", "|2", "|1-", ">+1"]))
    base = indent + draw(st.integers(1, 3))
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        shape = draw(st.sampled_from(["text", "text", "blank", "spaces", "deeper", "comment"]))
        if shape == "text":
            lines.append(" " * base + draw(_TEXT).strip(" \t") or "x")
        elif shape == "blank":
            lines.append("")
        elif shape == "spaces":
            lines.append(" " * draw(st.integers(0, base + 2)))
        elif shape == "deeper":
            lines.append(" " * (base + draw(st.integers(1, 3))) + "y")
        else:
            lines.append(" " * draw(st.integers(0, base)) + "# c")
    return [header, *lines]


@st.composite
def _mapping(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(["a", "run", "on", "'q k'", '"d"', "true", "1", "k-2", "a b"]))
        if draw(st.booleans()):
            out.append(" " * indent + "# note")
        if draw(st.integers(0, 5)) == 0:
            out.append("")
        out.extend(_entry(draw, " " * indent + key + ":", indent, depth, in_mapping=True))
    return out


@st.composite
def _sequence(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        out.extend(_entry(draw, " " * indent + "-", indent, depth, in_mapping=False))
    return out


def _entry(draw: st.DrawFn, head: str, indent: int, depth: int, in_mapping: bool) -> list[str]:
    kind = draw(st.sampled_from(["scalar", "scalar", "empty", "flow", "block", "map", "seq", "compact"]
                                if depth < 3 else ["scalar", "empty", "flow", "block"]))
    comment = draw(st.sampled_from(["", "", "  # c", " #c"]))
    if kind == "scalar":
        return [f"{head} {draw(_scalar())}{comment}"]
    if kind == "empty":
        return [head + comment]
    if kind == "flow":
        items = draw(st.lists(_scalar(), max_size=3))
        return [f"{head} [{', '.join(items)}]{comment}"]
    if kind == "block":
        first, *rest = draw(_block_scalar(indent))
        return [f"{head} {first}", *rest]
    if kind == "compact" and not in_mapping:
        inner = draw(_mapping(indent + 2, depth + 1))
        return [head + " " + inner[0].lstrip(" "), *inner[1:]]
    step = draw(st.integers(0 if in_mapping and kind == "seq" else 1, 4))
    inner = draw(_sequence(indent + step, depth + 1) if kind == "seq" else _mapping(indent + max(step, 1), depth + 1))
    return [head + comment, *inner]


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = draw(_mapping(0, 0))
    if draw(st.integers(0, 6)) == 0:
        lines.insert(0, "---")
    text = "\n".join(lines)
    return text + draw(st.sampled_from(["\n", "\n", "", "\n\n", "\n# end\n", "\n  "]))


_SETTINGS = settings(max_examples=int(os.environ.get("PINFLOW_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(documents())
@example("a: |\n  x\n\n  \n")
@example("a: [1?]\n")
@example("---\n\na:\n\n   a: a\n  ")
def test_generated_documents_compose_like_ruamel(text: str) -> None:
    same_or_declined(text)


@_SETTINGS
@given(documents(), st.data())
def test_mutated_documents_compose_like_ruamel_or_are_declined(text: str, data: st.DataObject) -> None:
    # Mutations make errors and odd corners: fastyaml must decline every
    # document ruamel rejects, and compose the rest as ruamel does.
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(chars)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        new = data.draw(st.sampled_from(list(" \n-:#'\"[]{},|>&*!?%@`\\\tx1")))
        if op == "insert" or not chars:
            chars.insert(at, new)
        elif at < len(chars):
            if op == "delete":
                del chars[at]
            else:
                chars[at] = new
    same_or_declined("".join(chars))


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("0123456789+-._eExXoObB:TtZ nNuUlLfFaAsS~<=")), min_size=1, max_size=12))
@example("1_0")
@example("2001-12-14 1:02:03.5 +1")
def test_plain_scalar_tags_match_ruamels_resolver(value: str) -> None:
    text = f"k: {value}\n"
    try:
        reference = _ruamel(text)
    except YAMLError:
        return
    node = reference.value[0][1]
    if node.id == "scalar" and node.style in ("", None) and node.value == value:
        assert fastyaml.resolve(value) == str(node.tag), value
