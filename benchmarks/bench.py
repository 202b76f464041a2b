"""Time pinflow against its peers, side by side, on inputs built here.

    .venv/bin/python benchmarks/bench.py [--rounds 5] [--files 1000]

Builds, in a temporary folder, a realistic ~12 KB Gitea publish-image
workflow (build, smoke test, push, then a promote-pin job that POSTs the
digest with curl) and a fleet of FILES copies of it, each with its own
template name (as a fleet rendered from one template differs). Then runs
every command of every case once to warm up, and ROUNDS more times,
alternating the tools inside each case (the starting tool rotates every
round), and prints a markdown table: median and min wall time (perf_counter
around the child), the ratio to the case's reference, and peak memory.

Peak memory is the larger of the child's own peak RSS (wait4 ru_maxrss, what
`/usr/bin/time -f %M` shows) and the peak of the summed RSS of the child's
whole process tree, sampled every 2 ms in one extra untimed run: worker
processes count (shared pages twice, so it is an upper bound).

Environment: by default children run with PYTHONDONTWRITEBYTECODE removed and
PYTHONPYCACHEPREFIX set to a private folder, so Python tools run from
bytecode as they do after `pip install` (an editable checkout under
PYTHONDONTWRITEBYTECODE=1 recompiles every module of pinflow on every run).
`--as-is-env` keeps the environment untouched. pinflow's lint cache lives in a
private PINFLOW_CACHE_DIR: "cold" rows pass `--no-cache`, "warm" rows run
with the cache the warm-up filled, "first run" rows empty it before each run,
and the "file just edited" row changes the workflow before each run (what
pre-commit sees: that file misses, what the config gives lint is cached).
pinflow runs from a snapshot of the package copied into the temporary folder
(through a launcher that does what the console script does), so that edits
to the source tree during a run cannot change the code under test or its
cache fingerprint; `--installed` runs the `pinflow` next to this Python.

This is a measuring script, not a test: nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

WORKFLOW = """\
name: publish-image

# Builds the @NAME@ workspace template image, smoke-tests it, pushes it to the
# registry as `<REGISTRY>/acme/workspace-template-@NAME@:latest` and
# `:sha-<7>`, then promotes the pushed digest to the control plane so new
# workspaces start from it.
#
# Why the promote step is a job of this workflow: Gitea 1.22 has no
# `workflow_run` trigger, so a separate workflow cannot wait for this one.
# The promote job only runs after a green push on main (success() and the
# ref check), and it fails loudly on any non-2xx answer, so a silent 4xx
# never strands the pin behind a green run.
#
# Gitea 1.22 checklist applied here:
#   - no workflow_dispatch.inputs (rejected by 1.22)
#   - no merge_group trigger, no cross-repo `uses:` (blocked by default)
#   - GITHUB_SERVER_URL pinned at workflow level
#   - no on.push.paths (a path-excluded push would block the pin forever)
#   - timeout-minutes on every job
#
# The runtime version comes from `.runtime-version` when the file exists (the
# core repo's release fan-out pushes it), else the Dockerfile's own pin.
#
# Secrets this workflow reads (repo settings -> Actions -> Secrets):
#   REGISTRY_USER, REGISTRY_PASSWORD  push access to the registry
#   CP_ADMIN_API_TOKEN                the control plane's admin token; it may
#                                     only call the promote endpoint
#
# Runners: `publish` is the label of the dedicated Linux builders (docker
# socket mounted, buildx installed); every other job runs on the generic pool.
# A run takes about six minutes: two to build, one for the smoke test, one for
# the scan, the rest is the push. The promote call itself takes a second.

on:
  push:
    branches: [main]
  pull_request:
    branches: [main]
  workflow_dispatch:

env:
  GITHUB_SERVER_URL: https://git.example.internal
  REGISTRY: registry.example.internal
  IMAGE_NAME: registry.example.internal/acme/workspace-template-@NAME@
  TEMPLATE_NAME: @NAME@

permissions:
  contents: read

