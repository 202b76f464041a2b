from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinflow.expressions import (
    UNKNOWN,
    Binary,
    Call,
    Context,
    Embedded,
    ExprError,
    Filter,
    Index,
    Literal,
    Logical,
    Node,
    Not,
    can_run_after_failure,
    canonical_path,
    contexts_used,
    effective_condition,
    evaluate,
    find_embedded,
    has_status_check,
    implies_ref,
    is_status_call,
    is_template_string,
    parse,
    parse_condition,
    truth,
    unparse,
    walk,
)


def strip(node: Any) -> Any:
    """The tree with every offset set to 0, to compare shapes."""
    values = []
    for name, value in zip(node._fields, node):
        if name == "offset":
            value = 0
        elif hasattr(value, "_fields"):
            value = strip(value)
        elif isinstance(value, tuple) and value and hasattr(value[0], "_fields"):
            value = tuple(strip(v) for v in value)
        values.append(value)
    return type(node)(*values)


def shape(source: str) -> Any:
    return strip(parse(source))


def ctx(*path: str) -> Context:
    return Context(tuple(path))


def lit(value: Any) -> Literal:
    return Literal(value)


# --- literals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    (
        ("null", None),
        ("true", True),
        ("false", False),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("0xff", 255),
        ("0XFF", 255),
        ("-0x10", -16),
        ("1.5", 1.5),
        ("-2.25", -2.25),
        ("1e3", 1000.0),
        ("1E-2", 0.01),
        ("2.5e+2", 250.0),
        ("''", ""),
        ("'main'", "main"),
        ("'it''s'", "it's"),
        ("''''", "'"),
        ("'a}}b'", "a}}b"),
        ("'${{ x }}'", "${{ x }}"),
        ("'é ✓'", "é ✓"),
    ),
)
def test_literals(source: str, value: Any) -> None:
    node = parse(source)
    assert type(node) is Literal
    assert node.value == value
    assert type(node.value) is type(value)


def test_number_types_follow_the_token() -> None:
    assert type(parse("10").value) is int  # type: ignore[union-attr]
    assert type(parse("10.0").value) is float  # type: ignore[union-attr]
    assert parse("1e999").value == math.inf  # type: ignore[union-attr]


def test_keywords_are_case_sensitive() -> None:
    # TRUE is not the keyword: it is a (nonexistent) context named "true"
    assert shape("TRUE") == ctx("true")
    assert shape("Null") == ctx("null")


# --- contexts and access ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "path"),
    (
        ("github.ref", ("github", "ref")),
        ("GitHub.Ref", ("github", "ref")),
        ("needs.publish.outputs.digest", ("needs", "publish", "outputs", "digest")),
        ("needs.build-image.outputs.image_digest", ("needs", "build-image", "outputs", "image_digest")),
        ("secrets['X']", ("secrets", "x")),
        ("secrets['MY-TOKEN']", ("secrets", "my-token")),
        ("matrix.target", ("matrix", "target")),
        ("a.b['c'].d", ("a", "b", "c", "d")),
        ("steps.*.outputs", ("steps", "*", "outputs")),
        ("github.event.issue.labels.*.name", ("github", "event", "issue", "labels", "*", "name")),
        ("_private", ("_private",)),
        ("gitea.ref_name", ("gitea", "ref_name")),
        ("github.event['pull request']", ("github", "event", "pull request")),
        ("(github).ref", ("github", "ref")),
    ),
)
def test_context_paths(source: str, path: tuple[str, ...]) -> None:
    assert shape(source) == Context(path)


def test_computed_index_stays_an_index() -> None:
    assert shape("matrix[inputs.key]") == Index(ctx("matrix"), ctx("inputs", "key"))
    assert shape("needs[inputs.job].result") == Index(Index(ctx("needs"), ctx("inputs", "job")), lit("result"))
    assert shape("fromJSON(x)[0]") == Index(Call("fromjson", (ctx("x"),)), lit(0))
    assert shape("fromJSON(x).Name") == Index(Call("fromjson", (ctx("x"),)), lit("name"))
    assert shape("fromJSON(x).*.id") == Index(Filter(Call("fromjson", (ctx("x"),))), lit("id"))
    # a literal '*' key is a key named "*", not an object filter
    assert shape("a['*']") == Index(ctx("a"), lit("*"))


