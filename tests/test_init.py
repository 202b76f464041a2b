"""init: pinflow.toml inferred from hand-written, fleet-shaped workflows.

The fixtures in tests/fixtures/init are synthetic workflows shaped like the
fleet's (ECR with AWS secrets, a generic registry, prod + staging legs, a
shell `docker push` as `id: push`, a folder name as the only template name).
Each is copied into a repo layout under tmp_path and adopted in-process.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from pinflow import __version__
from pinflow.config import default_output_path, load_config
from pinflow.findings import ERROR
from pinflow.tomlfmt import toml_key, toml_string, toml_value
from pinflow.lint import lint_text
from pinflow.render import render_workflow

if sys.version_info >= (3, 11):  # pragma: no cover - version dependent
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "init"
GOLDEN = HERE / "golden"
GITEA = ".gitea/workflows/publish-image.yml"
PROMOTE = "/cp/admin/runtime-image/promote"


class Case(NamedTuple):
    fixture: str
    folder: str  # the repo folder's name
    path: str  # where the workflow lives in the repo
    config: dict[str, Any]  # the whole config table init must write
    missing: tuple[str, ...] = ()  # keys reported under "could not infer:"
    extra_files: tuple[tuple[str, str], ...] = ()  # (fixture, path) of other workflows in the repo


CASES = {
    "ecr-single-prod": Case(
        "ecr-single-prod.yml", "repo", GITEA,
        {
            "template_name": "alpha",
            "dialect": "gitea",
            "main_branch": "main",
            "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/molecule-ai/workspace-template-alpha",
            "server_url": "https://git.example.test",
            "dockerfile": "docker/Dockerfile",
            "context": ".",
            "platforms": ["linux/amd64"],
            "build_args": {"BASE_TAG": "3.11-slim"},
            "smoke_test": ["python3", "-m", "adapter", "--version"],
            "registry": {
                "kind": "ecr",
                "region": "eu-west-1",
                "access_key_id_secret": "FLEET_AWS_ACCESS_KEY_ID",
                "secret_access_key_secret": "FLEET_AWS_SECRET_ACCESS_KEY",
            },
            "runners": {"publish": ["publish", "release"], "default": "ubuntu-latest"},
            "promote": {"url": f"https://cp.example.test{PROMOTE}", "token_secret": "CP_ADMIN_API_TOKEN"},
        },
    ),
    "generic-matrix": Case(
        "generic-matrix.yml", "repo", GITEA,
        {
            "template_name": "beta",
            "dialect": "gitea",
            "main_branch": "trunk",
            "image": "registry.example.test/molecule-ai/workspace-template-beta",
            "dockerfile": "Dockerfile",
            "context": ".",
            "platforms": ["linux/amd64", "linux/arm64"],
            "registry": {"kind": "generic", "username_secret": "REGISTRY_USER", "password_secret": "REGISTRY_TOKEN"},
            "runners": {"publish": "publish", "default": "ubuntu-latest"},
            "promote": {
                "verify": True,
                "targets": [
                    {"name": "prod", "url": f"https://api.example.test{PROMOTE}", "token_secret": "CP_ADMIN_API_TOKEN"},
                    {"name": "staging", "url": f"https://staging-api.example.test{PROMOTE}",
                     "token_secret": "CP_ADMIN_API_TOKEN_STAGING"},
                ],
            },
        },
    ),
    "shell-push-staging": Case(
        "shell-push-staging.yml", "repo", GITEA,
        {
            "template_name": "gamma",
            "dialect": "gitea",
            "main_branch": "main",
            "image": "localhost:3200/molecule-ai/workspace-template-gamma",
            "dockerfile": "Dockerfile",
            "context": ".",
            "platforms": ["linux/amd64"],
            "registry": {
                "kind": "generic",
                "username_secret": "GAMMA_REGISTRY_USER",
                "password_secret": "GAMMA_REGISTRY_PASSWORD",
            },
            "runners": {"publish": "ci-meta", "default": "ubuntu-latest"},
            "promote": {
                "targets": [
                    {"name": "staging", "url": f"https://staging-api.example.test{PROMOTE}",
                     "token_secret": "CP_STAGING_ADMIN_API_TOKEN"},
                ],
            },
        },
    ),
    "folder-only": Case(
        "folder-only.yml", "acme-workspace-template-delta", ".github/workflows/build.yml",
        {
            "template_name": "delta",
            "dialect": "github",
            "main_branch": "main",
            "output": ".github/workflows/build.yml",
            "context": ".",
            "registry": {"kind": "ghcr", "host": "ghcr.io", "token_secret": "GITHUB_TOKEN"},
            "runners": {"publish": "ubuntu-24.04"},
        },
        missing=("image", "promote"),
        extra_files=(("tests-only.yml", ".github/workflows/ci.yml"),),
    ),
    "vault-creds": Case(
        "vault-creds.yml", "repo", ".forgejo/workflows/publish.yml",
        {
            "template_name": "epsilon",
            "dialect": "gitea",
            "main_branch": "main",
            "image": "registry.example.test/molecule-ai/workspace-template-epsilon",
            "output": ".forgejo/workflows/publish.yml",
            "registry": {"kind": "generic"},
            "runners": {"publish": "publish", "default": "ubuntu-latest"},
            "promote": {"url": f"https://cp.example.test{PROMOTE}", "token_secret": "CP_ADMIN_API_TOKEN"},
        },
        missing=("registry.username", "registry.password_secret"),
    ),
}


def make_repo(tmp_path: Path, case: Case) -> Path:
    repo = tmp_path / case.folder
    for fixture, path in ((case.fixture, case.path), *case.extra_files):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / fixture, repo / path)
    return repo


def read_config(repo: Path) -> dict[str, Any]:
    return tomllib.loads((repo / "pinflow.toml").read_text(encoding="utf-8"))


def could_not_infer(out: str) -> list[str]:
    """The keys listed under 'could not infer:' in init's report."""
    lines = out.splitlines()
    if "could not infer:" not in lines:
        return []
    keys = []
    for line in lines[lines.index("could not infer:") + 1:]:
        if not line.startswith("  "):
            break
        keys.append(line.strip().split(":", 1)[0])
    return keys