jobs:
  resolve-version:
    name: Resolve runtime version
    runs-on: ubuntu-latest
    timeout-minutes: 2
    outputs:
      version: ${{ steps.read.outputs.version }}
      sha: ${{ steps.read.outputs.sha }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - id: read
        shell: bash
        run: |
          if [ -f .runtime-version ]; then
            v="$(head -n1 .runtime-version | tr -d '[:space:]')"
            echo "version=${v}" >> "$GITHUB_OUTPUT"
            echo "runtime version from .runtime-version: ${v}"
          else
            echo "version=" >> "$GITHUB_OUTPUT"
            echo "no .runtime-version file: the Dockerfile pin applies"
          fi
          echo "sha=${GITHUB_SHA::7}" >> "$GITHUB_OUTPUT"

  publish:
    name: Build and push workspace-template-@NAME@
    # The dedicated Linux publish runners: `ubuntu-latest` is also advertised
    # by self-hosted Windows runners where `docker login --password-stdin`
    # fails, so a generic label lands the push job there now and then.
    runs-on: publish
    timeout-minutes: 30
    needs: resolve-version
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - name: Checkout
        uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2

      - name: Lint - no bare imports of runtime modules
        shell: bash
        run: |
          set -eu
          MODULES='plugins|adapter_base|config|main|preflight|prompt|events|heartbeat|watcher|skill_loader|policies|adapters|executor|agent'
          if HITS=$(grep -nE "^\\s*from (${MODULES}) import" *.py 2>/dev/null); then
            echo "::error::bare imports of runtime modules: use 'from acme_runtime.<module> import'"
            echo "$HITS" | sed 's/^/  /'
            exit 1
          fi
          echo "::notice::no bare imports of runtime modules"

      - name: Lint the Dockerfile
        shell: bash
        run: |
          set -euo pipefail
          # hadolint ships as a static binary; pin it and check its hash so a
          # compromised release cannot run here.
          HADOLINT_VERSION=2.12.0
          HADOLINT_SHA256=56de6d5e5ec427e17b74fa48d51271c7fc0d61244bf5c90e828aab8362d55010
          curl -fsSL -o /tmp/hadolint \
            "https://github.com/hadolint/hadolint/releases/download/v${HADOLINT_VERSION}/hadolint-Linux-x86_64"
          echo "${HADOLINT_SHA256}  /tmp/hadolint" | sha256sum -c -
          chmod +x /tmp/hadolint
          /tmp/hadolint --ignore DL3008 --ignore DL3013 Dockerfile

      - name: Check the runtime pin format
        shell: bash
        env:
          RUNTIME_VERSION: ${{ needs.resolve-version.outputs.version }}
        run: |
          set -euo pipefail
          if [ -n "${RUNTIME_VERSION}" ]; then
            case "${RUNTIME_VERSION}" in
              [0-9]*.[0-9]*.[0-9]*) echo "runtime ${RUNTIME_VERSION}" ;;
              *) echo "::error::.runtime-version must be MAJOR.MINOR.PATCH, got '${RUNTIME_VERSION}'"; exit 1 ;;
            esac
          fi

      - name: Log in to the registry
        env:
          REGISTRY_USER: ${{ secrets.REGISTRY_USER }}
          REGISTRY_PASSWORD: ${{ secrets.REGISTRY_PASSWORD }}
        run: |
          set -euo pipefail
          printf '%s' "${REGISTRY_PASSWORD}" | \\
            docker login --username "${REGISTRY_USER}" --password-stdin "${REGISTRY}"

      - name: Verify Docker daemon access
        run: |
          set -euo pipefail
          docker info >/dev/null 2>&1 || {
            echo "::error::Docker daemon is not reachable: check the runner's socket mount"
            exit 1
          }
          echo "Docker daemon OK"

      - name: Set up Docker Buildx
        uses: docker/setup-buildx-action@b5ca514318bd6ebac0fb2aedd5d36ec1b5c232a2 # v3.10.0

      - name: Build image (load for the smoke test, no push yet)
        uses: docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83 # v6.18.0
        with:
          context: .
          file: ./Dockerfile
          platforms: linux/amd64
          load: true
          push: false
          tags: ${{ env.IMAGE_NAME }}:sha-${{ needs.resolve-version.outputs.sha }}
          build-args: |
            RUNTIME_VERSION=${{ needs.resolve-version.outputs.version }}
          labels: |
            org.opencontainers.image.source=${{ env.GITHUB_SERVER_URL }}/${{ github.repository }}
            org.opencontainers.image.revision=${{ github.sha }}
            org.opencontainers.image.description=Acme workspace template, @NAME@ runtime

      - name: Smoke test - import every /app/*.py
        shell: bash
        env:
          IMAGE: ${{ env.IMAGE_NAME }}:sha-${{ needs.resolve-version.outputs.sha }}
        run: |
          set -eu
          docker run --rm \\
            -e WORKSPACE_ID=smoke-test \\
            -e OPENAI_API_KEY=sk-fake-smoke-key \\
            --entrypoint sh "${IMAGE}" -c '
            set -e
            cd /app
            for f in *.py; do
              [ "$f" = "__init__.py" ] && continue
              mod="${f%.py}"
              python3 -c "import $mod" || { echo "::error::failed to import $mod"; exit 1; }
              echo "  import $mod OK"
            done
          '
          echo "::notice::${IMAGE}: every /app/*.py module imports"

      - name: Scan the image for known vulnerabilities
        shell: bash
        env:
          IMAGE: ${{ env.IMAGE_NAME }}:sha-${{ needs.resolve-version.outputs.sha }}
        run: |
          set -euo pipefail
          # Report only: a new CVE upstream must not block a runtime release,
          # but the table lands in the job log and the step summary.
          docker run --rm -v /var/run/docker.sock:/var/run/docker.sock \
            aquasec/trivy:0.58.1 image --severity HIGH,CRITICAL --no-progress \
            --format table "${IMAGE}" | tee /tmp/trivy.txt || true
          {
            echo "### Vulnerability scan"
            echo
            echo '```'
            cat /tmp/trivy.txt
            echo '```'
          } >> "$GITHUB_STEP_SUMMARY"

      - name: Push image (after the smoke test)
        id: push
        if: github.event_name == 'push' && github.ref == 'refs/heads/main'
        uses: docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83 # v6.18.0
        with:
          context: .
          file: ./Dockerfile
          platforms: linux/amd64
          push: true
          tags: |
            ${{ env.IMAGE_NAME }}:latest
            ${{ env.IMAGE_NAME }}:sha-${{ needs.resolve-version.outputs.sha }}
          build-args: |
            RUNTIME_VERSION=${{ needs.resolve-version.outputs.version }}
          labels: |
            org.opencontainers.image.source=${{ env.GITHUB_SERVER_URL }}/${{ github.repository }}
            org.opencontainers.image.revision=${{ github.sha }}
            org.opencontainers.image.description=Acme workspace template, @NAME@ runtime

      - name: Record the digest
        if: github.event_name == 'push' && github.ref == 'refs/heads/main'
        env:
          DIGEST: ${{ steps.push.outputs.digest }}
        run: |
          set -euo pipefail
          echo "::notice::pushed ${IMAGE_NAME} at ${DIGEST}"
          {
            echo "### Published"
            echo
            echo "- image: \\`${IMAGE_NAME}:latest\\`"
            echo "- digest: \\`${DIGEST}\\`"
          } >> "$GITHUB_STEP_SUMMARY"

  promote-pin:
    # Promote the digest just pushed: the control plane pins new workspaces of
    # this template to it. Only after a green publish on main: a failed smoke
    # test or push never bumps the pin, and a pull request never reaches here.
    # The call must fail loudly: `curl -sS` alone exits 0 on a 4xx, so the
    # status code is captured with -w and compared. Retries cover a control
    # plane restart; the request is idempotent (same digest, same pin).
    # Rolling back is the same call with an older digest, made by hand from
    # the registry's history; nothing here ever deletes an image.
    name: Promote the @NAME@ pin
    runs-on: ubuntu-latest
    timeout-minutes: 2
    needs: [resolve-version, publish]
    if: ${{ success() && github.event_name == 'push' && github.ref == 'refs/heads/main' }}
    permissions:
      contents: read
    steps:
      - name: POST /cp/admin/runtime-image/promote
        env:
          CP_ADMIN_API_TOKEN: ${{ secrets.CP_ADMIN_API_TOKEN }}
          IMAGE_DIGEST: ${{ needs.publish.outputs.digest }}
          GIT_SHA: ${{ needs.resolve-version.outputs.sha }}
        run: |
          set -euo pipefail
          if [ -z "${CP_ADMIN_API_TOKEN}" ]; then
            echo "::error::CP_ADMIN_API_TOKEN is not configured on this repo"
            exit 1
          fi
          if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
            echo "::error::needs.publish.outputs.digest is not a sha256 digest: '${IMAGE_DIGEST}'"
            exit 1
          fi
          body=$(printf '{"template_name":"%s","image_digest":"%s","git_sha":"%s","notes":"auto-promote via publish-image.yml @ %s"}' \\
            "${TEMPLATE_NAME}" "${IMAGE_DIGEST}" "${GIT_SHA}" "${GITHUB_SHA}")
          echo "::notice::promote template=${TEMPLATE_NAME} digest=${IMAGE_DIGEST} git_sha=${GIT_SHA}"
          # Body and status apart: the status decides, the body is for the log.
          resp=$(mktemp)
          code=$(curl -sS -o "${resp}" -w '%{http_code}' \\
            --retry 3 --retry-delay 2 --max-time 30 \\
            -X POST \\
            -H "Authorization: Bearer ${CP_ADMIN_API_TOKEN}" \\
            -H "Content-Type: application/json" \\
            -d "${body}" \\
            https://cp.example.internal/cp/admin/runtime-image/promote)
          echo "HTTP ${code}"
          cat "${resp}"
          echo
          if [ "${code}" != "200" ] && [ "${code}" != "201" ]; then
            echo "::error::promote failed (HTTP ${code})"
            exit 1
          fi
          echo "::notice::runtime_image_pins.${TEMPLATE_NAME} now ${IMAGE_DIGEST}"
"""

PINFLOW_TOML = 'template_name = "bench"\n'


class Command(NamedTuple):
    tool: str  # row label
    argv: list[str]
    cwd: str
    before: Callable[[], None] | None = None  # untimed, before each run
    env: dict[str, str] = {}  # added to the environment of this command only


class Case(NamedTuple):
    name: str
    reference: str  # the tool label (in any case) the ratio is against
    reference_case: str
    commands: list[Command]


class Sample(NamedTuple):
    seconds: float
    maxrss_kib: int
    status: int


# ---------------------------------------------------------------------------
# Inputs

def workflow(name: str) -> str:
    return WORKFLOW.replace("@NAME@", name)


def build_inputs(root: Path, files: int) -> tuple[Path, list[Path], Path]:
    one_repo = root / "one"
    one = one_repo / ".gitea" / "workflows" / "publish-image.yml"
    one.parent.mkdir(parents=True)
    one.write_text(workflow("codex"), encoding="utf-8")
    fleet_dir = root / "fleet" / ".gitea" / "workflows"
    fleet_dir.mkdir(parents=True)
    fleet = []
    for i in range(files):
        path = fleet_dir / f"publish-image-{i:04d}.yml"
        path.write_text(workflow(f"tpl{i:04d}"), encoding="utf-8")
        fleet.append(path)
    repo = root / "repo"  # a template repo: pinflow.toml + the workflow
    (repo / ".gitea" / "workflows").mkdir(parents=True)
    (repo / "pinflow.toml").write_text(PINFLOW_TOML, encoding="utf-8")
    shutil.copy(one, repo / ".gitea" / "workflows" / "publish-image.yml")
    return one, fleet, repo


# ---------------------------------------------------------------------------
# Running

def run_once(cmd: Command, env: dict[str, str]) -> Sample:
    if cmd.before is not None:
        cmd.before()
    env = {**env, **cmd.env}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(elapsed, usage.ru_maxrss, proc.returncode)


def tree_peak_kib(cmd: Command, env: dict[str, str]) -> int:
    """Peak of the summed VmRSS of the child and its descendants (sampled)."""
    if not os.path.isdir("/proc"):
        return 0
    if cmd.before is not None:
        cmd.before()
    proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, env={**env, **cmd.env}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_rss_kib(pid) for pid in _tree(proc.pid)))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    proc.wait()
    done.set()
    sampler.join()
    return peak


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return pids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------
# The cases

def find_tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def pinflow_has_cache(pinflow: str, env: dict[str, str]) -> bool:
    out = subprocess.run([pinflow, "lint", "--help"], capture_output=True, text=True, env=env)
    return "--no-cache" in out.stdout


def snapshot_pinflow(root: Path) -> str:
    """A private copy of the pinflow package (and its data) plus a launcher that
    does what the console script does, so edits to the source tree during a
    run (which change the cache fingerprint) cannot skew the numbers."""
    import pinflow

    src = Path(pinflow.__file__).resolve().parent
    dest = root / "snapshot"
    shutil.copytree(src, dest / "pinflow", ignore=shutil.ignore_patterns("__pycache__"))
    for data in ("schemas", "templates"):
        if (src.parent / data).is_dir() and not (src / "_data").is_dir():
            shutil.copytree(src.parent / data, dest / data)
    launcher = root / "bin" / "pinflow"
    launcher.parent.mkdir()
    launcher.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(dest)!r})\n"
                        "from pinflow._entry import main\nsys.exit(main())\n")
    launcher.chmod(0o755)
    return str(launcher)


def build_cases(root: Path, one: Path, fleet: list[Path], repo: Path, env: dict[str, str],
                only: Sequence[str], pinflow: str | None) -> list[Case]:
    if pinflow is None:
        sys.exit("bench.py: no pinflow executable next to this Python or on PATH")
    zizmor, cjs, actionlint = find_tool("zizmor"), find_tool("check-jsonschema"), find_tool("actionlint")
    cache_dir = env["PINFLOW_CACHE_DIR"]

    def clear_cache() -> None:  # the lint cache only: the render rows keep theirs
        for path in Path(cache_dir).glob("*.lintcache"):
            path.unlink()

    def lint_rows(files: list[str], cwd: str) -> list[Command]:
        rows = []
        if pinflow_has_cache(pinflow, env):
            rows.append(Command("pinflow (cold, --no-cache)", [pinflow, "lint", "--no-cache", *files], cwd))
            rows.append(Command("pinflow (first run, empty cache)", [pinflow, "lint", *files], cwd, clear_cache))
            rows.append(Command("pinflow (warm cache)", [pinflow, "lint", *files], cwd))
        else:
            rows.append(Command("pinflow", [pinflow, "lint", *files], cwd))
        return rows

    def edited_row(repo: Path, files: list[str]) -> list[Command]:
        """pre-commit's case: the file just changed (a cache miss), the rest of the cache is warm."""
        if not pinflow_has_cache(pinflow, env):
            return []
        target = repo / files[0]
        original = target.read_text(encoding="utf-8")
        edits = iter(range(10**9))

        def edit() -> None:
            target.write_text(original.replace("name: publish-image", f"name: publish-image  # edit {next(edits)}", 1), encoding="utf-8")
        return [Command("pinflow (file just edited, cache warm)", [pinflow, "lint", *files], str(repo), edit)]

    def peer_rows(files: list[str], cwd: str) -> list[Command]:
        rows = []
        if zizmor:
            rows.append(Command("zizmor", [zizmor, "--offline", *files], cwd))
        if cjs:
            rows.append(Command("check-jsonschema", [cjs, "--builtin-schema", "vendor.github-workflows", *files], cwd))
        if actionlint:
            rows.append(Command("actionlint", [actionlint, "-no-color", *files], cwd))
        return rows

    one_arg = [str(one.relative_to(root / "one"))]
    fleet_args = [str(p.relative_to(root / "fleet")) for p in fleet]
    repo_arg = [str((repo / ".gitea" / "workflows" / "publish-image.yml").relative_to(repo))]
    render_dir = root / "render"
    render_dir.mkdir(exist_ok=True)
    (render_dir / "pinflow.toml").write_text(PINFLOW_TOML, encoding="utf-8")
    cases = [
        Case("lint 1 file", "zizmor", "lint 1 file",
             lint_rows(one_arg, str(root / "one")) + peer_rows(one_arg, str(root / "one"))),
        Case("lint 1 file, repo with pinflow.toml", "zizmor", "lint 1 file",
             lint_rows(repo_arg, str(repo)) + edited_row(repo, repo_arg)),
        Case(f"lint {len(fleet)} files", "zizmor", f"lint {len(fleet)} files",
             lint_rows(fleet_args, str(root / "fleet")) + peer_rows(fleet_args, str(root / "fleet"))),
        Case("render", "zizmor", "lint 1 file",
             [Command("pinflow render (cold, PINFLOW_NO_CACHE=1)", [pinflow, "render"], str(render_dir), env={"PINFLOW_NO_CACHE": "1"}),
              Command("pinflow render (warm cache)", [pinflow, "render"], str(render_dir))]),
        Case("--version", "python -c pass", "--version",
             [Command("pinflow --version", [pinflow, "--version"], str(root)),
              Command("python -c pass", [_python_of(pinflow), "-c", "pass"], str(root))]),
    ]
    return [c for c in cases if not only or any(o in c.name for o in only)]


def _python_of(script: str) -> str:
    """The interpreter a console script runs under (its shebang)."""
    with open(script, "rb") as fh:
        first = fh.readline().decode("utf-8", "replace").strip()
    return first[2:].split()[0] if first.startswith("#!") else sys.executable


def child_env(root: Path, as_is: bool) -> dict[str, str]:
    env = dict(os.environ)
    if not as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    env["PINFLOW_CACHE_DIR"] = str(root / "pinflow-cache")
    env.pop("PINFLOW_NO_CACHE", None)
    return env


def measure(cases: list[Case], env: dict[str, str], rounds: int) -> dict[tuple[str, str], list[Sample]]:
    samples: dict[tuple[str, str], list[Sample]] = {}
    for case in cases:  # warm-up: bytecode, page cache, pinflow's lint cache
        for cmd in case.commands:
            run_once(cmd, env)
    for r in range(rounds):
        for case in cases:
            cmds = case.commands[r % len(case.commands):] + case.commands[: r % len(case.commands)]
            for cmd in cmds:
                samples.setdefault((case.name, cmd.tool), []).append(run_once(cmd, env))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    return samples


def table(cases: list[Case], samples: dict[tuple[str, str], list[Sample]], peaks: dict[tuple[str, str], int]) -> str:
    medians = {k: statistics.median(s.seconds for s in v) for k, v in samples.items()}
    rows = ["| case | tool | median s | min s | ratio | vs | peak MiB | exit |", "|---|---|---:|---:|---:|---|---:|---|"]
    for case in cases:
        ref = medians.get((case.reference_case, case.reference))
        for cmd in case.commands:
            key = (case.name, cmd.tool)
            got = samples[key]
            ratio = f"{medians[key] / ref:.2f}" if ref else "-"
            peak = max(max(s.maxrss_kib for s in got), peaks.get(key, 0)) / 1024
            codes = ",".join(sorted({str(s.status) for s in got}))
            rows.append(f"| {case.name} | {cmd.tool} | {medians[key]:.3f} | {min(s.seconds for s in got):.3f} | {ratio} | "
                        f"{case.reference} ({case.reference_case}) | {peak:.0f} | {codes} |")
    return "\n".join(rows)


def versions(env: dict[str, str]) -> str:
    import pinflow

    parts = [f"pinflow {pinflow.__version__}", f"Python {platform.python_version()}", f"{os.cpu_count()} CPUs", platform.machine()]
    if hasattr(os, "getloadavg"):
        parts.append("load average %.2f (other work on this machine slows every tool alike)" % os.getloadavg()[1])
    for tool, flag in (("zizmor", "--version"), ("check-jsonschema", "--version"), ("actionlint", "-version")):
        path = find_tool(tool)
        if path:
            out = subprocess.run([path, flag], capture_output=True, text=True, env=env)
            parts.append((out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else tool)
    return "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per command (default 5)")
    parser.add_argument("--files", type=int, default=1000, help="files in the fleet case (default 1000)")
    parser.add_argument("--only", action="append", default=[], help="run only cases whose name contains this (repeatable)")
    parser.add_argument("--as-is-env", action="store_true", help="do not touch PYTHONDONTWRITEBYTECODE / PYTHONPYCACHEPREFIX")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    parser.add_argument("--installed", action="store_true",
                        help="run the pinflow executable found next to this Python instead of a snapshot of the package")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="pinflow-bench-"))
    try:
        one, fleet, repo = build_inputs(root, args.files)
        env = child_env(root, args.as_is_env)
        pinflow = find_tool("pinflow") if args.installed else snapshot_pinflow(root)
        cases = build_cases(root, one, fleet, repo, env, args.only, pinflow)
        print(f"inputs: {one.stat().st_size} bytes per workflow, {len(fleet)} fleet files; {args.rounds} rounds", file=sys.stderr)
        samples = measure(cases, env, args.rounds)
        peaks = {(case.name, cmd.tool): tree_peak_kib(cmd, env) for case in cases for cmd in case.commands}
        print(f"{versions(env)}; {args.rounds} rounds, medians; "
              f"{'environment as is' if args.as_is_env else 'bytecode cached (PYTHONPYCACHEPREFIX)'}\n")
        print(table(cases, samples, peaks))
    finally:
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
