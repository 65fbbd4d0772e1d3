#!/usr/bin/env bash
# Installs Debian's kcat, the Kafka client nobody here wrote that some integration tests drive
# (test/integration/one-vote-per-voter.test.ts, kafka-iam.test.ts). Idempotent: does nothing
# when it is there. Needs root (or sudo) for apt-get.
set -euo pipefail
if command -v kcat >/dev/null; then
  echo "kcat: $(kcat -V 2>/dev/null | head -1)"
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  command -v sudo >/dev/null || { echo "installing kcat needs root: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends kcat
echo "kcat: $(kcat -V | head -1)"