def test_calls() -> None:
    assert shape("success()") == Call("success", ())
    assert shape("toJson(github)") == shape("TOJSON(github)") == Call("tojson", (ctx("github"),))
    assert shape("contains(github.ref, 'main')") == Call("contains", (ctx("github", "ref"), lit("main")))
    assert shape("format('{0}-{1}', a, fromJSON('[1]')[0])") == Call(
        "format", (lit("{0}-{1}"), ctx("a"), Index(Call("fromjson", (lit("[1]"),)), lit(0)))
    )
    assert shape("hashFiles('**/go.sum', '**/x')") == Call("hashfiles", (lit("**/go.sum"), lit("**/x")))


# --- precedence ----------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    assert shape("a || b && c") == Logical("||", ctx("a"), Logical("&&", ctx("b"), ctx("c")))
    assert shape("a && b || c") == Logical("||", Logical("&&", ctx("a"), ctx("b")), ctx("c"))


def test_comparison_binds_tighter_than_and() -> None:
    assert shape("a == 'x' && b != 1") == Logical("&&", Binary("==", ctx("a"), lit("x")), Binary("!=", ctx("b"), lit(1)))


def test_relational_binds_tighter_than_equality() -> None:
    assert shape("a == b < c") == Binary("==", ctx("a"), Binary("<", ctx("b"), ctx("c")))
    assert shape("a >= b != c <= d") == Binary("!=", Binary(">=", ctx("a"), ctx("b")), Binary("<=", ctx("c"), ctx("d")))


def test_not_binds_tighter_than_comparison() -> None:
    assert shape("!a == b") == Binary("==", Not(ctx("a")), ctx("b"))
    assert shape("!(a == b)") == Not(Binary("==", ctx("a"), ctx("b")))
    assert shape("!a.b[0]") == Not(Index(ctx("a", "b"), lit(0)))
    assert shape("!!a") == Not(Not(ctx("a")))


def test_operators_are_left_associative() -> None:
    assert shape("a && b && c") == Logical("&&", Logical("&&", ctx("a"), ctx("b")), ctx("c"))
    assert shape("a == b == c") == Binary("==", Binary("==", ctx("a"), ctx("b")), ctx("c"))


def test_parentheses_override() -> None:
    assert shape("(a || b) && c") == Logical("&&", Logical("||", ctx("a"), ctx("b")), ctx("c"))


def test_whitespace_and_newlines() -> None:
    assert shape("  github.ref\n  ==\t'refs/heads/main'\r\n") == Binary("==", ctx("github", "ref"), lit("refs/heads/main"))


# --- offsets -------------------------------------------------------------------


def test_node_offsets_point_at_their_text() -> None:
    source = "success() && github.ref == 'refs/heads/main'"
    node = parse(source)
    assert isinstance(node, Logical) and node.offset == 0
    assert node.left.offset == 0
    cmp = node.right
    assert isinstance(cmp, Binary)
    assert cmp.offset == source.index("github")
    assert cmp.right.offset == source.index("'refs")
    assert parse("!x").offset == 0
    assert parse("  !x").operand.offset == 3  # type: ignore[union-attr]


def test_base_shifts_every_offset() -> None:
    node = parse("a || b", base=10)
    assert [n.offset for n in walk(node)] == [10, 10, 15]
    with pytest.raises(ExprError) as exc:
        parse("a ||", base=10)
    assert exc.value.offset == 14


