#!/usr/bin/env bash
# Installs a Debian package the tests drive unless its command is there already:
#   install-debian-package.sh <command> <package>
# e.g. chromium (the dashboard's Playwright test drives /usr/bin/chromium) and kcat (a Kafka
# client nobody here wrote). Needs root (or sudo) for apt-get.
set -euo pipefail
command_name="$1"
package="$2"
if command -v "$command_name" >/dev/null; then
  echo "$package: $(command -v "$command_name")"
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  command -v sudo >/dev/null || { echo "installing $package needs root: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$package"
echo "$package: $(command -v "$command_name")"
