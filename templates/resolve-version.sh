# pinflow resolve-version: the runtime version (first line of .runtime-version,
# when the file exists) and the short commit sha, as step outputs.
set -euo pipefail
version=""
if [ -f .runtime-version ]; then
  version="$(head -n 1 .runtime-version | tr -d '[:space:]')"
  # The value becomes a build arg: one plain word, nothing a build-args list could split on.
  if ! [[ "${version}" =~ ^[A-Za-z0-9._+-]{0,64}$ ]]; then
    echo "::error::.runtime-version must hold one version (letters, digits and . _ + -, at most 64)"
    exit 1
  fi
  echo "runtime version from .runtime-version: ${version:-<empty>}"
else
  echo "no .runtime-version: the Dockerfile's default applies"
fi
sha="${GITHUB_SHA:0:7}"
if ! [[ "${sha}" =~ ^[0-9a-f]{7}$ ]]; then
  echo "::error::GITHUB_SHA is not a commit id"
  exit 1
fi
{
  echo "version=${version}"
  echo "sha=${sha}"
} >> "${GITHUB_OUTPUT}"
