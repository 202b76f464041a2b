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
