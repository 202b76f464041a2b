"""What each command imports. A hook chain pays for every module on every
commit, so the cheap commands must not pull in the heavy ones; and the
click-free paths must parse exactly what click parses."""
from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import click
import pytest

from pinflow import cliopts, config, lint
from pinflow.cli import cli as click_cli
from pinflow.rules import all_rules

GOOD = (Path(__file__).resolve().parent / "fixtures" / "lint" / "good_gitea.yml").read_text()
HEAVY = {"jinja2", "jsonschema", "jsonschema_rs", "click"}

# (Imports nothing a command might not: the probe's own modules would count.)
PROBE = """
import os, sys
real = sys.stdout
sys.stdout = sys.stderr = open(os.devnull, "w")
from pinflow._entry import main
code = main(sys.argv[1:])
real.write("\\n".join([str(code), *sorted(sys.modules)]) + "\\n")
"""


def imported(argv: list[str], cwd: Path, **env: str) -> tuple[int, set[str]]:
    """Exit code and every module loaded by one run of ``pinflow ARGV`` in a fresh interpreter."""
    import os

    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, check=True)
    code, *modules = proc.stdout.splitlines()
    return int(code), set(modules)


def _tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    wf = tmp_path / ".gitea" / "workflows"
    wf.mkdir(parents=True)
    (wf / "publish.yml").write_text(GOOD)
    return tmp_path


def test_version_imports_no_validator_no_templates_no_click(tmp_path: Path) -> None:
    code, modules = imported(["--version"], tmp_path)
    assert code == 0
    assert not _tops(modules) & (HEAVY | {"ruamel", "tree_sitter"})
    assert not {"pinflow.schema", "pinflow.config", "pinflow.lint", "pinflow.cliopts", "typing"} & modules


@pytest.mark.parametrize("with_config", [False, True])
def test_lint_never_imports_jinja2_jsonschema_or_click(repo: Path, with_config: bool) -> None:
    if with_config:
        (repo / "pinflow.toml").write_text('template_name = "codex"\n[lint]\nignore = ["PF4"]\n')
    code, modules = imported(["lint", "--no-cache", ".gitea/workflows/publish.yml"], repo)
    assert code == 0
    assert not _tops(modules) & HEAVY
    assert ("pinflow.config" in modules) is with_config  # no config file: the config code is not even loaded
    assert "pinflow.rules.http" in modules  # it did lint
    # Schemas load from their prebuilt literals, paths go through os.path.
    assert not {"json", "pathlib"} & modules


def test_plain_yaml_is_composed_without_ruamel_and_the_rest_with_it(repo: Path) -> None:
    argv = ["lint", "--no-cache", ".gitea/workflows/publish.yml"]
    code, plain = imported(argv, repo)
    assert code == 0 and "pinflow.fastyaml" in plain
    assert "ruamel" not in _tops(plain)  # the ~20 ms import fastyaml exists to avoid
    # An anchor is outside fastyaml's subset: ruamel composes that file.
    wf = repo / ".gitea" / "workflows" / "publish.yml"
    wf.write_text(GOOD.replace("runs-on: ubuntu-latest", "runs-on: &runner ubuntu-latest", 1))
    assert "&runner" in wf.read_text()
    code, anchored = imported(argv, repo)
    assert code == 0 and "ruamel.yaml" in anchored


