#!/usr/bin/env bash
# Speed of the whole sort job on a full-size ViT-B/32 checkpoint (random weights), ours next to both Python baselines,
# in one run so all see the same machine load:
#
#   1. first sorts of PHOTOS photo-sized images (make_photo_set.py, default 200): shared/bench/original_sort.py (the
#      original tool's loop), original_sort.py --batched (batched PyTorch), `sorter sort` on the pure-Go engine and
#      on ONNX Runtime; each RUNS times (default 3, interleaved), into a fresh destination with a fresh embedding
#      cache; images/s = images / wall-clock seconds of the whole process (start-up, model load, decoding, copies);
#      peak memory from /usr/bin/time -v;
#   2. a second run with new labels over 10,000 cached images with --dry-run (the cache hit path), RUNS times, on the
#      last engine; SKIP_CACHED=1 leaves it out, CACHED_IMAGES=N changes the 10,000 (filling the cache is slow).
#
# Ends with a Markdown table for the README.
#
#   scripts/bench-sort.sh
#   PHOTOS=20 RUNS=1 SKIP_CACHED=1 scripts/bench-sort.sh   # quick check that the script works
#
# Needs the shared/ folder beside the repository (SHARED=...); bench-common.sh installs the rest and lists the settings.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=bench-common.sh
source "$(dirname "$0")/bench-common.sh"
n=${PHOTOS:-200}

echo "== $(command_line)"
echo "== $(machine_info)"
[ -x /usr/bin/time ] || apt_install time
check_baseline
ensure_photo_set "$n"
build_sorters
tmp=$(mktemp -d "$bench_dir/sort.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

all=(original batched "${engines[@]}")
failed=()
declare -A rate rss
# timed NAME CMD...: runs CMD under /usr/bin/time -v (stdout to $tmp/NAME.out, stderr to $tmp/NAME.log); sets secs
# to its wall-clock seconds and mb to its peak RSS in MB. Returns CMD's status.
timed() {
  local name=$1 t0 status=0
  shift
  t0=$(now)
  /usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" || status=$?
  secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
  mb=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$tmp/$name.time")
  return "$status"
}
for r in $(seq "$runs"); do
  for e in "${all[@]}"; do
    work=$tmp/$e.$r
    mkdir -p "$work"
    case $e in
    original | batched)
      cmd=("$py" "$shared/bench/original_sort.py" "$ckpt" "$photos" "$work/out" --labels "$labels" --threads "$threads")
      [ "$e" = original ] || cmd+=(--batched)
      ;;
    *)
      engine_env "$e"
      cmd=("${engine_cmd[@]}" "$(sorter_for "$e")" sort --model "$ckpt" --source "$photos" --destination "$work/out"
        --labels "$labels" --cache "$work/cache.bbolt")
      ;;
    esac
    if ! timed "$e.$r" "${cmd[@]}"; then
      echo "== run $r, $e: FAILED after $secs s; last lines of its output:"
      tail -n 5 "$tmp/$e.$r.log" | sed 's/^/   /'
      failed+=("$e run $r")
      continue
    fi
    placed=$(find "$work/out" -type f \( -iname '*.jpg' -o -iname '*.png' \) | wc -l)
    rate[$e.$r]=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.2f", n / s }')
    rss[$e.$r]=$mb
    line="run $r, $(printf '%-8s' "$e"): $n images in $secs s = ${rate[$e.$r]} img/s, peak RSS $mb MB"
    case $e in original | batched)
      line+=" (own figure, after Python start-up: $(json_get "$tmp/$e.$r.out" images_per_s) img/s, load $(json_get "$tmp/$e.$r.out" load_seconds) s)" ;;
    esac
    echo "$line   [load $(cut -d' ' -f1 /proc/loadavg)]"
    if [ "$placed" != "$n" ]; then
      echo "== run $r, $e: WARNING: $placed images placed in the destination, not $n"
      failed+=("$e run $r placed $placed of $n")
    fi
    rm -rf "$work"
  done
done

