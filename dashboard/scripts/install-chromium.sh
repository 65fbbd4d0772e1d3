#!/usr/bin/env bash
# Installs Debian's Chromium, the browser the dashboard's Playwright test drives
# (playwright-core with executablePath /usr/bin/chromium). Idempotent: does nothing when it
# is there. Needs root (or sudo) for apt-get.
set -euo pipefail
exec "$(dirname "$0")/../../test/tools/install-debian-package.sh" /usr/bin/chromium chromium
