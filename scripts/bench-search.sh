#!/usr/bin/env bash
# Speed of search and duplicates over folders whose embeddings are cached, on the full-size ViT-B/32 checkpoint
# (random weights): `sorter search` over 100,000 cached images (command to printed top 50, model load included) and
# `sorter duplicates` over 10,000 and 100,000; medians of RUNS (default 3) wall-clock seconds and peak RSS.
# The folders and caches are made once by scripts/benchfill (small distinct images, synthetic CLIP-like
# embeddings stored under the checkpoint's cache key: embedding 100,000 images for real takes hours here).
#
#   scripts/bench-search.sh            # BENCH_DIR (default /tmp/sorter-bench) must hold clip-vit-base-patch32
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export GOEXPERIMENT=simd
bench_dir=${BENCH_DIR:-/tmp/sorter-bench}
ckpt=$bench_dir/clip-vit-base-patch32
runs=${RUNS:-3}
[ -f "$ckpt/config.json" ] || { echo "bench-search: $ckpt missing: scripts/bench.sh makes it" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-search: /usr/bin/time missing (apt install time)" >&2; exit 1; }
go build -o "$bench_dir/sorter-search" ./cmd/sorter
go build -o "$bench_dir/benchfill" ./scripts/benchfill
echo "== $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(date -u +%F)"
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for n in 10000 100000; do
  "$bench_dir/benchfill" --model "$ckpt" --images "$bench_dir/cached-$n" --n "$n" --cache "$bench_dir/cached-$n.bbolt" >/dev/null
done
measure() { # NAME CMD...: median wall seconds and max RSS of RUNS runs
  local name=$1 secs=() mbs=() t
  shift
  for _ in $(seq "$runs"); do
    t=$(/usr/bin/time -f '%e %M' -o /dev/stdout "$@" 2>/dev/null | tail -1)
    secs+=("${t% *}") mbs+=("$(( ${t#* } / 1024 ))")
  done
  printf '%-34s %6s s median of %d (%s), peak RSS %s MB\n' "$name" "$(median "${secs[@]}")" "$runs" "${secs[*]}" "$(printf '%s\n' "${mbs[@]}" | sort -n | tail -1)"
}
s=$bench_dir/sorter-search
measure "search, 100,000 cached images" "$s" search --model "$ckpt" --source "$bench_dir/cached-100000" \
  --cache "$bench_dir/cached-100000.bbolt" "a tank with a white Z" --top 50
for n in 10000 100000; do
  measure "duplicates, $n cached images" "$s" duplicates --model "$ckpt" --source "$bench_dir/cached-$n" \
    --cache "$bench_dir/cached-$n.bbolt" --destination "$(mktemp -d)/d" --report=false
done
