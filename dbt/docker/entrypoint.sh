#!/bin/sh
# Entry point of the dbt Fargate task: runs `dbt "$@"`, then uploads run_results.json and
# manifest.json to s3://$ARTIFACTS_BUCKET/dbt/$EXECUTION_ID/ for the quality gate, and exits
# with dbt's exit code. If dbt succeeded but the upload failed, it exits 3: the gate could not
# see the results, so the run must not pass.
set -u

target="${DBT_TARGET_PATH:-target}"
# Artifacts of an earlier run must never pass for this run's: start without them.
rm -f "$target/run_results.json" "$target/manifest.json"

dbt "$@"
status=$?

if [ -n "${ARTIFACTS_BUCKET:-}" ]; then
  if [ -z "${EXECUTION_ID:-}" ]; then
    echo "entrypoint: ARTIFACTS_BUCKET is set but EXECUTION_ID is not; artifacts not uploaded" >&2
    [ "$status" -eq 0 ] && status=3
  elif ! "${PYTHON:-python3}" "$(dirname "$0")/upload_artifacts.py" \
      "$target" "$ARTIFACTS_BUCKET" "dbt/$EXECUTION_ID/"; then
    echo "entrypoint: uploading the dbt artifacts failed" >&2
    [ "$status" -eq 0 ] && status=3
  fi
else
  echo "entrypoint: ARTIFACTS_BUCKET not set; artifacts stay in $target/" >&2
fi

exit "$status"