# --- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "offset", "words"),
    (
        ('env.OS == "macos"', 10, "single quotes"),
        ("1 + 1", 2, "arithmetic"),
        ("toJson(hashFiles('**/lock', '**/cache/')", 40, "')'"),
        ("github.event.", 13, "property name"),
        ("github.event. ", 14, "property name"),
        ("a = b", 2, "'=='"),
        ("a & b", 2, "'&&'"),
        ("a | b", 2, "'||'"),
        ("'unterminated", 0, "unterminated string"),
        ("a == 'x", 5, "unterminated string"),
        ("", 0, "empty"),
        ("   ", 3, "empty"),
        ("a b", 2, "end of the expression"),
        ("a[1", 3, "']'"),
        ("(a", 2, "')'"),
        ("f(a b)", 4, "','"),
        ("f(a,)", 4, "a value"),
        ("f(,a)", 2, "a value"),
        ("01", 0, "invalid number"),
        ("1abc", 0, "invalid number"),
        ("0x", 0, "invalid number"),
        ("1.", 0, "invalid number"),
        ("1.2.3", 0, "invalid number"),
        (".5", 0, "a value"),
        ("-a", 0, "sign of a number"),
        ("a - b", 2, "sign of a number"),
        ("a..b", 2, "property name"),
        ("a.1", 2, "property name"),
        ("}", 0, "'}}'"),
        ("a }}", 2, "'}}'"),
        ("a)", 1, "end of the expression"),
        ("!", 1, "a value"),
        ("a ==", 4, "a value"),
        ("a ===", 4, "'=='"),
        ("a && || b", 5, "a value"),
        ("github.ref()", 10, "end of the expression"),
        ("a[*]", 2, "a value"),
        ("#", 0, "unexpected character"),
        ("a ? b : c", 2, "unexpected character"),
        ("ö", 0, "unexpected character"),
    ),
)
def test_syntax_errors(source: str, offset: int, words: str) -> None:
    with pytest.raises(ExprError) as exc:
        parse(source)
    assert exc.value.offset == offset
    assert words in exc.value.message
    assert str(exc.value).startswith(exc.value.message)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("(" * 2000 + "a" + ")" * 2000)
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("!" * 2000 + "a")
    with pytest.raises(ExprError, match="nested too deeply"):
        parse(" || ".join(["a"] * 5000))
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("f(" * 500 + ")" * 500)


def test_realistic_sizes_parse() -> None:
    long_or = " || ".join(f"github.event_name == 'e{i}'" for i in range(40))
    node = parse(long_or)
    assert len([n for n in walk(node) if type(n) is Binary]) == 40
    assert type(parse("(" * 20 + "a" + ")" * 20)) is Context


# --- find_embedded ----------------------------------------------------------------


def test_find_embedded_basic() -> None:
    text = "echo ${{ github.ref }} and ${{needs.a.outputs.b}}!"
    found = find_embedded(text)
    assert found == [
        Embedded(5, 22, " github.ref "),
        Embedded(27, 49, "needs.a.outputs.b"),
    ]
    for emb in found:
        assert text[emb.start:emb.end] == "${{" + emb.source + "}}"
        assert text[emb.source_offset:emb.end - 2] == emb.source


def test_find_embedded_skips_braces_inside_strings() -> None:
    text = "x=${{ format('{0}}}', x) }} y"
    (emb,) = find_embedded(text)
    assert emb.source == " format('{0}}}', x) "
    assert text[emb.end:] == " y"
    assert shape(emb.source) == Call("format", (lit("{0}}}"), ctx("x")))


def test_find_embedded_escaped_quote_then_braces() -> None:
    (emb,) = find_embedded("${{ 'it''s }}' == x }}")
    assert parse(emb.source).left.value == "it's }}"  # type: ignore[union-attr]


def test_find_embedded_none_and_near_misses() -> None:
    assert find_embedded("") == []
    assert find_embedded("plain $HOME {{ not }} $ {{ x }} ${ x }") == []
    assert find_embedded("}} ${{ a }} }}") == [Embedded(3, 11, " a ")]


def test_find_embedded_first_closing_braces_win() -> None:
    assert find_embedded("${{ a }}}") == [Embedded(0, 8, " a ")]
    assert find_embedded("${{}}") == [Embedded(0, 5, "")]
    with pytest.raises(ExprError, match="empty"):
        parse("")


@pytest.mark.parametrize(
    ("text", "offset"),
    (
        ("echo ${{ github.ref", 5),
        ("${{ a }} ${{ b }", 9),
        ("${{ 'a }}", 0),
        ("${{ x == 'y' }} ${{ 'unclosed }}", 16),
    ),
)
def test_find_embedded_unterminated(text: str, offset: int) -> None:
    with pytest.raises(ExprError) as exc:
        find_embedded(text)
    assert exc.value.offset == offset
    assert "not closed" in exc.value.message


