# pinflow verify: read the pins back and fail unless the template's pin now
# equals the digest this run pushed (a green promote that did not move the pin
# is exactly what this catches). Inputs come only from the environment:
#   VERIFY_URL, CP_TOKEN, TEMPLATE_NAME, IMAGE_DIGEST, TARGET,
#   PROMOTE_RETRY_DELAY (seconds between the 3 attempts, default 5).
set -euo pipefail

fail() {
  echo "::error::verify ${TARGET:-?}: $*"
  exit 1
}

[ -n "${CP_TOKEN:-}" ] || fail "the token secret is empty or not configured on this repo"
[[ "${CP_TOKEN}" != *[[:space:][:cntrl:]]* ]] || fail "the token secret contains whitespace or control characters"
[[ "${IMAGE_DIGEST:-}" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "the pushed digest is empty or not sha256:<64 hex>"
[[ "${TEMPLATE_NAME:-}" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || fail "TEMPLATE_NAME is not a valid template name"
[[ "${VERIFY_URL:-}" =~ ^https?://[^[:space:][:cntrl:]]+$ ]] || fail "VERIFY_URL is not an http(s) URL"
delay="${PROMOTE_RETRY_DELAY:-5}"
[[ "${delay}" =~ ^[0-9]{1,3}$ ]] || fail "PROMOTE_RETRY_DELAY must be 0-999 seconds"

# Digests recorded for TEMPLATE_NAME anywhere in the response: objects
# {"template_name": T, "image_digest": D} or {T: {"image_digest": D}}.
# Exit 0 when the pushed digest is among them.
pins() {
  python3 - "$1" <<'PY'
import json
import os
import re
import sys

want, digest = os.environ["TEMPLATE_NAME"], os.environ["IMAGE_DIGEST"]
try:
    with open(sys.argv[1], encoding="utf-8") as fh:
        data = json.load(fh)
except ValueError:
    print("an unreadable (non-JSON) response")
    sys.exit(1)
found, stack = [], [data]
while stack:
    node = stack.pop()
    if isinstance(node, dict):
        if node.get("template_name") == want and isinstance(node.get("image_digest"), str):
            found.append(node["image_digest"])
        inner = node.get(want)
        if isinstance(inner, dict) and isinstance(inner.get("image_digest"), str):
            found.append(inner["image_digest"])
        stack.extend(node.values())
    elif isinstance(node, list):
        stack.extend(node)
# Print only digest-shaped values: the response is not ours to echo verbatim.
shown = sorted({d if re.fullmatch(r"sha256:[0-9a-f]{64}", d) else "<malformed>" for d in found})
print(", ".join(shown) or "no pin")
sys.exit(0 if digest in found else 1)
PY
}

resp="$(mktemp)"
trap 'rm -f "${resp}"' EXIT
# At most 3 attempts: connection errors, 5xx and a pin that has not moved yet
# are retried (the read side may lag the write); anything else is final.
for attempt in 1 2 3; do
  if code="$(printf 'Authorization: Bearer %s\n' "${CP_TOKEN}" | curl --silent --show-error \
      --connect-timeout 10 --max-time 30 --get --header @- \
      --data-urlencode "template_name=${TEMPLATE_NAME}" \
      --output "${resp}" --write-out '%{http_code}' --url "${VERIFY_URL}")"; then
    status="HTTP ${code}"
  else
    status="transport error (curl exit $?)"
  fi
  case "${status}" in
    "HTTP 2"[0-9][0-9])
      if found="$(pins "${resp}")"; then
        echo "::notice::${TEMPLATE_NAME} is pinned to ${IMAGE_DIGEST} (${TARGET:-?})"
        exit 0
      fi
      status="${status}, pin is ${found}, expected ${IMAGE_DIGEST}"
      ;;
    "HTTP 5"[0-9][0-9] | transport*) ;;
    *)
      cat "${resp}"; echo
      fail "read-back failed: ${status}"
      ;;
  esac
  if [ "${attempt}" -lt 3 ]; then
    echo "::warning::attempt ${attempt}/3: ${status}; retrying in ${delay}s"
    sleep "${delay}"
    continue
  fi
  fail "${status} after ${attempt} attempt(s)"
done
fail "no attempt was made"
