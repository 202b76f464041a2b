"""The built-in templates compiled to Python: committed as generated, used
only while current, and rendering exactly what jinja2 renders from the sources."""
from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import configs, toml_document

from pinflow import config as config_mod
from pinflow import precompiled, render
from pinflow._prebuilt import templates

GOLDEN = Path(__file__).resolve().parent / "golden"
CONFIGS = sorted(p.name for p in GOLDEN.glob("*.toml"))


def test_committed_module_is_what_the_generator_writes() -> None:
    wanted = precompiled.generate()
    folder = Path(precompiled.FOLDER)
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file()}
    assert on_disk == wanted, "stale: run `python -m pinflow.precompiled`"


def _both_ways(cfg: config_mod.Config) -> tuple[str | None, str]:
    variables = render._variables(cfg)
    return render._render_builtin(cfg, variables), render._render_jinja(cfg, variables)


@pytest.mark.parametrize("name", [None, *CONFIGS])
def test_compiled_and_jinja_render_the_same_golden_text(tmp_path: Path, name: str | None) -> None:
    cfg = (config_mod.load_config(str(GOLDEN / name), cwd=tmp_path) if name
           else config_mod.load_config(template_name="codex", cwd=tmp_path))
    compiled, from_source = _both_ways(cfg)
    assert compiled == from_source and "promote-pin" in from_source


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(configs())
def test_compiled_and_jinja_render_the_same_text_for_any_valid_config(tmp_path: Path, data: dict[str, Any]) -> None:
    (tmp_path / "pinflow.toml").write_text(toml_document(data))
    compiled, from_source = _both_ways(config_mod.load_config(cwd=tmp_path))
    assert compiled == from_source


def test_the_promote_jobs_snippet_comes_from_the_compiled_module_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config_mod.load_config(template_name="codex", cwd=tmp_path)
    compiled = render.render_promote_jobs(cfg, "build", None)
    monkeypatch.setitem(templates.SOURCES, "publish-image.yml.j2", "stale")
    assert precompiled.renderer() is None
    assert render.render_promote_jobs(cfg, "build", None) == compiled