def test_a_cache_hit_loads_neither_yaml_nor_shell_nor_rules(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {"PINFLOW_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    argv = ["lint", ".gitea/workflows/publish.yml"]
    _, cold = imported(argv, repo, **env)
    code, warm = imported(argv, repo, **env)
    assert code == 0
    parsing = {"pinflow.fastyaml", "tree_sitter", "pinflow.shell", "pinflow.schema", "pinflow.rules.http"}
    assert parsing <= cold
    assert not parsing & warm and not _tops(warm) & HEAVY  # (the fingerprint only locates ruamel.yaml)


def test_a_cache_hit_in_a_repo_with_a_config_loads_no_config_code(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    (repo / "pinflow.toml").write_text('template_name = "codex"\n[lint]\nignore = ["PF4"]\n')
    env = {"PINFLOW_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    argv = ["lint", ".gitea/workflows/publish.yml"]
    _, cold = imported(argv, repo, **env)
    code, warm = imported(argv, repo, **env)
    assert code == 0
    assert {"pinflow.config", "tomllib"} <= cold
    assert not {"pinflow.config", "tomllib", "ruamel.yaml"} & warm


def test_a_render_of_the_builtin_templates_does_not_import_jinja2(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\n')
    env = {"PINFLOW_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    code, cold = imported(["render"], tmp_path, **env)
    _, warm = imported(["render"], tmp_path, **env)
    assert code == 0
    assert "pinflow._prebuilt.templates" in cold and "jinja2" not in _tops(cold)  # the compiled templates
    # The self-check's shell answers are prebuilt, and paths go through os.path.
    assert not {"tree_sitter", "pinflow.bashsim", "pathlib", "json"} & cold
    assert not _tops(warm) & HEAVY and "pinflow._prebuilt.templates" not in warm  # the render cache


def test_a_render_of_user_templates_imports_jinja2(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "publish-image.yml.j2").write_text("{% extends 'pinflow/publish-image.yml.j2' %}")
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\ntemplates_dir = "tpl"\n')
    code, modules = imported(["render"], tmp_path, PINFLOW_NO_CACHE="1")
    assert code == 0 and "jinja2" in _tops(modules) and "pinflow._prebuilt.templates" not in modules


def test_a_valid_config_is_checked_without_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\n')
    _, modules = imported(["render"], tmp_path, PINFLOW_NO_CACHE="1")
    assert "jsonschema" not in _tops(modules)


# ---------------------------------------------------------------------------
# The click-free parser agrees with click, or hands over to it.

AGREE = [
    [],
    ["a.yml"],
    ["a.yml", "b.yml", "--format", "json"],
    ["--format=sarif", "a.yml", "--dialect", "github"],
    ["--select", "PF1,pf2", "--ignore=PF301", "-", "x.yml"],
    ["--select", "-x", "a.yml"],  # click takes the next word as the value, dash or not
    ["--no-cache", "--format", "github", "--format", "text"],  # the last one wins
    ["--", "--format", "-x"],
    ["", "a.yml"],
]
DEFER = [
    ["--help"], ["-h"], ["--format", "nope"], ["--format"], ["--frmat", "json"], ["-x"],
    ["--no-cache=1"], ["--config"], ["a\0b"],
]


def _click_values(command: click.Command, args: list[str]) -> dict[str, object]:
    ctx = command.make_context(command.name, list(args))
    return dict(ctx.params)


@pytest.mark.parametrize("args", AGREE)
def test_fast_lint_parser_agrees_with_click(args: list[str]) -> None:
    parsed = cliopts.parse_fast(cliopts.LINT_OPTIONS, args)
    assert parsed is not None
    paths, values = parsed
    assert {**values, "paths": tuple(paths)} == _click_values(click_cli.commands["lint"], args)


@pytest.mark.parametrize("args", DEFER)
def test_fast_lint_parser_defers_what_click_must_word(args: list[str]) -> None:
    assert cliopts.parse_fast(cliopts.LINT_OPTIONS, args) is None


@pytest.mark.parametrize("args", [
    [], ["--template-name", "codex"], ["--set", "a=1", "--set=b=2", "-o", "out.yml"], ["--output=x.yml", "--dialect", "github"],
])
def test_fast_render_parser_agrees_with_click(args: list[str]) -> None:
    parsed = cliopts.parse_fast(cliopts.RENDER_OPTIONS, args)
    assert parsed is not None and parsed[0] == []
    assert parsed[1] == _click_values(click_cli.commands["render"], args)


@pytest.mark.parametrize("args", [["-o=x.yml"], ["-ox.yml"], ["--dialect", "gitlab"], ["--set"]])
def test_fast_render_parser_defers(args: list[str]) -> None:
    assert cliopts.parse_fast(cliopts.RENDER_OPTIONS, args) is None


def test_a_directory_for_config_goes_to_click(tmp_path: Path) -> None:
    assert cliopts.parse_fast(cliopts.LINT_OPTIONS, ["--config", str(tmp_path)]) is None
    with pytest.raises(click.BadParameter):
        _click_values(click_cli.commands["lint"], ["--config", str(tmp_path)])


def test_bad_arguments_still_get_clicks_words(cli) -> None:
    res = cli(["lint", "--format", "nope", "x.yml"])
    assert res.code == 2 and "Invalid value for '--format'" in res.err
    res = cli(["render", "extra"])
    assert res.code == 2 and "unexpected extra argument" in res.err


# ---------------------------------------------------------------------------
# Small stand-ins for heavy modules stay in step with what they replace.

def test_rule_docs_are_cleaned_as_inspect_would() -> None:
    for r in all_rules().values():
        if r.check is not None:
            assert r.doc == (inspect.getdoc(r.check) or "")
    samples = ["", "one", "  lead\n\n    a\n      b\n\n", "x\n\ty\n\t z", "\n\n  x\n  y\n   \n"]
    from pinflow.rules import cleandoc

    for s in samples:
        assert cleandoc(s) == inspect.cleandoc(s)


def test_lint_looks_for_the_config_files_config_reads() -> None:
    assert lint._CONFIG_FILES == (config.CONFIG_NAME, config.PYPROJECT)


def test_lint_turns_the_collector_off_only_while_it_runs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from pinflow import _entry

    seen = []
    real_run = cliopts.run
    monkeypatch.setattr(cliopts, "run", lambda args: seen.append(gc.isenabled()) or real_run(args))
    monkeypatch.chdir(repo)
    assert gc.isenabled()
    assert _entry.main(["lint", "--no-cache", ".gitea/workflows/publish.yml"]) == 0
    assert seen == [False] and gc.isenabled()  # off during the run, restored for an in-process caller