def test_embedded_offsets_map_into_the_text() -> None:
    text = "run: curl -H 'x: ${{ secrets.TOKEN }}' ${{ needs.publish.outputs.digest }}"
    paths = []
    for emb in find_embedded(text):
        node = parse(emb.source, base=emb.source_offset)
        assert type(node) is Context
        assert text[node.offset:].lower().startswith(node.path[0])
        paths.append(node.path)
    assert paths == [("secrets", "token"), ("needs", "publish", "outputs", "digest")]
    bad = "a ${{ x == \"y\" }}"
    (emb,) = find_embedded(bad)
    with pytest.raises(ExprError) as exc:
        parse(emb.source, base=emb.source_offset)
    assert bad[exc.value.offset] == '"'


# --- parse_condition --------------------------------------------------------------


def test_condition_bare_and_wrapped_are_the_same_expression() -> None:
    bare = parse_condition("github.ref == 'refs/heads/main'")
    wrapped = parse_condition("${{ github.ref == 'refs/heads/main' }}")
    assert bare is not None and wrapped is not None
    assert strip(bare) == strip(wrapped) == Binary("==", ctx("github", "ref"), lit("refs/heads/main"))
    assert wrapped.offset == 4  # offsets index the whole value


@pytest.mark.parametrize("value", ("", "   ", "\n"))
def test_blank_condition_is_no_condition(value: str) -> None:
    assert parse_condition(value) is None


def test_condition_with_text_outside_is_a_format_string() -> None:
    node = parse_condition("${{ github.ref == 'refs/heads/main' }} && ${{ success() }}")
    assert node is not None and is_template_string(node)
    assert strip(node) == Call(
        "format", (lit("{0} && {1}"), Binary("==", ctx("github", "ref"), lit("refs/heads/main")), Call("success", ()))
    )
    assert node.args[1].offset == 4  # type: ignore[union-attr]
    assert node.args[2].offset == 46  # type: ignore[union-attr]


def test_condition_prefix_text_and_braces_are_escaped() -> None:
    node = parse_condition("true && {x} ${{ inputs.go }}")
    assert strip(node) == Call("format", (lit("true && {{x}} {0}"), ctx("inputs", "go")))
    # whatever inputs.go is, the string is non-empty: always true
    assert truth(node, {"inputs": {"go": False}}) is True  # type: ignore[arg-type]
    assert truth(node, {}) is True  # type: ignore[arg-type]
    assert evaluate(node, {"inputs": {"go": False}}) == "true && {x} false"  # type: ignore[arg-type]


def test_condition_with_trailing_newline_is_a_string_too() -> None:
    # `if: |` keeps the newline: GitHub and act see text outside the braces
    node = parse_condition("${{ false }}\n")
    assert is_template_string(node)
    assert truth(node, {}) is True  # type: ignore[arg-type]


def test_condition_errors_have_offsets_into_the_value() -> None:
    value = "${{ a }} && ${{ b = c }}"
    with pytest.raises(ExprError) as exc:
        parse_condition(value)
    assert value[exc.value.offset] == "="
    with pytest.raises(ExprError):
        parse_condition("${{ github.ref == 'x'")
    with pytest.raises(ExprError):
        parse_condition("github.ref = 'x'")


def test_user_written_format_is_not_a_template_string() -> None:
    assert not is_template_string(parse_condition("${{ format('{0}', x) }}"))
    assert not is_template_string(parse_condition("success()"))


# --- unparse ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "canonical"),
    (
        ("GitHub.Ref=='refs/heads/main'", "github.ref == 'refs/heads/main'"),
        ("secrets['MY_TOKEN']", "secrets.my_token"),
        ("github.event['a b'].c", "github.event['a b'].c"),
        ("a && (b || c)", "a && (b || c)"),
        ("(a && b) || c", "a && b || c"),
        ("a || (b || c)", "a || (b || c)"),
        ("!(a == b)", "!(a == b)"),
        ("startswith(github.ref, 'x')", "startsWith(github.ref, 'x')"),
        ("tojson(fromjson('[1]').*)", "toJSON(fromJSON('[1]').*)"),
        ("'it''s'", "'it''s'"),
        ("(a || b)[0]", "(a || b)[0]"),
        ("0x10 < 1e3", "16 < 1000.0"),
    ),
)
def test_unparse(source: str, canonical: str) -> None:
    assert unparse(parse(source)) == canonical
    assert shape(canonical) == shape(source)


