"""The rendered promote (and verify, resolve-version) steps, run for real.

Each `run:` script is executed by real bash, with the command line the
runner uses for that dialect, and real curl against a loopback HTTP server
playing the control plane. The step's `env:` is filled in as the runner
would: every `${{ }}` is evaluated (with pinflow's own expression parser)
against matrix/needs/secrets/github contexts the test provides.
"""
from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from pinflow import expressions as ex
from pinflow.config import load_config
from pinflow.render import render_workflow

pytestmark = pytest.mark.slow

DIGEST = "sha256:" + "ab" * 32
TOKEN = "s3cr3t-token-value"
GIT_SHA = "0123456789abcdef0123456789abcdef01234567"

# How the runner invokes a `run:` for each (dialect, shell:) pair.
SHELLS = {
    ("gitea", "bash"): ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail"],
    ("gitea", None): ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail"],
    ("github", "bash"): ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
    ("github", None): ["bash", "-e"],
}


# ---------------------------------------------------------------------------
# The control plane: answers from a script of (status, body), records requests.

class Seen(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ControlPlane:
    def __init__(self, answers: list[tuple[int, str]]) -> None:
        self.answers = list(answers)
        self.requests: list[Seen] = []
        plane = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                plane.requests.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, text = plane.answers.pop(0) if plane.answers else (599, "no answer scripted")
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ControlPlane:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _refused_port() -> int:
    # Bound then closed: nothing listens there, so connect() is refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------
# The runner's part: evaluate env expressions, pick the shell, run the script.

def _lookup(contexts: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = {k.lower(): v for k, v in contexts.items()}
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = {str(k).lower(): v for k, v in value.items()}.get(part)
    return value


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def _evaluate(node: ex.Node, contexts: Mapping[str, Any]) -> Any:
    if isinstance(node, ex.Literal):
        return node.value
    if isinstance(node, ex.Context):
        return _lookup(contexts, node.path)
    if isinstance(node, ex.Logical):
        left = _evaluate(node.left, contexts)
        if node.op == "&&":
            return _evaluate(node.right, contexts) if _truthy(left) else left
        return left if _truthy(left) else _evaluate(node.right, contexts)
    if isinstance(node, ex.Binary) and node.op in ("==", "!="):
        same = _evaluate(node.left, contexts) == _evaluate(node.right, contexts)
        return same if node.op == "==" else not same
    raise AssertionError(f"the rendered workflow uses an expression this runner stand-in does not know: {node}")


def substitute(value: Any, contexts: Mapping[str, Any]) -> str:
    text = str(value)
    out, pos = [], 0
    for emb in ex.find_embedded(text):
        out.append(text[pos:emb.start])
        result = _evaluate(ex.parse(emb.source), contexts)
        out.append("" if result is None else str(result))
        pos = emb.end
    return "".join(out) + text[pos:]


class Run(NamedTuple):
    code: int
    out: str


def run_step(step: Mapping[str, Any], dialect: str, contexts: Mapping[str, Any], extra_env: Mapping[str, str] = {},
             cwd: Path | None = None) -> Run:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "GITHUB_SHA": GIT_SHA,
           "PROMOTE_RETRY_DELAY": "0"}
    env.update({k: substitute(v, contexts) for k, v in (step.get("env") or {}).items()})
    env.update(extra_env)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "step.sh"
        script.write_text(step["run"])
        argv = SHELLS[(dialect, step.get("shell"))] + [str(script)]
        proc = subprocess.run(argv, env=env, cwd=cwd or tmp, capture_output=True, text=True, timeout=60)
    return Run(proc.returncode, proc.stdout + proc.stderr)


def contexts_for(leg: Mapping[str, Any], digest: str = DIGEST, secrets: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "matrix": dict(leg),
        "secrets": dict(secrets if secrets is not None else {"CP_ADMIN_API_TOKEN": TOKEN, "CP_STAGING_TOKEN": "staging-token"}),
        "needs": {"publish": {"outputs": {"digest": digest}}, "resolve-version": {"outputs": {"sha": GIT_SHA[:7], "version": "1.2.3"}}},
        "github": {"sha": GIT_SHA, "repository": "molecule-ai/workspace-template-codex", "ref": "refs/heads/main"},
    }


def _workflow(overrides: list[str], dialect: str = "gitea") -> dict[str, Any]:
    from ruamel.yaml import YAML

    with tempfile.TemporaryDirectory() as empty:
        config = load_config(overrides=overrides, template_name="codex", dialect=dialect, cwd=Path(empty))
    data: dict[str, Any] = YAML(typ="safe").load(render_workflow(config))
    return data


def _only_run_step(job: Mapping[str, Any]) -> Mapping[str, Any]:
    runs = [s for s in job["steps"] if "run" in s]
    assert len(runs) == 1
    return runs[0]


def _legs(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    strategy = job.get("strategy")
    return list(strategy["matrix"]["include"]) if strategy else [{}]


def promote(plane_url: str, dialect: str = "gitea") -> tuple[Mapping[str, Any], dict[str, Any]]:
    wf = _workflow([f"promote.url={plane_url}"], dialect)
    job = wf["jobs"]["promote-pin"]
    return _only_run_step(job), _legs(job)[0]


@pytest.fixture(params=["gitea", "github"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ---------------------------------------------------------------------------
# promote-pin

@pytest.mark.parametrize("status", [200, 201])
def test_promote_2xx_passes_and_posts_the_contract(dialect: str, status: int) -> None:
    with ControlPlane([(status, '{"ok": true}')]) as plane:
        step, leg = promote(plane.base + "/cp/admin/runtime-image/promote", dialect)
        result = run_step(step, dialect, contexts_for(leg))
    assert result.code == 0, result.out
    (req,) = plane.requests
    assert (req.method, req.path) == ("POST", "/cp/admin/runtime-image/promote")
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["content-type"] == "application/json"
    body = json.loads(req.body)
    assert set(body) == {"template_name", "image_digest", "git_sha", "notes"}
    assert (body["template_name"], body["image_digest"], body["git_sha"]) == ("codex", DIGEST, GIT_SHA[:7])
    assert GIT_SHA in body["notes"]
    assert TOKEN not in result.out


@pytest.mark.parametrize("status", [401, 404, 500])
def test_promote_non_2xx_fails_loud_with_status_and_body(dialect: str, status: int) -> None:
    with ControlPlane([(status, '{"error": "nope-%d"}' % status)] * 3) as plane:
        step, leg = promote(plane.base + "/cp/admin/runtime-image/promote", dialect)
        result = run_step(step, dialect, contexts_for(leg))
    assert result.code != 0
    assert str(status) in result.out and f"nope-{status}" in result.out
    assert "::error::" in result.out
    # 4xx is final; 5xx is retried a bounded number of times.
    assert len(plane.requests) == (3 if status >= 500 else 1)
    assert TOKEN not in result.out


def test_promote_transient_503_then_200_passes() -> None:
    with ControlPlane([(503, "busy"), (200, "{}")]) as plane:
        step, leg = promote(plane.base + "/promote")
        result = run_step(step, "gitea", contexts_for(leg))
    assert result.code == 0, result.out
    assert len(plane.requests) == 2
    assert json.loads(plane.requests[1].body)["image_digest"] == DIGEST


def test_promote_refused_connection_fails() -> None:
    step, leg = promote(f"http://127.0.0.1:{_refused_port()}/promote")
    result = run_step(step, "gitea", contexts_for(leg))
    assert result.code != 0
    assert "::error::" in result.out and "transport error" in result.out


@pytest.mark.parametrize(("digest", "secrets"), [
    (DIGEST, {}),  # the token secret is not configured
    (DIGEST, {"CP_ADMIN_API_TOKEN": ""}),
    ("", {"CP_ADMIN_API_TOKEN": TOKEN}),  # publish exposed no digest
    ("sha256:" + "ab" * 31, {"CP_ADMIN_API_TOKEN": TOKEN}),  # too short
    ("sha256:" + "AB" * 32, {"CP_ADMIN_API_TOKEN": TOKEN}),  # not lowercase hex
    ("md5:" + "ab" * 32, {"CP_ADMIN_API_TOKEN": TOKEN}),
    (DIGEST + "\n::set-output name=x::y", {"CP_ADMIN_API_TOKEN": TOKEN}),
])
def test_promote_refuses_without_any_request(digest: str, secrets: dict[str, str]) -> None:
    with ControlPlane([(200, "{}")]) as plane:
        step, leg = promote(plane.base + "/promote")
        result = run_step(step, "gitea", contexts_for(leg, digest=digest, secrets=secrets))
    assert result.code != 0
    assert "::error::" in result.out
    assert plane.requests == []


def test_promote_body_is_valid_json_for_awkward_notes() -> None:
    notes = 'quote " backslash \\ dollar $(x) `tick` ${{ x }} # : end'
    with ControlPlane([(200, "{}")]) as plane:
        step, leg = promote(plane.base + "/promote")
        result = run_step(step, "gitea", contexts_for(leg), extra_env={"NOTES": notes})
    assert result.code == 0, result.out
    assert json.loads(plane.requests[0].body)["notes"] == notes


def test_two_targets_each_leg_uses_its_own_url_and_token() -> None:
    with ControlPlane([(200, "{}")]) as prod, ControlPlane([(500, "down")] * 3) as staging:
        wf = _workflow([
            "promote.targets=[{name='prod', url='%s/p', token_secret='CP_ADMIN_API_TOKEN'},"
            " {name='staging', url='%s/s', token_secret='CP_STAGING_TOKEN'}]" % (prod.base, staging.base),
        ])
        job = wf["jobs"]["promote-pin"]
        assert job["strategy"]["fail-fast"] is False
        step = _only_run_step(job)
        results = {leg["target"]: run_step(step, "gitea", contexts_for(leg)) for leg in _legs(job)}
    assert results["prod"].code == 0, results["prod"].out
    assert results["staging"].code != 0  # fails on its own, loudly
    assert [r.headers["authorization"] for r in prod.requests] == [f"Bearer {TOKEN}"]
    assert {r.headers["authorization"] for r in staging.requests} == {"Bearer staging-token"}
    assert len(staging.requests) == 3


def test_a_leg_whose_secret_is_missing_refuses() -> None:
    with ControlPlane([(200, "{}")]) as plane:
        wf = _workflow([
            "promote.targets=[{name='prod', url='%s/p', token_secret='CP_ADMIN_API_TOKEN'},"
            " {name='staging', url='%s/s', token_secret='CP_STAGING_TOKEN'}]" % (plane.base, plane.base),
        ])
        job = wf["jobs"]["promote-pin"]
        staging = [leg for leg in _legs(job) if leg["target"] == "staging"][0]
        # Only prod's secret exists: the staging leg must not borrow it.
        result = run_step(_only_run_step(job), "gitea", contexts_for(staging, secrets={"CP_ADMIN_API_TOKEN": TOKEN}))
    assert result.code != 0
    assert plane.requests == []


# ---------------------------------------------------------------------------
# verify-pin

def _verify_step(plane_url: str) -> tuple[Mapping[str, Any], dict[str, Any]]:
    wf = _workflow([f"promote.url={plane_url}/cp/admin/runtime-image/promote", "promote.verify=true"])
    job = wf["jobs"]["verify-pin"]
    assert "promote-pin" in job["needs"]
    return _only_run_step(job), _legs(job)[0]


@pytest.mark.parametrize("answer", [
    {"pins": [{"template_name": "codex", "image_digest": DIGEST}, {"template_name": "hermes", "image_digest": "sha256:" + "0" * 64}]},
    {"codex": {"image_digest": DIGEST}},
])
def test_verify_passes_when_the_pin_moved(answer: object) -> None:
    with ControlPlane([(200, json.dumps(answer))]) as plane:
        step, leg = _verify_step(plane.base)
        result = run_step(step, "gitea", contexts_for(leg))
    assert result.code == 0, result.out
    (req,) = plane.requests
    assert req.method == "GET" and req.path == "/cp/admin/runtime-image?template_name=codex"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("answers", [
    [(200, json.dumps({"pins": [{"template_name": "codex", "image_digest": "sha256:" + "0" * 64}]}))] * 3,
    [(200, json.dumps({"pins": []}))] * 3,
    [(200, "not json")] * 3,
    [(404, "{}")],
    [(500, "{}")] * 3,
])
def test_verify_fails_unless_the_pin_equals_the_pushed_digest(answers: list[tuple[int, str]]) -> None:
    with ControlPlane(answers) as plane:
        step, leg = _verify_step(plane.base)
        result = run_step(step, "gitea", contexts_for(leg))
    assert result.code != 0
    assert "::error::" in result.out
    assert len(plane.requests) == len(answers)


# ---------------------------------------------------------------------------
# resolve-version

def _resolve(tmp_path: Path) -> tuple[Run, dict[str, str]]:
    wf = _workflow([])
    step = [s for s in wf["jobs"]["resolve-version"]["steps"] if "run" in s][0]
    output = tmp_path / "output"
    output.touch()
    result = run_step(step, "gitea", contexts_for({}), extra_env={"GITHUB_OUTPUT": str(output)}, cwd=tmp_path)
    pairs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result, pairs


def test_resolve_version_reads_runtime_version(tmp_path: Path) -> None:
    (tmp_path / ".runtime-version").write_text("  1.4.2 \nignored\n")
    result, outputs = _resolve(tmp_path)
    assert result.code == 0, result.out
    assert outputs == {"version": "1.4.2", "sha": GIT_SHA[:7]}


def test_resolve_version_without_the_file(tmp_path: Path) -> None:
    result, outputs = _resolve(tmp_path)
    assert result.code == 0, result.out
    assert outputs == {"version": "", "sha": GIT_SHA[:7]}


def test_resolve_version_refuses_a_hostile_version(tmp_path: Path) -> None:
    (tmp_path / ".runtime-version").write_text("1.0$(id)\n")
    result, outputs = _resolve(tmp_path)
    assert result.code != 0 and "::error::" in result.out
    assert outputs == {}


def _iter_jobs(wf: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    yield from wf["jobs"].items()


def test_every_run_step_names_bash(dialect: str) -> None:
    # The e2e runs above pick the shell from `shell:`; every step must set it,
    # so what ran here is what the runner runs.
    wf = _workflow(["smoke_test=true", "promote.verify=true"], dialect)
    for _, job in _iter_jobs(wf):
        for step in job["steps"]:
            if "run" in step:
                assert step.get("shell") == "bash"
