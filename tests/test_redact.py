from __future__ import annotations

import pytest

from pinflow.findings import redact

LEAKS = [
    ('curl -H "Authorization: Bearer ghp_abcdefSECRET123456"', "SECRET"),
    ("curl -H 'authorization: token s3cr3t-value-here'", "s3cr3t"),
    ("curl -u admin:hunter2pass https://x", "hunter2"),
    ("PASSWORD=correct-horse-battery", "horse"),
    ("api_key: sk-live-abcdef", "sk-live"),
    ("echo xoxb-1234-5678-abcdefgh", "xoxb-1234"),
    ("AKIAABCDEFGHIJKLMNOP in a comment", "AKIAABCDEFGHIJKLMNOP"),
]


@pytest.mark.parametrize(("text", "secret"), LEAKS)
def test_values_are_masked(text, secret):
    masked = redact(text)
    assert secret not in masked and "***" in masked


@pytest.mark.parametrize("text", [
    'curl -H "Authorization: Bearer ${CP_TOKEN}"',
    'curl -H "Authorization: Bearer $CP_TOKEN"',
    "token: ${{ secrets.CP_ADMIN_API_TOKEN }}",
    "curl -u $USER:$PASS https://x",
    "echo done",
])
def test_references_stay_readable(text):
    assert redact(text) == text


def test_lint_and_check_never_print_a_hardcoded_token(cli, tmp_path, monkeypatch):
    token = "ghp_abcdefSECRETVALUE123"
    wf = (
        "on: {push: {branches: [main]}}\njobs:\n  publish:\n    runs-on: x\n"
        "    outputs: {digest: '${{ steps.push.outputs.digest }}'}\n"
        "    steps:\n      - id: push\n        uses: docker/build-push-action@v6\n        with: {push: true}\n"
        "  promote:\n    needs: publish\n    if: github.ref == 'refs/heads/main'\n    runs-on: x\n"
        "    steps:\n      - env: {D: '${{ needs.publish.outputs.digest }}'}\n"
        f"        run: curl -s -H \"Authorization: Bearer {token}\" -d \"$D\" https://cp.example/promote\n"
    )
    path = tmp_path / "wf.yml"
    path.write_text(wf)
    for fmt in ("text", "json", "sarif", "github"):
        res = cli(["lint", str(path), "--format", fmt])
        assert res.code == 1 and token not in res.out + res.err
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pinflow.toml").write_text('template_name = "codex"\n')
    target = tmp_path / ".gitea" / "workflows" / "publish-image.yml"
    target.parent.mkdir(parents=True)
    target.write_text(wf)
    for fmt in ("text", "json", "github"):
        res = cli(["check", "--format", fmt])
        assert res.code == 1 and token not in res.out + res.err


def test_placeholders_stay_readable():
    for text in ["printf 'Authorization: Bearer %s\\n' \"$T\"", "Authorization: Bearer <token>", "token=%s"]:
        assert redact(text) == text
