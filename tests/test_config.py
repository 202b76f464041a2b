from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinflow.config import (
    DEFAULT_PROMOTE_URL,
    ExtraImage,
    Target,
    default_output_path,
    find_config,
    load_config,
)
from pinflow.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str | None = None, **kwargs: object) -> list[str]:
    if text is not None:
        write(tmp_path / "pinflow.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path, **kwargs)  # type: ignore[arg-type]
    return info.value.lines()


# ---------------------------------------------------------------------------
# finding the config

def test_find_config_prefers_pinflow_toml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.pinflow]\ntemplate_name = 'a'\n")
    assert find_config(tmp_path) == str(tmp_path / "pyproject.toml")
    write(tmp_path / "pinflow.toml", "template_name = 'b'\n")
    assert find_config(tmp_path) == str(tmp_path / "pinflow.toml")


def test_find_config_ignores_pyproject_without_the_table(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n[tool.other]\na = 1\n")
    assert find_config(tmp_path) is None


def test_pyproject_table_loads_and_errors_name_the_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.pinflow]\ntemplate_name = 'hermes'\nmain_brnch = 'x'\n")
    lines = problems(tmp_path)
    assert lines == ["pyproject.toml: tool.pinflow.main_brnch: unknown key (did you mean 'main_branch'?)"]
    write(tmp_path / "pyproject.toml", "[tool.pinflow]\ntemplate_name = 'hermes'\n")
    config = load_config(cwd=tmp_path)
    assert (config.template_name, config.source, config.origin) == ("hermes", str(tmp_path / "pyproject.toml"), "pyproject.toml [tool.pinflow]")


def test_explicit_config_path(tmp_path: Path) -> None:
    write(tmp_path / "ci" / "pf.toml", "template_name = 'codex'\n")
    config = load_config("ci/pf.toml", cwd=tmp_path)
    assert config.template_name == "codex"
    assert config.cli_args == ("--config", "ci/pf.toml")
    assert problems(tmp_path, config_path="missing.toml") == ["missing.toml: no such file"]
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert problems(tmp_path, config_path="pyproject.toml") == ["pyproject.toml: no [tool.pinflow] table"]


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, "template_name = 'codex'\n[promote\nurl = 1\n")
    assert line.startswith("pinflow.toml: invalid TOML: ")
    assert "line 2, column" in line


# ---------------------------------------------------------------------------
# defaults

def test_embedded_defaults(tmp_path: Path) -> None:
    config = load_config(template_name="codex", cwd=tmp_path)
    assert config.source is None and config.origin == "(embedded defaults)"
    assert config.dialect == "gitea" and config.main_branch == "main"
    assert config.image == "registry.moleculesai.app/molecule-ai/workspace-template-codex"
    assert (config.registry.kind, config.registry.host) == ("generic", "registry.moleculesai.app")
    assert config.targets == (Target("prod", DEFAULT_PROMOTE_URL, "CP_ADMIN_API_TOKEN"),)
    assert config.runners.publish == config.runners.default == ("ubuntu-latest",)
    assert default_output_path(config) == ".gitea/workflows/publish-image.yml"
    assert (config.gitea_version, config.verify, config.smoke_test, config.extra_images) == ("1.22", False, (), ())


def test_github_dialect_defaults_to_ghcr_with_the_job_token(tmp_path: Path) -> None:
    config = load_config(template_name="crewai", dialect="github", cwd=tmp_path)
    assert config.image == "ghcr.io/molecule-ai/workspace-template-crewai"
    assert (config.registry.kind, config.registry.token_secret) == ("ghcr", "GITHUB_TOKEN")
    assert default_output_path(config) == ".github/workflows/publish-image.yml"


def test_template_name_required_unless_waived(tmp_path: Path) -> None:
    (line,) = problems(tmp_path)
    assert line.startswith("(no config file): template_name: required")
    assert load_config(cwd=tmp_path, require_template_name=False).template_name == ""


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(template_name="codex", cwd=tmp_path)
    with pytest.raises(AttributeError):
        config.template_name = "other"  # type: ignore[misc]


