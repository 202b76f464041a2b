# pinflow promote: POST the pushed digest to the control plane, fail loud.
# Inputs come only from the environment, never from expressions in this text:
#   CP_URL, CP_TOKEN, TEMPLATE_NAME, IMAGE_DIGEST, GIT_SHA, NOTES, TARGET,
#   PROMOTE_RETRY_DELAY (seconds between the 3 attempts, default 5).
set -euo pipefail

fail() {
  echo "::error::promote ${TARGET:-?}: $*"
  exit 1
}

# Refuse before any request: a promote with a missing token or digest can only
# fail, or worse, pin garbage.
[ -n "${CP_TOKEN:-}" ] || fail "the token secret is empty or not configured on this repo"
[[ "${CP_TOKEN}" != *[[:space:][:cntrl:]]* ]] || fail "the token secret contains whitespace or control characters"
[ -n "${IMAGE_DIGEST:-}" ] || fail "the publish job exposed no digest (its outputs.digest is empty)"
[[ "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "the digest is not sha256:<64 hex>"
[[ "${TEMPLATE_NAME:-}" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || fail "TEMPLATE_NAME is not a valid template name"
[[ "${GIT_SHA:-}" =~ ^[0-9a-f]{7,40}$ ]] || fail "GIT_SHA is not a hex commit id"
[[ "${CP_URL:-}" =~ ^https?://[^[:space:][:cntrl:]]+$ ]] || fail "CP_URL is not an http(s) URL"
[[ "${NOTES:-}" != *[[:cntrl:]]* ]] || fail "NOTES contains control characters"
delay="${PROMOTE_RETRY_DELAY:-5}"
[[ "${delay}" =~ ^[0-9]{1,3}$ ]] || fail "PROMOTE_RETRY_DELAY must be 0-999 seconds"

# Every field is checked above; NOTES is free text, so escape it for JSON.
notes="${NOTES:-}"
notes="${notes//\\/\\\\}"
notes="${notes//\"/\\\"}"
body="$(printf '{"template_name":"%s","image_digest":"%s","git_sha":"%s","notes":"%s"}' \
  "${TEMPLATE_NAME}" "${IMAGE_DIGEST}" "${GIT_SHA}" "${notes}")"

resp="$(mktemp)"
trap 'rm -f "${resp}"' EXIT
echo "POST ${CP_URL} template=${TEMPLATE_NAME} digest=${IMAGE_DIGEST} git_sha=${GIT_SHA}"
# At most 3 attempts: connection errors and 5xx are retried, anything else is final.
for attempt in 1 2 3; do
  # The token travels on stdin (-H @-), so it never shows in the process list.
  if code="$(printf 'Authorization: Bearer %s\n' "${CP_TOKEN}" | curl --silent --show-error \
      --connect-timeout 10 --max-time 30 \
      --request POST --header @- --header 'Content-Type: application/json' \
      --data-binary "${body}" --output "${resp}" --write-out '%{http_code}' \
      --url "${CP_URL}")"; then
    status="${code}"
  else
    status="transport error (curl exit $?)"
  fi
  case "${status}" in
    2[0-9][0-9])
      echo "HTTP ${status}"
      cat "${resp}"; echo
      echo "::notice::promoted ${TEMPLATE_NAME} to ${IMAGE_DIGEST} (${TARGET:-?})"
      exit 0
      ;;
    5[0-9][0-9] | transport*)
      if [ "${attempt}" -lt 3 ]; then
        echo "::warning::attempt ${attempt}/3: ${status}; retrying in ${delay}s"
        sleep "${delay}"
        continue
      fi
      ;;
  esac
  echo "HTTP ${status}"
  cat "${resp}"; echo
  fail "the control plane did not accept the promote (${status}) after ${attempt} attempt(s)"
done
fail "no attempt was made"