def line_of(fixture: str, needle: str) -> int:
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# ---------------------------------------------------------------------------
# The fleet shapes

@pytest.mark.parametrize("name", sorted(CASES))
def test_init_writes_the_inferred_config(name, cli, tmp_path, monkeypatch):
    case = CASES[name]
    repo = make_repo(tmp_path, case)
    monkeypatch.chdir(repo)
    result = cli(["init"])
    assert result.code == 0, result.err
    assert read_config(repo) == case.config
    assert could_not_infer(result.out) == list(case.missing)
    assert f"pinflow: wrote pinflow.toml (inferred from {case.path})" in result.err


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_of_the_inferred_config_lints_clean(name, cli, tmp_path, monkeypatch):
    case = CASES[name]
    monkeypatch.chdir(make_repo(tmp_path, case))
    assert cli(["init"]).code == 0
    rendered = cli(["render"])
    assert rendered.code == 0, rendered.err
    dialect = case.config["dialect"]
    findings = lint_text(rendered.out, path=case.path, dialect=dialect, main_branch=case.config["main_branch"])
    assert [f for f in findings if f.severity == ERROR] == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_semantic_runs_on_the_adopted_repo(name, cli, tmp_path, monkeypatch):
    case = CASES[name]
    monkeypatch.chdir(make_repo(tmp_path, case))
    assert cli(["init"]).code == 0
    result = cli(["check", "--semantic"])
    # The hand-written file differs from the render (that diff is the review);
    # what must not happen is an error or a crash.
    assert result.code in (0, 1), result.err
    assert "internal error" not in result.err
    assert case.path in result.out + result.err


def test_report_names_the_source_line(cli, tmp_path, monkeypatch):
    case = CASES["ecr-single-prod"]
    monkeypatch.chdir(make_repo(tmp_path, case))
    result = cli(["init"])
    line = line_of(case.fixture, "TEMPLATE_NAME: alpha")
    expected = f'  template_name = "alpha"  (from jobs.promote-pin.steps[0].env.TEMPLATE_NAME, line {line})'
    assert expected in result.out.splitlines()
    image = line_of(case.fixture, "  IMAGE_NAME:")
    assert f"via env.IMAGE_NAME, line {image}" in result.out