# --- evaluation: GitHub's value rules ---------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    (
        ("'ABC' == 'abc'", True),
        ("'refs/heads/Main' != 'refs/heads/main'", False),
        ("1 == '1'", True),
        ("1 == '1.0'", True),
        ("'0x10' == 16", True),
        ("null == 0", True),
        ("null == ''", True),
        ("true == 1", True),
        ("false == ''", True),
        ("'' == 0", True),
        ("'abc' == 0", False),
        ("'abc' != 0", True),
        ("2 < 10", True),
        ("'2' < '10'", False),
        ("'b' > 'A'", True),
        ("'abc' < 1", False),
        ("'abc' >= 1", False),
        ("null == null", True),
        ("fromJSON('[]') == fromJSON('[]')", False),
        ("fromJSON('{}') != fromJSON('{}')", True),
        ("!''", True),
        ("!'false'", False),
        ("!0", True),
        ("!-0.0", True),
        ("!null", True),
        ("!fromJSON('[]')", False),
        ("'' || 'x'", "x"),
        ("'a' && 'b'", "b"),
        ("0 && 'b'", 0),
        ("null || null", None),
        ("contains('Hello world', 'WORLD')", True),
        ("contains(fromJSON('[\"a\", \"B\"]'), 'b')", True),
        ("contains(fromJSON('[1, 2]'), '2')", True),
        ("contains(fromJSON('[1, 2]'), 3)", False),
        ("startsWith('refs/heads/Main', 'REFS/heads/main')", True),
        ("endsWith('image:1.0', ':1.0')", True),
        ("endsWith('image:1.0', ':1.1')", False),
        ("format('{0}-{1}-{{x}}', 'a', 1)", "a-1-{x}"),
        ("format('{0}', true)", "true"),
        ("format('{0}', null)", ""),
        ("format('{1}', 'a')", UNKNOWN),
        ("format('{0', 'a')", UNKNOWN),
        ("join(fromJSON('[\"a\", \"b\"]'), ', ')", "a, b"),
        ("join(fromJSON('[\"a\", \"b\"]'))", "a,b"),
        ("join('solo')", "solo"),
        ("fromJSON('{\"Key\": [10, 20]}').key[1]", 20),
        ("fromJSON('[1, 2]')[5]", None),
        ("fromJSON('[{\"n\": 1}, {\"n\": 2}, {}]').*.n", [1, 2]),
        ("fromJSON('not json')", UNKNOWN),
        ("hashFiles('**/go.sum')", UNKNOWN),
        ("nosuchfunction(1)", UNKNOWN),
        ("toJSON(fromJSON('[1]'))", "[\n  1\n]"),
    ),
)
def test_evaluate_follows_github_rules(source: str, expected: Any) -> None:
    assert evaluate(parse(source), {}) == expected


def test_evaluate_contexts_are_case_insensitive_and_unknown_when_absent() -> None:
    contexts = {"github": {"ref": "refs/heads/main", "event": {"Action": "opened"}}}
    assert evaluate(parse("GITHUB.REF"), contexts) == "refs/heads/main"
    assert evaluate(parse("github.event.action"), contexts) == "opened"
    assert evaluate(parse("gitea.ref"), contexts) == "refs/heads/main"
    assert evaluate(parse("github.missing"), contexts) is None  # plain data: missing is null
    assert evaluate(parse("vars.anything"), contexts) is UNKNOWN
    needs = {"needs": {"a": {"result": "success"}, "b": {"result": "failure"}}}
    assert evaluate(parse("needs.*.result"), needs) == ["success", "failure"]
    assert evaluate(parse("contains(needs.*.result, 'failure')"), needs) is True


def test_status_functions() -> None:
    for status in ("success", "failure", "cancelled"):
        assert evaluate(parse("always()"), {}, status) is True
        assert evaluate(parse("success()"), {}, status) is (status == "success")
        assert evaluate(parse("failure()"), {}, status) is (status == "failure")
        assert evaluate(parse("cancelled()"), {}, status) is (status == "cancelled")


