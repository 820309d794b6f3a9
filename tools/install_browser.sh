#!/usr/bin/env bash
# Install headless Chromium for tests/test_slides.py (Debian/Ubuntu; run as root or with sudo).
# Idempotent: does nothing when a chromium binary is already on PATH.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then echo "browser present: $(command -v "$b")"; exit 0; fi
done
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; $SUDO true 2>/dev/null || { echo "not root and no passwordless sudo: install chromium yourself to run the browser test"; exit 1; }; fi
command -v apt-get >/dev/null || { echo "no apt-get here: install chromium yourself to run the browser test"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
command -v chromium
chromium --version || true
