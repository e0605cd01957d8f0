#!/usr/bin/env bash
# Installs headless Chromium for the HTML report's browser test
# (reports/html/browser_test.go). Idempotent: does nothing when a Chromium
# that starts is already installed. Debian/Ubuntu only; needs root or sudo.
set -euo pipefail

have_chromium() {
  for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1 && "$b" --version >/dev/null 2>&1; then
      echo "using $("$b" --version 2>/dev/null)"
      return 0
    fi
  done
  return 1
}

if have_chromium; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: no apt-get; install Chromium by hand (the browser test looks for 'chromium' on PATH)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# Retry: a fresh CI machine's mirrors are sometimes mid-sync.
for attempt in 1 2 3; do
  if $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; then
    break
  fi
  if [ "$attempt" -eq 3 ]; then
    echo "install-chromium: apt-get failed three times" >&2
    exit 1
  fi
  sleep $((attempt * 5))
done

have_chromium || { echo "install-chromium: chromium installed but does not start" >&2; exit 1; }