@pytest.mark.parametrize(
    ("source", "expected"),
    (
        ("inputs.x && false", False),
        ("false && inputs.x", False),
        ("inputs.x || true", True),
        ("true || inputs.x", True),
        ("inputs.x && true", None),
        ("inputs.x || false", None),
        ("!inputs.x", None),
        ("!(inputs.x && false)", True),
        ("inputs.x == 'a'", None),
        ("toJSON(inputs.x)", True),
    ),
)
def test_truth_is_three_valued(source: str, expected: bool | None) -> None:
    assert truth(parse(source), {}) is expected


# --- walking -----------------------------------------------------------------


def test_contexts_used() -> None:
    node = parse("needs.publish.outputs.digest != '' && secrets['PROMOTE_TOKEN'] && needs.publish.outputs.digest && matrix[inputs.k]")
    assert contexts_used(node) == [
        ("needs", "publish", "outputs", "digest"),
        ("secrets", "promote_token"),
        ("matrix",),
        ("inputs", "k"),
    ]
    assert contexts_used(parse("format('{0}', steps.*.outputs.x)")) == [("steps", "*", "outputs", "x")]
    assert contexts_used(parse("'github.ref'")) == []


def test_canonical_path() -> None:
    assert canonical_path(("gitea", "ref")) == ("github", "ref")
    assert canonical_path(("github", "ref")) == ("github", "ref")
    assert canonical_path(("inputs", "gitea")) == ("inputs", "gitea")


def test_status_checks() -> None:
    assert is_status_call(parse("Always()"))
    assert not is_status_call(parse("contains(a, b)"))
    assert has_status_check(parse("github.ref == 'x' && !cancelled()"))
    assert has_status_check(parse("contains(format('{0}', failure()), 'true')"))
    assert not has_status_check(parse("needs.a.result == 'failure'"))
    assert not has_status_check(None)


def test_effective_condition_adds_implicit_success() -> None:
    assert strip(effective_condition(None)) == Call("success", ())
    cond = parse("github.ref == 'x'")
    assert strip(effective_condition(cond)) == Logical("&&", Call("success", ()), strip(cond))
    explicit = parse("always() && github.ref == 'x'")
    assert effective_condition(explicit) is explicit


# --- implies_ref ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "holds"),
    (
        ("github.ref == 'refs/heads/main'", True),
        ("${{ github.ref == 'refs/heads/main' }}", True),
        ("'refs/heads/main' == github.ref", True),
        ("github.ref_name == 'main'", True),
        ("gitea.ref == 'refs/heads/main'", True),
        ("gitea.ref_name == 'main'", True),
        ("GitHub.Ref == 'refs/heads/MAIN'", True),  # == ignores case on GitHub and in act
        ("success() && github.ref == 'refs/heads/main'", True),
        ("github.event_name == 'push' && github.ref == 'refs/heads/main'", True),
        ("!(github.ref != 'refs/heads/main')", True),
        ("github.ref == 'refs/heads/main' && inputs.anything", True),
        ("github.ref == 'refs/heads/main' && (github.event_name == 'push' || github.event_name == 'workflow_dispatch')", True),
        ("always() && github.ref == 'refs/heads/main'", True),
        ("github.event.ref == 'refs/heads/main' && github.event_name == 'push'", True),
        ("false", True),  # never runs at all
        ("startsWith(github.ref, 'refs/heads/main')", False),
        ("contains(github.ref, 'main')", False),
        ("endsWith(github.ref, 'main')", True),
        ("github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch'", False),
        ("github.ref != 'refs/heads/main'", False),
        ("github.ref == 'refs/heads/dev'", False),
        ("github.ref_name == 'develop'", False),
        ("github.base_ref == 'main'", False),  # a PR *into* main
        ("github.event_name == 'push'", False),
        ("github.event_name != 'pull_request'", False),
        ("github.event_name == 'release'", False),
        ("startsWith(github.ref, 'refs/tags/')", False),
        ("github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/')", False),
        ("github.ref == 'refs/heads/main' || failure()", False),
        ("always()", False),
        ("success()", False),
        ("${{ github.ref == 'refs/heads/main' }} && ${{ true }}", False),
        ("true && ${{ github.ref == 'refs/heads/main' }}", False),
        ("github.ref == vars.MAIN_REF", None),
        ("inputs.publish", None),
        ("github.ref == 'refs/heads/main' || inputs.force", None),
        ("github.repository == 'org/repo'", None),
    ),
)
def test_implies_ref(value: str, holds: bool | None) -> None:
    verdict = implies_ref(parse_condition(value), "main")
    assert verdict.holds is holds, verdict.reason
    assert verdict.reason


