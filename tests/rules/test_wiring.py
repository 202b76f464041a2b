from __future__ import annotations

import pytest
from lintkit import codes, fixture_text, line_of, mutate

GOOD = fixture_text("good_gitea.yml")
SHELL_PUSH = fixture_text("shell_push_gitea.yml")


@pytest.mark.parametrize("text", [GOOD, SHELL_PUSH], ids=["action-push", "shell-docker-push"])
def test_full_contract_draws_no_contract_error(lint, text):
    assert codes(lint(text), "PF1") + codes(lint(text), "PF2") + codes(lint(text), "PF3") == []


def test_pf101_push_step_without_id(lint):
    text = mutate(GOOD, "        id: push\n", "")
    found = [f for f in lint(text) if f.rule == "PF101"]
    assert len(found) == 1
    assert found[0].line == line_of(text, "- name: Push")
    assert found[0].job == "publish"


def test_pf101_follows_shell_push_not_action_name(lint):
    text = mutate(SHELL_PUSH, "        id: push\n", "")
    found = [f for f in lint(text) if f.rule == "PF101"]
    assert [f.line for f in found] == [line_of(text, "- name: Push (plain docker push")]


def test_load_only_build_is_not_a_push(lint):
    # Only the load step remains: nothing publishes, so no contract rule applies.
    text = GOOD.replace("push: true", "push: false")
    assert not [f for f in lint(text) if f.rule in ("PF101", "PF102", "PF105")]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      digest: ${{ steps.push.outputs.digest }}\n", "", "does not expose `outputs.digest`"),
        ("      digest: ${{ steps.push.outputs.digest }}", "      image-digest: ${{ steps.push.outputs.digest }}", "as `outputs.image-digest`"),
        ("      digest: ${{ steps.push.outputs.digest }}", "      digest: ${{ steps.push.outputs.imageid }}", "output `imageid`"),
        ("      digest: ${{ steps.push.outputs.digest }}", "      digest: ${{ steps.pushed.outputs.digest }}", "not a step of this job"),
        ("      digest: ${{ steps.push.outputs.digest }}", "      digest: sha256:abc", "not a step output"),
    ],
)
def test_pf102_digest_output(lint, old, new, message):
    found = [f for f in lint(mutate(GOOD, old, new)) if f.rule == "PF102"]
    assert len(found) == 1 and message in found[0].message


def test_pf102_accepts_pass_through_step(lint):
    text = mutate(GOOD, "      digest: ${{ steps.push.outputs.digest }}", "      digest: ${{ steps.relay.outputs.digest }}")
    text = text.replace(
        "          tags: registry.example.test/team/app:latest\n",
        "          tags: registry.example.test/team/app:latest\n"
        "      - id: relay\n"
        "        run: echo \"digest=${{ steps.push.outputs.digest }}\" >> \"$GITHUB_OUTPUT\"\n",
    )
    assert "PF102" not in codes(lint(text))


def test_pf103_missing_needs(lint):
    text = mutate(GOOD, "    needs: [resolve-version, publish]", "    needs: [resolve-version]")
    found = [f for f in lint(text) if f.rule == "PF103"]
    assert len(found) == 1
    assert found[0].line == line_of(text, "IMAGE_DIGEST: ${{ needs.publish")
    assert "does not list 'publish'" in found[0].message


def test_pf104_reads_misnamed_output(lint):
    text = mutate(GOOD, "needs.publish.outputs.digest", "needs.publish.outputs.image-digest")
    found = [f for f in lint(text) if f.rule == "PF104"]
    assert len(found) == 1 and "outputs.image-digest" in found[0].message


def test_pf105_publisher_without_promote(lint):
    start = GOOD.index("  promote-pin:")
    text = GOOD[:start]
    found = [f for f in lint(text) if f.rule == "PF105"]
    assert [(f.line, f.job) for f in found] == [(line_of(text, "  publish:"), "publish")]


def test_non_publishing_workflow_gets_no_contract_rules(lint):
    text = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: curl -s https://example.test\n"
    assert codes(lint(text), "PF1") == codes(lint(text), "PF3") == []


