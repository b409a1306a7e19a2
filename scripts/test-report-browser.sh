#!/usr/bin/env bash
# Checks a report.html (package htmlreport) in a real browser: Debian's headless Chromium driven by npm's
# playwright-core (scripts/notebook-browser/report-browser-test.mjs), with JavaScript turned off, from a
# file:// URL. It must show its title and sections, decode every thumbnail and request nothing; given the job's
# CSV, each section must hold as many images as the CSV has rows for it (output.csv's folder column,
# duplicates.csv's group column; search.csv is one section). Prints the load and render times, saves
# screenshots, exits non-zero on any failure.
#
#   scripts/test-report-browser.sh DEST/report.html [DEST/output.csv]   # screenshots in SHOTS (default scripts/notebook-browser/screenshots)
#
# A report to try: go test ./htmlreport -run TestSampleReport -sample-report /tmp/r -sample-items 1000
# (then /tmp/r/report.html and /tmp/r/output.csv). Installs Debian's chromium (apt) and playwright-core (npm,
# scripts/notebook-browser/package-lock.json) when missing. Never downloads a browser through Playwright.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
say() { printf 'test-report-browser: %s\n' "$*"; }
die() { printf 'test-report-browser: error: %s\n' "$*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 REPORT.html [OUTPUT.csv]"
report=$1 csv=${2:-}
[ -f "$report" ] || die "$report: no such file"
[ -z "$csv" ] || [ -f "$csv" ] || die "$csv: no such file"
for t in node npm; do
  command -v "$t" >/dev/null || die "$t is not installed (Debian: apt install nodejs npm)"
done

# --- Chromium (Debian's) and playwright-core (npm, pinned by the lock file) -------------------------------------
# shellcheck source-path=SCRIPTDIR source=browser-common.sh
source "$repo/scripts/browser-common.sh"

# --- the browser ------------------------------------------------------------------------------------------------
shots=${SHOTS:-$repo/scripts/notebook-browser/screenshots}
mkdir -p "$shots"
node_pid=""
cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM -- "-$node_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$node_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
RB_REPORT=$report RB_CSV=$csv RB_SHOTS=$shots RB_CHROMIUM=$chromium \
  setsid timeout --kill-after=10 900 node "$nodedir/report-browser-test.mjs" &
node_pid=$!
wait "$node_pid" || die "the report failed the browser check (exit status $?)"
node_pid=""
say "passed; screenshots in $shots"
