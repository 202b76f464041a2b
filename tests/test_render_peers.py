"""Every rendered variant is clean under the real peers (installed as test extras):
check-jsonschema's GitHub workflow schema, actionlint, and zizmor --offline
(no finding of medium severity or above, regular persona).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pinflow.config import Config, default_output_path, load_config
from pinflow.render import render_workflow

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).resolve().parent / "golden"
BIN = Path(sys.executable).parent
VARIANTS: dict[str, tuple[str | None, list[str]]] = {
    "defaults": (None, []),
    "ecr": ("ecr.toml", []),
    "generic": ("generic.toml", []),
    "two-targets": ("two-targets.toml", []),
    "verify": ("verify.toml", []),
    "github": ("github.toml", []),
    "extra-images": ("extra-images.toml", []),
    # a few crossings the golden files don't hold
    "github-ecr-verify": ("two-targets.toml", ["dialect=github", "registry.kind=ecr", "registry.host=153263036946.dkr.ecr.eu-west-1.amazonaws.com", "promote.verify=true"]),
    "github-extras-smoke": ("extra-images.toml", ["dialect=github", "registry.kind=generic", "smoke_test=true", "platforms=['linux/amd64', 'linux/arm64']"]),
    "gitea-ghcr-token": ("verify.toml", ["registry.kind=ghcr", "registry.username=bot", "registry.token_secret=GHCR_TOKEN", "server_url=https://git.example.org"]),
}


def tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: install the test extras (pip install -e '.[test]')")
    return str(found)


def rendered(tmp_path: Path, variant: str) -> tuple[Config, Path]:
    config_file, overrides = VARIANTS[variant]
    config = load_config(config_file, overrides=overrides, template_name=None if config_file else "codex", cwd=GOLDEN)
    path = tmp_path / default_output_path(config)
    path.parent.mkdir(parents=True)
    path.write_text(render_workflow(config))
    return config, path


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_check_jsonschema(tmp_path: Path, variant: str) -> None:
    _, path = rendered(tmp_path, variant)
    proc = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_actionlint(tmp_path: Path, variant: str) -> None:
    config, path = rendered(tmp_path, variant)
    labels = sorted(set(config.runners.publish) | set(config.runners.default))
    settings = tmp_path / "actionlint.yaml"
    settings.write_text("self-hosted-runner:\n  labels:\n" + "".join(f"    - {json.dumps(label)}\n" for label in labels))
    proc = run([tool("actionlint"), "-config-file", str(settings), "-no-color", str(path)], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_zizmor_offline_no_medium_or_worse(tmp_path: Path, variant: str) -> None:
    _, path = rendered(tmp_path, variant)
    proc = run([tool("zizmor"), "--offline", "--format", "json", "--no-progress", str(path)], tmp_path)
    assert proc.returncode in (0, 10, 11, 12, 13, 14), proc.stderr
    findings = json.loads(proc.stdout)
    serious = [f"{f['ident']}: {f['desc']}" for f in findings if f["determinations"]["severity"] in ("Medium", "High")]
    assert serious == []


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    # The peer is really looking: a dangling needs is an error.
    _, path = rendered(tmp_path, "defaults")
    path.write_text(path.read_text().replace("needs: [resolve-version, publish]", "needs: [resolve-version, publsh]"))
    proc = run([tool("actionlint"), "-no-color", str(path)], tmp_path)
    assert proc.returncode != 0 and "publsh" in proc.stdout