def test_pf106_warns_when_digest_unchecked(lint):
    text = mutate(GOOD, '          if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then\n            echo "::error::bad digest"; exit 1\n          fi\n', "")
    found = [f for f in lint(text) if f.rule == "PF106"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert not [f for f in lint(GOOD) if f.rule == "PF106"]


def test_wrapped_shell_push_is_still_a_push(lint):
    # The fleet's CF-bypass push runs `timeout 480 docker push`: still the push.
    text = mutate(SHELL_PUSH, 'out="$(docker push', 'out="$(timeout 480 docker push')
    assert "PF101" not in codes(lint(text))
    text = mutate(text, "        id: push\n", "")
    assert "PF101" in codes(lint(text))


PROMOTE_STEP_RUN = '''          curl -sS --fail-with-body --max-time 30 -X POST \\
            -H "Authorization: Bearer ${CP_TOKEN}" \\
            -H "Content-Type: application/json" \\
            -d "${body}" \\
            "https://cp.example.test/cp/admin/runtime-image/promote"
'''


def test_signing_job_with_a_download_is_not_a_promoter(lint):
    # cosign signing reads the digest and curls a release binary: not a promote.
    start = GOOD.index("  promote-pin:")
    text = GOOD[:start] + (
        "  sign:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    needs: [publish]\n"
        "    if: github.event_name != 'pull_request'\n    steps:\n"
        "      - env:\n          DIGEST: ${{ needs.publish.outputs.digest }}\n"
        "        run: |\n          curl -sSfL -o cosign https://example.test/cosign\n          ./cosign sign \"r/app@${DIGEST}\"\n"
    )
    rules = codes(lint(text))
    assert "PF201" not in rules and "PF105" in rules


def test_retagging_promote_job_is_still_checked(lint):
    # A promote job that also pushes `:prod` is a promoter, not a publisher.
    text = mutate(GOOD, "          set -euo pipefail\n          if [ -z", "          set -euo pipefail\n          docker push registry.example.test/team/app:prod\n          if [ -z")
    assert codes(lint(text)) == []
    loose = mutate(text, IF_LINE + "\n", "")
    assert codes(lint(loose)) == ["PF201"]


IF_LINE = "    if: ${{ success() && github.ref == 'refs/heads/main' }}"


@pytest.mark.parametrize("command", [
    "docker buildx build --output type=registry,name=r/a .",
    "docker buildx build -o type=image,push=true .",
    "docker buildx build --push=true .",
    "docker build --push -t r/a .",
    "docker --context ci push r/a",
    "podman manifest push r/a",
    "docker buildx imagetools create -t r/a r/a-amd64 r/a-arm64",
])
def test_shell_push_forms(lint, command):
    from pinflow.lintctx import step_pushes
    from pinflow.model import build
    from pinflow.yamlio import compose

    text = f"on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: {command}\n"
    wf = build("x.yml", text, compose(text), "gitea")
    assert step_pushes(wf.jobs["a"].steps[0])


def test_shell_push_with_a_later_digest_step(lint):
    text = mutate(SHELL_PUSH, '          echo "digest=${digest}" >> "$GITHUB_OUTPUT"\n', "")
    text = mutate(text, "        id: push\n", "")
    text = mutate(text, "      digest: ${{ steps.push.outputs.digest }}", "      digest: ${{ steps.inspect.outputs.digest }}")
    text = mutate(text, "  promote-pin:\n", "      - id: inspect\n        run: echo \"digest=$(docker inspect --format '{{index .RepoDigests 0}}' x | cut -d@ -f2)\" >> \"$GITHUB_OUTPUT\"\n  promote-pin:\n")
    assert [c for c in codes(lint(text)) if c in ("PF101", "PF102")] == []


def test_shell_push_that_never_writes_the_digest(lint):
    text = mutate(SHELL_PUSH, '          echo "digest=${digest}" >> "$GITHUB_OUTPUT"\n', "")
    found = [f for f in lint(text) if f.rule == "PF102"]
    assert len(found) == 1 and "never writes" in found[0].message


def test_pf103_points_at_the_read(lint):
    text = mutate(GOOD, "    needs: [resolve-version, publish]", "    needs: [resolve-version]")
    [f] = [f for f in lint(text) if f.rule == "PF103"]
    row = line_of(text, "IMAGE_DIGEST: ${{ needs.publish")
    assert (f.line, f.column) == (row, text.splitlines()[row - 1].index("needs.publish") + 1)


def test_pf106_sees_job_env_inline_reads_and_earlier_checks(lint):
    unchecked = mutate(GOOD, '          if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then\n            echo "::error::bad digest"; exit 1\n          fi\n', "")
    job_env = mutate(unchecked, "          IMAGE_DIGEST: ${{ needs.publish.outputs.digest }}\n", "")
    job_env = mutate(job_env, "    steps:\n      - name: Promote\n", "    env:\n      IMAGE_DIGEST: ${{ needs.publish.outputs.digest }}\n    steps:\n      - name: Promote\n")
    assert [f.rule for f in lint(job_env) if f.rule == "PF106"] == ["PF106"]
    earlier = mutate(job_env, "    steps:\n      - name: Promote\n",
                     "    steps:\n      - name: Validate\n        run: |\n          [[ \"${IMAGE_DIGEST}\" =~ ^sha256:[0-9a-f]{64}$ ]] || exit 1\n      - name: Promote\n")
    assert [f for f in lint(earlier) if f.rule == "PF106"] == []


def test_pf106_reads_each_step_in_its_own_shell(lint):
    # Each step is its own bash process: an earlier step that leaves a heredoc
    # open must not swallow this step's check (nor count as a check itself).
    checked = mutate(GOOD, "    steps:\n      - name: Promote\n",
                     "    steps:\n      - name: Banner\n        run: |\n          cat <<EOF\n          hello\n      - name: Promote\n")
    assert [f for f in lint(checked) if f.rule == "PF106"] == []
    unchecked = mutate(checked, '          if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then\n            echo "::error::bad digest"; exit 1\n          fi\n', "")
    assert [f.rule for f in lint(unchecked) if f.rule == "PF106"] == ["PF106"]
