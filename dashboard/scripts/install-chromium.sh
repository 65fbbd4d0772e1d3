#!/usr/bin/env bash
# Installs Debian's Chromium, the browser the dashboard's Playwright test drives
# (playwright-core with executablePath /usr/bin/chromium). Idempotent: does nothing when it
# is there. Needs root (or sudo) for apt-get.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  command -v sudo >/dev/null || { echo "installing chromium needs root: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium
echo "chromium: $(/usr/bin/chromium --version)"
