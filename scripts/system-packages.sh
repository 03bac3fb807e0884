#!/usr/bin/env bash
# Install the Debian packages the tracker needs, if any is missing.
# Usage: scripts/system-packages.sh [runtime|test]
#   runtime: fonts and the libraries WeasyPrint needs to print letters fast
#   test:    runtime + poppler/qpdf (PDF checks) + chromium (browser tests)
set -euo pipefail

runtime=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig
         fonts-noto-cjk fonts-lxgw-wenkai)
testing=(poppler-utils qpdf chromium)

wanted=("${runtime[@]}")
if [ "${1:-runtime}" = "test" ]; then
  wanted+=("${testing[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "tracker needs these system packages, and this is not a Debian system: ${missing[*]}" >&2
  echo "Install their equivalents, then run make again." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "tracker needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are older than a day (or absent).
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