def test_header_says_where_the_config_came_from(cli, tmp_path, monkeypatch):
    case = CASES["vault-creds"]
    repo = make_repo(tmp_path, case)
    monkeypatch.chdir(repo)
    assert cli(["init"]).code == 0
    text = (repo / "pinflow.toml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# Inferred from {case.path} by pinflow {__version__} (pinflow init)."
    # What could not be inferred is a hint in the file too, as comments only.
    hints = [line for line in text.splitlines() if line.startswith("#   registry.")]
    assert len(hints) == 2 and all("INFISICAL_CLIENT_ID" in h for h in hints)


def test_vars_fallback_is_used_and_said(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(make_repo(tmp_path, CASES["vault-creds"]))
    result = cli(["init"])
    image = next(line for line in result.out.splitlines() if line.startswith("  image = "))
    assert "the fallback of vars.REGISTRY_HOST (assumed unset)" in image


def test_a_value_outside_the_schema_is_reported_not_written(cli, tmp_path, monkeypatch):
    repo = make_repo(tmp_path, CASES["folder-only"])
    monkeypatch.chdir(repo)
    result = cli(["init"])
    reason = next(line for line in result.out.splitlines() if line.startswith("  image: "))
    assert "found `${{ steps.meta.outputs.tags }}`" in reason
    settings = [line for line in (repo / "pinflow.toml").read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert not any("${{" in line for line in settings)
    assert "image" not in read_config(repo)


def test_the_pushed_image_is_kept_and_the_other_name_noted(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(make_repo(tmp_path, CASES["shell-push-staging"]))
    result = cli(["init"])
    notes = result.out.split("notes:\n", 1)[1]
    assert "registry.example.test/molecule-ai/workspace-template-gamma" in notes
    assert "the config keeps the pushed name" in notes


def test_a_workflow_outside_a_workflows_folder_gives_no_dialect(cli, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "ecr-single-prod.yml", repo / "ci" / "publish.yml")
    monkeypatch.chdir(repo)
    result = cli(["init", "ci/publish.yml"])
    assert result.code == 0, result.err
    config = read_config(repo)
    assert "dialect" not in config and "output" not in config
    assert config["template_name"] == "alpha"
    assert "dialect" in could_not_infer(result.out)


# ---------------------------------------------------------------------------
# Adopting a rendered workflow gives its config back

def golden_configs() -> list[str]:
    return sorted(p.name for p in GOLDEN.glob("*.toml"))


@pytest.mark.parametrize("name", golden_configs())
def test_init_on_a_rendered_workflow_gives_its_config_back(name, cli, tmp_path, monkeypatch):
    original = load_config(name, cwd=GOLDEN)
    text = render_workflow(original)
    repo = tmp_path / "repo"
    target = repo / default_output_path(original)
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    monkeypatch.chdir(repo)
    result = cli(["init"])
    assert result.code == 0, result.err
    assert could_not_infer(result.out) == []
    inferred = load_config("pinflow.toml", cwd=repo)
    yaml = YAML(typ="safe")
    assert yaml.load(render_workflow(inferred)) == yaml.load(text)
    check = cli(["check", "--semantic"])
    assert check.code == 0, check.out + check.err


# ---------------------------------------------------------------------------
# Never clobber, and say why nothing was written

def test_refuses_to_overwrite_without_force(cli, tmp_path, monkeypatch):
    repo = make_repo(tmp_path, CASES["ecr-single-prod"])
    mine = b"# my own config\ntemplate_name = 'mine'\n"
    (repo / "pinflow.toml").write_bytes(mine)
    monkeypatch.chdir(repo)
    result = cli(["init"])
    assert result.code == 2
    assert "pinflow.toml: exists, use --force" in result.err
    assert (repo / "pinflow.toml").read_bytes() == mine


def test_force_overwrites(cli, tmp_path, monkeypatch):
    repo = make_repo(tmp_path, CASES["ecr-single-prod"])
    (repo / "pinflow.toml").write_text("template_name = 'mine'\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    assert cli(["init", "--force"]).code == 0
    assert read_config(repo) == CASES["ecr-single-prod"].config
    first = (repo / "pinflow.toml").read_bytes()
    assert cli(["init", "--force"]).code == 0
    assert (repo / "pinflow.toml").read_bytes() == first  # deterministic


def test_config_path_option(cli, tmp_path, monkeypatch):
    repo = make_repo(tmp_path, CASES["generic-matrix"])
    monkeypatch.chdir(repo)
    assert cli(["init", "--config", "ci/pinflow.toml"]).code == 0
    assert tomllib.loads((repo / "ci" / "pinflow.toml").read_text(encoding="utf-8")) == CASES["generic-matrix"].config
    assert not (repo / "pinflow.toml").exists()


def test_refuses_to_write_pyproject(cli, tmp_path, monkeypatch):
    repo = make_repo(tmp_path, CASES["ecr-single-prod"])
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    result = cli(["init", "--config", "pyproject.toml", "--force"])
    assert result.code == 2
    assert "[tool.pinflow]" in result.err
    assert (repo / "pyproject.toml").read_text(encoding="utf-8") == "[project]\nname = 'x'\n"


def test_no_workflow_is_exit_2(cli, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "tests-only.yml", repo / ".github" / "workflows" / "ci.yml")
    monkeypatch.chdir(repo)
    result = cli(["init"])
    assert result.code == 2
    assert "pushes an image: give its path (pinflow init WORKFLOW)" in result.err
    assert not (repo / "pinflow.toml").exists()


def test_several_publishing_workflows_are_ambiguous(cli, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    for fixture, path in (("generic-matrix.yml", ".gitea/workflows/a.yml"), ("ecr-single-prod.yml", ".github/workflows/b.yml")):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / fixture, repo / path)
    monkeypatch.chdir(repo)
    result = cli(["init"])
    assert result.code == 2
    assert ".gitea/workflows/a.yml" in result.err and ".github/workflows/b.yml" in result.err
    assert not (repo / "pinflow.toml").exists()


def test_publish_image_yml_is_preferred(cli, tmp_path, monkeypatch):
    repo = make_repo(tmp_path, CASES["generic-matrix"])
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "ecr-single-prod.yml", repo / ".github" / "workflows" / "other.yml")
    monkeypatch.chdir(repo)
    assert cli(["init"]).code == 0
    assert read_config(repo)["template_name"] == "beta"


def test_a_config_that_does_not_load_is_not_written(cli, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".gitea" / "workflows").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "ecr-no-region.yml", repo / GITEA)
    monkeypatch.chdir(repo)
    result = cli(["init"])
    assert result.code == 2
    assert "the inferred config does not load, nothing written" in result.err
    assert "registry.region" in result.err
    assert not (repo / "pinflow.toml").exists()


def test_no_template_name_is_not_written(cli, tmp_path, monkeypatch):
    repo = tmp_path / "plain-repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "folder-only.yml", repo / ".github" / "workflows" / "build.yml")
    monkeypatch.chdir(repo)
    result = cli(["init"])
    assert result.code == 2
    assert "template_name" in could_not_infer(result.out)
    assert "nothing written" in result.err
    assert not (repo / "pinflow.toml").exists()


def test_unreadable_workflow_is_exit_2(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli(["init", "missing.yml"]).code == 2
    (tmp_path / "broken.yml").write_text("jobs: [\n", encoding="utf-8")
    result = cli(["init", "broken.yml"])
    assert result.code == 2 and "broken.yml:" in result.err
    assert not (tmp_path / "pinflow.toml").exists()


# ---------------------------------------------------------------------------
# Hand-written TOML

@given(st.text())
def test_toml_string_round_trips(text):
    assert tomllib.loads(f"k = {toml_string(text)}")["k"] == text


@given(st.dictionaries(st.text(min_size=1), st.one_of(
    st.text(), st.booleans(), st.lists(st.text(), max_size=4), st.dictionaries(st.text(min_size=1), st.text(), max_size=3))))
def test_toml_values_and_keys_round_trip(table):
    text = "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in table.items())
    assert tomllib.loads(text) == table