def test_a_template_edited_since_falls_back_to_jinja(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert precompiled.renderer() is templates.render  # current: used
    cfg = config_mod.load_config(template_name="codex", cwd=tmp_path)
    for name in precompiled.TEMPLATES:
        with monkeypatch.context() as m:
            m.setitem(templates.SOURCES, name, "0" * 32)
            assert precompiled.renderer() is None
            assert render._render_builtin(cfg, render._variables(cfg)) is None
            assert "promote-pin" in render._render(cfg, render._variables(cfg))  # jinja2 renders it


def test_a_templates_dir_always_renders_with_jinja(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "publish-image.yml.j2").write_text("{% extends 'pinflow/publish-image.yml.j2' %}{% block header %}# mine\n{% endblock %}")
    cfg = config_mod.load_config(template_name="codex", cwd=tmp_path)._replace(templates_dir=str(tmp_path / "tpl"))
    assert render._render(cfg, render._variables(cfg)).startswith("# mine\n")


def test_an_error_in_a_compiled_template_names_the_template_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")

    def broken(*args: object, **kwargs: object) -> str:
        raise ValueError("boom")

    monkeypatch.setitem(render.FILTERS, "block", broken)
    with pytest.raises(render.TemplateError) as caught:
        render.render_workflow(config_mod.load_config(template_name="codex", cwd=tmp_path))
    where, kind, message = str(caught.value).split(": ", 2)
    name, line = where.rsplit(":", 1)
    source_lines = Path(render.__file__).resolve().parents[1].joinpath("templates", "publish-image.yml.j2").read_text().splitlines()
    assert name == "pinflow/publish-image.yml.j2" and "block" in source_lines[int(line) - 1]
    assert (kind, message) == ("error", "boom")


# ---------------------------------------------------------------------------
# The compiler on synthetic templates: the same text, or the same error, as
# jinja2's sandbox with StrictUndefined renders from the same sources.

class Unsafe:
    unsafe_callable = True

    def __call__(self) -> str:
        return "called"


class Rec:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def _compiled(sources: dict[str, str]) -> Any:
    env = render._environment(None)
    code = precompiled.compile_templates(env, sources, set(render.FILTERS), "pinflow/")
    module = types.ModuleType("_synthetic_templates")
    exec(compile(code, "<synthetic>", "exec"), module.__dict__)
    return module


def _outcome(run: Any) -> tuple[str, str]:
    try:
        return "ok", run()
    except (jinja2.exceptions.SecurityError, precompiled.Refused):
        return "refused", ""
    except (jinja2.UndefinedError, precompiled.UndefinedValue) as exc:
        return "undefined", str(exc)
    except (TypeError, ValueError, LookupError) as exc:
        return type(exc).__name__, str(exc)


def _both(sources: dict[str, str], variables: dict[str, Any]) -> tuple[tuple[str, str], tuple[str, str]]:
    module = _compiled(sources)
    context = {"expr": render.expr, **variables}

    def compiled() -> str:
        out: list[str] = []
        module.render(context, render.FILTERS, out.append, "main.j2")
        return "".join(out)

    env = render._environment(None).overlay(loader=jinja2.DictLoader(sources))
    return _outcome(compiled), _outcome(lambda: env.get_template("main.j2").render(**variables))


CASES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("text and whitespace control", {"main.j2": "a\n  {% if x %}\n  b {{ x }}\n  {%- endif %}\n{# c #}\nd {{ 3 }}\n"}, {"x": 1}),
    ("attribute, then item", {"main.j2": "{{ d.keys }}|{{ d.k }}|{{ r.k }}|{{ t[0] }}|{{ d['k'] }}|{{ r['k'] }}\n"},
     {"d": {"k": "v", "keys": "shadowed?"}, "r": Rec(k="attr"), "t": ("first",)}),
    ("filters, concat, logic", {"main.j2": "{{ (a ~ '-' ~ n) | yaml }} {{ l | join(',') }} {{ l | flow }} {{ a or b }} {{ a and not b }}"
                                         " {{ n == 3 and a != 'y' }} {{ 'x' in l }} {{ 'z' not in l }} {{ expr('github.sha') }}\n"},
     {"a": "x y", "b": "", "n": 3, "l": ["x", "y:z"]}),
    ("loops unpack and do not leak", {"main.j2": "{% for k, v in pairs %}{{ k }}={{ v }};{% endfor %}{% for k in ks %}{% for j in ks %}{{ k }}{{ j }}{% endfor %}{% endfor %}{{ k }}\n"},
     {"pairs": [("a", 1), ("b", 2)], "ks": "ab", "k": "outer"}),
    ("scoped block sees the loop", {"main.j2": "{% for img in imgs %}{% block b scoped %}<{{ img }}>{% endblock %}{% endfor %}"}, {"imgs": [1, 2]}),
    ("a block does not", {"main.j2": "{% for img in imgs %}{% block b %}<{{ img }}>{% endblock %}{% endfor %}"}, {"imgs": [1, 2]}),
    ("nested blocks", {"main.j2": "{% block outer %}o{% block inner %}i{{ v }}{% endblock %}o{% endblock %}"}, {"v": 1}),
    ("include sees locals", {"main.j2": "{% for t in ts %}{% include 'inc.j2' %}{% endfor %}", "inc.j2": "[{{ t }} {{ g }}]\n"},
     {"ts": ["a", "b"], "g": "G"}),
    ("elif and else", {"main.j2": "{% for n in ns %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %}{% endfor %}"}, {"ns": [1, 2, 3]}),
    ("an undefined name", {"main.j2": "a {{ missing }}"}, {}),
    ("an undefined attribute", {"main.j2": "{% if r.nope %}x{% endif %}"}, {"r": Rec(k=1)}),
    ("an undefined dict key", {"main.j2": "{{ d.nope }}"}, {"d": {}}),
    ("an element out of range", {"main.j2": "{{ t[3] }}"}, {"t": ()}),
    ("a filter refuses", {"main.j2": "{{ v | yaml }}"}, {"v": "a\nb"}),
    ("an unsafe callable", {"main.j2": "{{ danger() }}"}, {"danger": Unsafe()}),
    ("a frame's attributes", {"main.j2": "{{ fr.clear }}|{{ fr['clear'] }}"}, {"fr": sys._getframe()}),
]