# ---------------------------------------------------------------------------
# validation: one line per problem, naming the key and the value

def test_unknown_keys_suggest_the_near_key(tmp_path: Path) -> None:
    lines = problems(tmp_path, "template_name = 'codex'\ntemplate_nme = 'x'\n[promote]\ntoken_secrt = 'A'\n[registy]\nkind = 'ecr'\n")
    assert lines == [
        "pinflow.toml: promote.token_secrt: unknown key (did you mean 'token_secret'?)",
        "pinflow.toml: registy: unknown key (did you mean 'registry'?)",
        "pinflow.toml: template_nme: unknown key (did you mean 'template_name'?)",
    ]


def test_wrong_type_and_bad_pattern_name_key_and_value(tmp_path: Path) -> None:
    lines = problems(tmp_path, "template_name = 'Codex!'\n[promote]\nverify = 'yes'\ntoken_secret = 'cp-token'\n")
    assert len(lines) == 3
    assert "pinflow.toml: promote.token_secret: invalid value 'cp-token'" in lines[0]
    assert lines[1] == "pinflow.toml: promote.verify: expected true or false, got string 'yes'"
    assert lines[2].startswith("pinflow.toml: template_name: invalid value 'Codex!' (must match ^[a-z0-9]")


def test_a_list_or_string_key_reports_the_bad_item(tmp_path: Path) -> None:
    lines = problems(tmp_path, "template_name = 'codex'\n[runners]\npublish = ['ok', 'not ok']\ndefault = 3\n")
    assert lines[0] == "pinflow.toml: runners.default: expected a string or a list of strings, got integer 3"
    assert lines[1].startswith("pinflow.toml: runners.publish[1]: invalid value 'not ok'")


def test_values_with_newlines_stay_on_one_line(tmp_path: Path) -> None:
    lines = problems(tmp_path, 'template_name = "codex\\n  evil: true"\n')
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "template_name" in lines[0] and "\\n" in lines[0]


# ---------------------------------------------------------------------------
# --set and the CLI values

def test_set_keeps_strings_and_types_the_rest(tmp_path: Path) -> None:
    config = load_config(template_name="codex", cwd=tmp_path, overrides=[
        "promote.url=http://127.0.0.1:8080/x", "promote.verify=false", "main_branch=1.0",
        'platforms=["linux/arm64"]', "runners.publish=self-hosted", 'build_args={A = "b"}',
    ])
    assert config.targets[0].url == "http://127.0.0.1:8080/x"
    assert config.verify is False and config.main_branch == "1.0"
    assert config.platforms == ("linux/arm64",) and config.runners.publish == ("self-hosted",)
    assert config.build_args == (("A", "b"),)


def test_precedence_file_then_flags_then_set(tmp_path: Path) -> None:
    write(tmp_path / "pinflow.toml", "template_name = 'from-file'\ndialect = 'github'\n")
    assert load_config(cwd=tmp_path).template_name == "from-file"
    assert load_config(cwd=tmp_path, template_name="flag").template_name == "flag"
    config = load_config(cwd=tmp_path, template_name="flag", dialect="gitea", overrides=["template_name=set"])
    assert (config.template_name, config.dialect) == ("set", "gitea")
    assert config.cli_args == ("--template-name", "flag", "--dialect", "gitea", "--set", "template_name=set")


@pytest.mark.parametrize(("item", "expected"), [
    ("promote.url", "--set 'promote.url': expected KEY=VALUE"),
    ("=x", "--set '=x': expected KEY=VALUE"),
    ("template_name.x=1", "--set template_name: is not a table"),
    ("promote.tokn_secret=A", "--set promote.tokn_secret: unknown key (did you mean 'token_secret'?)"),
    ("promote.url=ftp://x", "--set promote.url: invalid value 'ftp://x'"),
])
def test_bad_set(tmp_path: Path, item: str, expected: str) -> None:
    (line,) = problems(tmp_path, template_name="codex", overrides=[item])
    assert line.startswith(expected)


