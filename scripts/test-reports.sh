#!/usr/bin/env bash
# The three jobs' report.html, checked in headless Chromium against their CSVs (scripts/test-report-browser.sh):
# a sort, a search with --copy-to and a duplicates run over the sample photos plus an identical copy of one of
# them, with the tiny offline test model. Works in a temporary folder (kept on failure); screenshots in SHOTS.
#
#   scripts/test-reports.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1
work=$(mktemp -d "${TMPDIR:-/tmp}/test-reports.XXXXXX")
trap 'status=$?; if [ $status = 0 ]; then rm -rf "$work"; else echo "test-reports: failed; files kept in $work" >&2; fi' EXIT
say() { printf 'test-reports: %s\n' "$*"; }

go build -o "$work/sorter" ./cmd/sorter
cp -r samples/photos "$work/photos"
cp samples/photos/cat.jpg "$work/photos/cat copy.jpg"
run() { "$work/sorter" "$@" --model testdata/fixtures/clip-tiny --source "$work/photos" --cache "$work/cache.bbolt"; }

say "sort"
run sort --labels "a cat, a rocket, coins, text, a picture of a person" --destination "$work/sorted" >"$work/sort.out"
shots=${SHOTS:-$repo/scripts/notebook-browser/screenshots}
SHOTS=$shots/sort scripts/test-report-browser.sh "$work/sorted/report.html" "$work/sorted/output.csv"

say "search"
run search "a cat" --top 5 --copy-to "$work/found" >"$work/search.out"
SHOTS=$shots/search scripts/test-report-browser.sh "$work/found/report.html" "$work/found/search.csv"

say "duplicates"
run duplicates --destination "$work/dups" >"$work/dups.out"
grep -q '^1,identical,.*/cat.jpg,' "$work/dups/duplicates.csv" || { say "error: the identical copy is not in duplicates.csv"; exit 1; }
SHOTS=$shots/duplicates scripts/test-report-browser.sh "$work/dups/report.html" "$work/dups/duplicates.csv"
say "all three reports render and match their CSVs"