@pytest.mark.parametrize(("sources", "variables"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_compiler_renders_what_jinja_renders(sources: dict[str, str], variables: dict[str, Any]) -> None:
    compiled, jinja = _both(sources, variables)
    assert compiled == jinja


@pytest.mark.parametrize("source", [
    "{% set x = 1 %}",
    "{% for x in y %}{{ loop.index }}{% endfor %}",
    "{% for x in y if x %}{% endfor %}",
    "{% for x in y %}{% else %}none{% endfor %}",
    "{% macro m() %}{% endmacro %}",
    "{% extends 'other.j2' %}",
    "{{ x._private }}",
    "{{ x['_private'] }}",
    "{{ x.mro }}",
    "{{ x.gi_frame }}",
    "{{ 1.5 }}",
    "{{ x | upper }}",
    "{{ f(a=1) }}",
    "{{ x.y() }}",
    "{{ a if b else c }}",
    "{{ a + b }}",
    "{% include name %}",
    "{% include 'other.j2' %}",
    "{{ self }}",
    "{{ namespace }}",
    "{% for m in ms %}{{ m() }}{% endfor %}",
    "{{ l | join(',', 'k') }}",
    "{% block a %}{% endblock %}{% block a %}{% endblock %}",
])
def test_the_compiler_refuses_what_it_does_not_translate(source: str) -> None:
    with pytest.raises(precompiled.Unsupported):
        _compiled({"main.j2": source})



@pytest.mark.parametrize("name", [None, *CONFIGS])
def test_a_render_judges_none_of_the_builtin_scripts_afresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str | None) -> None:
    from pinflow import bashsim, shell

    cfg = (config_mod.load_config(str(GOLDEN / name), cwd=tmp_path) if name
           else config_mod.load_config(template_name="codex", cwd=tmp_path))
    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")

    def afresh(*args: object) -> None:
        raise AssertionError(f"judged afresh: {str(args[0])[:40]!r}")

    for memo in (shell._analyze, shell._command_words, shell._tested_variables):
        memo.cache_clear()
    for query in ("judge_script", "find_command_words", "find_tested_variables"):
        monkeypatch.setattr(bashsim, query, afresh)
    try:
        assert "promote-pin" in render.render_workflow(cfg)  # linted: from the prebuilt answers
    finally:
        for memo in (shell._analyze, shell._command_words, shell._tested_variables):
            memo.cache_clear()


def test_a_builtin_template_that_cannot_be_read_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pinflow import resources

    def unreadable(name: str) -> str:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setenv("PINFLOW_NO_CACHE", "1")
    monkeypatch.setattr(resources, "read_template", unreadable)
    with pytest.raises(render.TemplateError) as caught:
        render.render_workflow(config_mod.load_config(template_name="codex", cwd=tmp_path))
    assert "publish-image.yml.j2" in str(caught.value) and "utf-8" in str(caught.value)


def test_prebuilt_schemas_are_the_json_files_and_count_only_while_they_match(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from pinflow import resources
    from pinflow._prebuilt import schemas

    folder = Path(resources.folder_on_disk("schemas") or "")
    names = sorted(p.name for p in folder.glob("*.json"))
    assert names and sorted(schemas.SCHEMAS) == names
    for name in names:
        text = (folder / name).read_text(encoding="utf-8")
        assert resources._prebuilt_schema(name, text) == json.loads(text)
        assert resources._prebuilt_schema(name, text + " ") is None  # an edited schema is read as JSON


def test_the_compiled_render_keeps_jinja_renders_output_bound(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = config_mod.load_config(template_name="codex", cwd=tmp_path)
    monkeypatch.setattr(render, "MAX_OUTPUT", 1024)
    errors = []
    for way in (render._render_builtin, render._render_jinja):
        with pytest.raises(render.TemplateError) as caught:
            way(cfg, render._variables(cfg))
        errors.append(str(caught.value))
    assert errors[0] == errors[1] == "publish-image.yml.j2: error: output larger than 0 MiB"
