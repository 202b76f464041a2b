"""The wheel carries templates/ and schemas/, so an installed pinflow renders from any folder."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from pinflow import __version__

ROOT = Path(__file__).resolve().parent.parent


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with the hatchling already installed (no download).
    proc = _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)], ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (found,) = out.glob("pinflow-*.whl")
    return found


@pytest.mark.slow
def test_wheel_ships_templates_and_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "schemas"):
        shipped = {p.name for p in (ROOT / folder).iterdir() if p.is_file()}
        assert shipped and {f"pinflow/_data/{folder}/{n}" for n in shipped} <= names
    compiled = {p.name for p in (ROOT / "pinflow" / "_prebuilt").iterdir() if p.is_file()}
    assert "templates.py" in compiled and {f"pinflow/_prebuilt/{n}" for n in compiled} <= names


@pytest.mark.slow
def test_installed_wheel_renders_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    bin_dir = venv / "bin"
    proc = _run([str(bin_dir / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    # The dependencies come from this test environment (so no network is
    # needed); pinflow itself only from the wheel: the source tree is not on
    # the path, and the run happens far from it.
    purelib = _run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).stdout.strip()
    Path(purelib, "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    elsewhere = tmp_path / "some" / "repo"
    elsewhere.mkdir(parents=True)

    where = _run(["python", "-c", "import pinflow.resources as r; print(r.__file__); print(r.templates_dir()); print(r.schemas_dir())"], elsewhere, env)
    assert where.returncode == 0, where.stderr
    for line in where.stdout.splitlines():
        assert line.startswith(str(venv)), where.stdout
    assert "_data" in where.stdout

    version = _run(["pinflow", "--version"], elsewhere, env)
    assert version.stdout == f"pinflow {__version__}\n"
    assert _run(["python", "-m", "pinflow", "--version"], elsewhere, env).stdout == f"pinflow {__version__}\n"

    rendered = _run(["pinflow", "render", "--template-name", "codex"], elsewhere, env)
    assert rendered.returncode == 0, rendered.stderr
    # The installed copy finds its precompiled templates current and uses them.
    current = _run(["python", "-c", "from pinflow import precompiled; print(precompiled.renderer() is not None)"], elsewhere, env)
    assert current.stdout.strip() == "True", current.stderr
    from pinflow.config import load_config
    from pinflow.render import render_workflow

    assert rendered.stdout == render_workflow(load_config(template_name="codex", cwd=elsewhere))

    bad = _run(["pinflow", "render", "--template-name", "codex", "--set", "promote.verify=maybe"], elsewhere, env)
    assert bad.returncode == 2 and bad.stderr.startswith("pinflow: error: --set promote.verify:")


def test_readme_shows_the_ci_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    test_line = ci[ci.index("# README test command:") + 1]
    readme = (ROOT / "README.md").read_text()
    assert f"\n{test_line}\n" in readme
    assert "pip install . && pinflow render --template-name codex" in readme


def test_readme_config_example_is_valid(tmp_path: Path) -> None:
    from pinflow.config import load_config
    from pinflow.render import render_workflow

    readme = (ROOT / "README.md").read_text()
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pinflow.toml").write_text(example)
    config = load_config(cwd=tmp_path)
    assert [t.name for t in config.targets] == ["prod", "staging"]
    assert "verify-pin" in render_workflow(config)


@pytest.mark.slow
def test_wheel_declares_every_runtime_dependency(wheel: Path, tmp_path: Path) -> None:
    """A clean venv with only the wheel and what it declares (resolved from the
    package index): render and lint work, so no runtime import is undeclared."""
    venv = tmp_path / "clean"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    proc = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], tmp_path)
    if proc.returncode != 0 and any(s in proc.stderr for s in ("NewConnectionError", "Temporary failure in name resolution", "No matching distribution")):
        pytest.skip(f"package index unreachable: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr
    env = {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    rendered = _run(["pinflow", "render", "--template-name", "codex"], tmp_path, env)
    assert rendered.returncode == 0, rendered.stderr
    linted = subprocess.run(["pinflow", "lint", "--dialect", "gitea", "-"], input=rendered.stdout, cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "0 errors, 0 warnings" in linted.stdout