def test_implies_ref_without_if() -> None:
    verdict = implies_ref(None, "main")
    assert verdict.holds is False
    assert "no `if:`" in verdict.reason


def test_implies_ref_other_branch_names() -> None:
    cond = parse_condition("github.ref == 'refs/heads/release'")
    assert implies_ref(cond, "release").holds is True
    assert implies_ref(cond, "refs/heads/release").holds is True
    assert implies_ref(cond, "main").holds is False
    assert implies_ref(parse_condition("github.ref_name == 'main'"), "master").holds is False


def test_implies_ref_reasons_name_the_escape() -> None:
    reason = implies_ref(parse_condition("github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch'"), "main").reason
    assert "`||` lets github.event_name == 'workflow_dispatch' through without the branch check" in reason
    reason = implies_ref(parse_condition("startsWith(github.ref, 'refs/heads/main')"), "main").reason
    assert "refs/heads/main-x" in reason and "startsWith(github.ref, 'refs/heads/main')" in reason
    reason = implies_ref(parse_condition("github.base_ref == 'main'"), "main").reason
    assert "refs/pull/1/merge (pull_request)" in reason
    reason = implies_ref(parse_condition("${{ github.ref == 'refs/heads/main' }} && ${{ true }}"), "main").reason
    assert "outside `${{ }}`" in reason
    reason = implies_ref(parse_condition("github.ref == vars.MAIN_REF"), "main").reason
    assert "vars.main_ref" in reason


# --- can_run_after_failure --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "holds"),
    (
        ("always()", True),
        ("failure()", True),
        ("!cancelled()", True),
        ("cancelled()", True),
        ("success() || failure()", True),
        ("always() && github.ref == 'refs/heads/main'", True),
        ("github.ref == 'refs/heads/main' || always()", True),
        ("${{ always() }} && ${{ github.ref == 'refs/heads/main' }}", True),
        ("success()", False),
        ("success() && inputs.x", False),
        ("github.ref == 'refs/heads/main'", False),  # implicit success()
        ("needs.publish.result == 'failure'", False),  # no status function: implicit success()
        ("${{ github.ref == 'refs/heads/main' }} && ${{ inputs.x }}", False),
        ("!failure() && !cancelled()", False),
        ("always() && inputs.x", None),
        ("always() && needs.publish.result == 'success'", None),  # needs unknown
    ),
)
def test_can_run_after_failure(value: str, holds: bool | None) -> None:
    verdict = can_run_after_failure(parse_condition(value))
    assert verdict.holds is holds, verdict.reason
    assert verdict.reason


def test_can_run_after_failure_without_if() -> None:
    verdict = can_run_after_failure(None)
    assert verdict.holds is False
    assert "success()" in verdict.reason


def test_can_run_after_failure_models_needs_when_given() -> None:
    guarded = parse_condition("always() && needs.publish.result == 'success'")
    assert can_run_after_failure(guarded, needs=["publish"]).holds is False
    # with two needs, build may be the one that failed while publish succeeded
    assert can_run_after_failure(guarded, needs=["build", "publish"]).holds is True
    no_failure = parse_condition("always() && !contains(needs.*.result, 'failure')")
    assert can_run_after_failure(no_failure).holds is None
    # a cancelled needed job is not a 'failure' result: this still runs then
    verdict = can_run_after_failure(no_failure, needs=["publish"])
    assert verdict.holds is True and "cancelled" in verdict.reason
    strict = parse_condition("always() && !contains(needs.*.result, 'failure') && !contains(needs.*.result, 'cancelled')")
    assert can_run_after_failure(strict, needs=["publish", "test"]).holds is False