def test_set_never_parses_a_second_key_out_of_a_newline(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, template_name="codex", overrides=['main_branch="x"\ndialect = "github"'])
    assert line.startswith("--set main_branch: control character")  # one value, refused whole: no dialect key


def test_cli_flag_errors_name_the_flag(tmp_path: Path) -> None:
    assert problems(tmp_path, template_name="Bad Name")[0].startswith("--template-name: invalid value 'Bad Name'")


# ---------------------------------------------------------------------------
# cross-key rules

def test_single_promote_form_is_one_target_named_prod(tmp_path: Path) -> None:
    write(tmp_path / "pinflow.toml", "template_name = 'codex'\n[promote]\nurl = 'https://cp.example/promote'\ntoken_secret = 'TOK'\n")
    assert load_config(cwd=tmp_path).targets == (Target("prod", "https://cp.example/promote", "TOK"),)


def test_targets_and_single_form_conflict_and_names_are_unique(tmp_path: Path) -> None:
    target = "[[promote.targets]]\nname = 'prod'\nurl = 'https://a.example/promote'\ntoken_secret = 'A'\n"
    lines = problems(tmp_path, "template_name = 'codex'\n[promote]\nurl = 'https://x.example/promote'\n" + target + target)
    assert lines == [
        "pinflow.toml: promote.targets: give either [[promote.targets]] or promote.url/token_secret, not both",
        "pinflow.toml: promote.targets[1].name: duplicate target name 'prod'",
    ]


def test_verify_needs_a_promote_url_it_can_derive_the_read_back_from(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, template_name="codex", overrides=["promote.verify=true", "promote.url=https://cp.example/pin"])
    assert line.startswith("--set promote.url: 'https://cp.example/pin': verify needs a URL ending in /promote")


def test_ecr_derives_region_and_requires_a_host(tmp_path: Path) -> None:
    host = "153263036946.dkr.ecr.us-east-2.amazonaws.com"
    config = load_config(template_name="codex", cwd=tmp_path, overrides=["registry.kind=ecr", f"registry.host={host}"])
    assert (config.registry.region, config.registry.access_key_id_secret) == ("us-east-2", "AWS_ACCESS_KEY_ID")
    assert config.image == f"{host}/molecule-ai/workspace-template-codex"
    assert problems(tmp_path, template_name="codex", overrides=["registry.kind=ecr"]) == [
        "(no config file): registry.host: required for kind 'ecr' (or give a full image name)"]
    assert problems(tmp_path, template_name="codex", overrides=["registry.kind=ecr", "registry.host=ecr.example.com"]) == [
        "(no config file): registry.region: required: cannot derive the AWS region from host 'ecr.example.com'"]


def test_registry_keys_must_fit_the_kind(tmp_path: Path) -> None:
    lines = problems(tmp_path, "template_name = 'codex'\n[registry]\nkind = 'ghcr'\nregion = 'us-east-1'\npassword_secret = 'P'\n")
    assert lines == [
        "pinflow.toml: registry.password_secret: not used by kind 'ghcr' (its keys: host, username, token_secret)",
        "pinflow.toml: registry.region: not used by kind 'ghcr' (its keys: host, username, token_secret)",
        "pinflow.toml: registry.token_secret: required for ghcr on Gitea (its job token cannot log in to ghcr.io)",
    ]


def test_image_must_live_under_the_registry_host(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, template_name="codex", overrides=["image=ghcr.io/x/y", "registry.host=registry.example.org"])
    assert line == "--set image: 'ghcr.io/x/y' is not under registry host 'registry.example.org' (the login would not cover the push)"
    (line,) = problems(tmp_path, template_name="codex", overrides=["image=molecule-ai/codex"])
    assert line == "--set image: 'molecule-ai/codex' must start with the registry host (e.g. ghcr.io/org/name)"
    config = load_config(template_name="codex", cwd=tmp_path, overrides=["registry.kind=generic", "image=localhost:3200/a/b"])
    assert (config.registry.host, config.image) == ("localhost:3200", "localhost:3200/a/b")


