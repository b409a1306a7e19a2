#!/usr/bin/env bash
# The notebook's tests, as CI runs them on a fresh machine: install Jupyter, GoNB and goimports (pinned) and
# register the kernel; run notebooks/smart-image-sorter.ipynb headless; then drive it in headless Chromium.
# About a minute with warm caches; a few minutes on a fresh machine (apt packages, a cold Go build).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step() { echo "== notebook: $1 ($(( $(date +%s) - t0 )) s so far)"; }
step "install (scripts/install-notebook.sh)"
scripts/install-notebook.sh
step "headless run (scripts/test-notebook-headless.sh)"
scripts/test-notebook-headless.sh
step "browser run (scripts/test-notebook-browser.sh)"
scripts/test-notebook-browser.sh
step "all notebook tests passed"
