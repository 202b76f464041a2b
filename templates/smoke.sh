# pinflow smoke test: run the configured command in the freshly loaded image.
# Any non-zero exit fails the job before anything is pushed.
set -euo pipefail
if [ -z "${IMAGE:-}" ] || [ -z "${SMOKE_ARGS:-}" ]; then
  echo "::error::smoke test: IMAGE and SMOKE_ARGS must be set"
  exit 1
fi
# SMOKE_ARGS is a list of plain words (the config allows no quotes or
# metacharacters); splitting on spaces gives the argv back.
read -r -a smoke_args <<< "${SMOKE_ARGS}"
echo "smoke test: docker run --rm --entrypoint '' ${IMAGE} ${SMOKE_ARGS}"
docker run --rm --entrypoint "" "${IMAGE}" "${smoke_args[@]}"
echo "::notice::smoke test passed for ${IMAGE}"