# The cache hit path: new labels over 10,000 small images whose embeddings are cached (filled once, then kept).
cached=""
nc=${CACHED_IMAGES:-10000}
if [ "${SKIP_CACHED:-0}" != 1 ]; then
  ce=${engines[-1]}
  engine_env "$ce"
  s=$(sorter_for "$ce")
  images=$bench_dir/images-$nc
  cache=$bench_dir/cache-$nc.bbolt
  if [ ! -f "$images.complete" ]; then
    echo "== making $nc small synthetic images in $images"
    rm -rf "$images" "$cache" "$cache.complete"
    mkdir -p "$images"
    "$py" - "$images" "$nc" 256 192 <<'PY'
import random, sys
from PIL import Image, ImageDraw
d, n, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    rng = random.Random(i)
    im = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
    dr = ImageDraw.Draw(im)
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        dr.rectangle([x0, y0, x0 + rng.randrange(w // 2), y0 + rng.randrange(h // 2)], fill=tuple(rng.randrange(256) for _ in range(3)))
    im.save(f"{d}/img{i:05d}.jpg", quality=90)
PY
    touch "$images.complete"
  fi
  if [ ! -f "$cache.complete" ]; then
    echo "== filling the embedding cache of the $nc images with engine $ce (once; slow)"
    rm -f "$cache"
    timed fill "${engine_cmd[@]}" "$s" sort --model "$ckpt" --source "$images" --destination "$tmp/dry" \
      --labels "$labels" --cache "$cache" --dry-run ||
      { echo "bench: filling the cache failed; last lines of its output:" >&2; tail -n 5 "$tmp/fill.log" >&2; exit 1; }
    echo "first pass (fills the cache): $secs s"
    touch "$cache.complete"
  fi
  times=() mbs=()
  for r in $(seq "$runs"); do
    rm -rf "$tmp/dry"
    if ! timed "cached.$r" "${engine_cmd[@]}" "$s" sort --model "$ckpt" --source "$images" \
      --destination "$tmp/dry" --labels "a dog, a tank, a flag, run $r" --cache "$cache" --dry-run; then
      echo "== cached re-sort, run $r: FAILED; last lines of its output:"
      tail -n 5 "$tmp/cached.$r.log" | sed 's/^/   /'
      failed+=("cached run $r")
      continue
    fi
    times+=("$secs") mbs+=("$mb")
    echo "cached re-sort of $nc images, run $r, $ce: $secs s (model load included), peak RSS $mb MB"
  done
  cached="Re-sort of $nc cached images (256x192) with new labels, \`--dry-run\`, $(engine_title "$ce"):"
  cached+=" $(median "${times[@]}") s median of ${#times[@]} run(s), model load included;"
  cached+=" peak RSS $(printf '%s\n' "${mbs[@]}" | sort -n | tail -n 1) MB."
fi

# med_rate ENGINE, max_rss ENGINE: over the runs.
med_rate() {
  local k vals=()
  for k in "${!rate[@]}"; do [ "${k%.*}" != "$1" ] || vals+=("${rate[$k]}"); done
  median "${vals[@]}"
}
max_rss() {
  local k
  for k in "${!rss[@]}"; do [ "${k%.*}" != "$1" ] || echo "${rss[$k]}"; done | sort -n | tail -n 1
}
orig=$(med_rate original)
batched=$(med_rate batched)
echo
echo "## Whole sort of $n photos, full-size ViT-B/32, median of $runs run(s)"
echo
echo "\`$(command_line)\`, $(machine_info)."
echo "Photos: make_photo_set.py (1280-pixel JPEG/PNG crops of real photos); labels: $labels."
echo "images/s = images / wall-clock seconds of the whole process: start-up, model load, decoding, inference, copies"
echo "into a fresh destination, fresh embedding cache. PyTorch: Debian's, $threads threads, OMP_WAIT_POLICY=$OMP_WAIT_POLICY."
echo "$baseline_info."
echo
echo "| engine | images/s (median) | vs original loop | vs batched PyTorch | peak RSS (MB) |"
echo "| --- | --- | --- | --- | --- |"
for e in "${all[@]}"; do
  v=$(med_rate "$e")
  m=$(max_rss "$e")
  [ "$e" != batched ] || m="${m:+$m (largest process)}"
  echo "| $(engine_title "$e") | ${v:-failed} | $(ratio "$v" "$orig") | $(ratio "$v" "$batched") | ${m:--} |"
done
if [ -n "$cached" ]; then
  echo
  echo "$cached"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