def test_extra_images(tmp_path: Path) -> None:
    write(tmp_path / "pinflow.toml", "template_name = 'claude-code'\n[[extra_images]]\ntemplate_name = 'platform-agent'\ndockerfile = 'Dockerfile.pa'\nsmoke_test = 'node --version'\n")
    (extra,) = load_config(cwd=tmp_path).extra_images
    assert extra == ExtraImage("platform-agent", "registry.moleculesai.app/molecule-ai/workspace-template-platform-agent",
                               "Dockerfile.pa", ".", ("linux/amd64",), (), ("node", "--version"))
    lines = problems(tmp_path, "template_name = 'a'\n[[extra_images]]\ntemplate_name = 'a'\n")
    assert lines == [
        "pinflow.toml: extra_images[0].dockerfile: required (each extra image builds from its own Dockerfile)",
        "pinflow.toml: extra_images[0].template_name: 'a' is already published by this config",
    ]


def test_templates_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    write(tmp_path / "ci" / "pinflow.toml", "template_name = 'codex'\ntemplates_dir = 'tpl'\n")
    (line,) = problems(tmp_path, config_path="ci/pinflow.toml")
    assert line.startswith("ci/pinflow.toml: templates_dir: no such directory:")
    (tmp_path / "ci" / "tpl").mkdir()
    assert load_config("ci/pinflow.toml", cwd=tmp_path).templates_dir == str(tmp_path / "ci" / "tpl")
    assert load_config("./ci//pinflow.toml", cwd=str(tmp_path) + "/").templates_dir == str(tmp_path / "ci" / "tpl")


def test_lint_section(tmp_path: Path) -> None:
    write(tmp_path / "pinflow.toml", "[lint]\nselect = ['PF1', 'PF2']\nignore = ['PF411']\n")
    config = load_config(cwd=tmp_path, require_template_name=False)
    assert (config.lint.select, config.lint.ignore) == (("PF1", "PF2"), ("PF411",))


# ---------------------------------------------------------------------------
# the command line and import cost

def test_render_with_a_bad_config_exits_2_one_line_each_and_writes_nothing(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pinflow.toml", "template_name = 'codex'\nmian_branch = 'x'\n[promote]\nverify = 1\n")
    monkeypatch.chdir(tmp_path)
    result = cli(["render", "-o", "out/wf.yml"])
    assert result.code == 2 and result.out == ""
    assert result.err.splitlines() == [
        "pinflow: error: pinflow.toml: mian_branch: unknown key (did you mean 'main_branch'?)",
        "pinflow: error: pinflow.toml: promote.verify: expected true or false, got integer 1",
    ]
    assert not (tmp_path / "out").exists()


def test_loading_a_config_does_not_import_jinja2(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from pinflow.config import load_config; "
            f"load_config(template_name='codex', overrides=['promote.verify=true'], cwd=Path({str(tmp_path)!r})); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'click')))")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("kind", ["directory", "dangling"])
def test_an_unusable_pinflow_toml_is_named(cli, tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    if kind == "directory":
        (tmp_path / "pinflow.toml").mkdir()
    else:
        (tmp_path / "pinflow.toml").symlink_to(tmp_path / "nowhere.toml")
    (tmp_path / "wf.yml").write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n")
    for argv in (["render"], ["check"], ["lint", "wf.yml"]):
        res = cli(argv)
        assert res.code == 2 and "pinflow.toml: is a" in res.err, (argv, res.err)


@given(st.lists(st.sampled_from(["a", "b.c", ".", "..", "", "/"]), max_size=8).map("/".join))
def test_paths_are_cleaned_as_pathlib_spells_them(path: str) -> None:
    from pathlib import PurePosixPath

    from pinflow.config import _clean

    assert _clean(path) == (PurePosixPath(path).as_posix() if path else ".")