def test_can_run_after_failure_reasons() -> None:
    assert "implicit" not in can_run_after_failure(parse_condition("always()")).reason
    assert "`always()` is true when a needed job failed" in can_run_after_failure(parse_condition("always()")).reason
    reason = can_run_after_failure(parse_condition("github.ref == 'refs/heads/main'")).reason
    assert "success() && (github.ref == 'refs/heads/main')" in reason
    assert "inputs.x" in can_run_after_failure(parse_condition("always() && inputs.x")).reason


# --- properties ---------------------------------------------------------------

_NAMES = st.from_regex(r"[a-z_][a-z0-9_-]{0,5}", fullmatch=True)
_ROOTS = _NAMES.filter(lambda s: s not in ("null", "true", "false"))
_KEYS = st.one_of(_NAMES, st.just("*"), st.text(max_size=6).filter(lambda s: s == s.lower() and s != "*"))
_LITERALS = st.builds(
    lambda value: Literal(value),
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False),
        st.text(max_size=8),
    ),
)
_CONTEXTS = st.builds(lambda root, keys: Context((root, *keys)), _ROOTS, st.lists(_KEYS, max_size=4))


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def index(obj: Node, key: Node) -> Node:
        if type(obj) is Context and type(key) is Literal and type(key.value) is str and key.value != "*":
            key = Literal(0)  # such an index folds into the Context path: not a canonical tree
        return Index(obj, key)

    return st.one_of(
        st.builds(index, children, children),
        st.builds(lambda obj: Filter(obj), children.filter(lambda n: type(n) is not Context)),
        st.builds(lambda name, args: Call(name, tuple(args)), st.sampled_from(["contains", "startswith", "format", "success", "x-y"]), st.lists(children, max_size=3)),
        st.builds(lambda operand: Not(operand), children),
        st.builds(lambda op, a, b: Binary(op, a, b), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(lambda op, a, b: Logical(op, a, b), st.sampled_from(["&&", "||"]), children, children),
    )


TREES = st.recursive(st.one_of(_LITERALS, _CONTEXTS), _extend, max_leaves=12)


@given(TREES)
def test_unparse_parse_round_trip(tree: Node) -> None:
    assert shape(unparse(tree)) == tree


_SOUP = st.lists(
    st.sampled_from(
        [
            "github", ".", "ref", "*", "[", "]", "(", ")", ",", "!", "<", "<=", ">", ">=", "==", "!=", "&&", "||",
            "'x'", "''", "'", "1", "-", "0x1f", "1.5e3", "true", "null", "success", "contains", "=", "&", "|",
            "}", "}}", "{", '"', "+", "-1", "a-b", "_", " ",
        ]
    ),
    max_size=30,
)


@given(_SOUP, st.sampled_from(["", " "]))
def test_token_soup_only_raises_expr_error(tokens: list[str], sep: str) -> None:
    source = sep.join(tokens)
    try:
        node = parse(source)
    except ExprError as exc:
        assert 0 <= exc.offset <= len(source)
    else:
        assert shape(unparse(node)) == strip(node)


@given(st.text(max_size=40))
def test_any_text_only_raises_expr_error(source: str) -> None:
    try:
        parse(source)
    except ExprError as exc:
        assert 0 <= exc.offset <= len(source)


@given(st.lists(st.sampled_from(["${{", "}}", "}", "'", "''", " a ", "$", "{{", "x"]), max_size=20).map("".join))
def test_find_embedded_spans(text: str) -> None:
    try:
        found = find_embedded(text)
    except ExprError as exc:
        assert text.startswith("${{", exc.offset)
        return
    last = 0
    for emb in found:
        assert emb.start >= last
        assert text[emb.start:emb.end] == "${{" + emb.source + "}}"
        last = emb.end
    assert "${{" not in text[last:]


@settings(max_examples=60)
@given(TREES)
def test_anything_and_the_branch_check_implies_the_branch(tree: Node) -> None:
    guard = parse("github.ref == 'refs/heads/main'")
    assert implies_ref(Logical("&&", tree, guard), "main").holds is True
    assert implies_ref(Logical("&&", guard, tree), "main").holds is True


@settings(max_examples=60)
@given(TREES)
def test_double_negation_changes_no_verdict(tree: Node) -> None:
    assert implies_ref(Not(Not(tree)), "main").holds is implies_ref(tree, "main").holds
    assert can_run_after_failure(Not(Not(tree))).holds is can_run_after_failure(tree).holds
