#!/usr/bin/env bash
# Speed of the whole sort job on a full-size ViT-B/32 checkpoint (random weights), next to the image tower alone
# and the PyTorch baseline of the original tool's per-image pipeline, in one run:
#
#   1. a first `sorter sort` over 200 photo-sized JPEGs (decoding and file copies included, empty cache);
#   2. a second run with new labels over 10,000 cached images with --dry-run (the cache hit path).
#
# Needs the shared/ folder beside the repository (SHARED=...); bench-common.sh installs the rest.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
runs=${RUNS:-3}
make_images() { # DIR COUNT WIDTH HEIGHT
  [ -f "$1/.complete" ] && return
  mkdir -p "$1"
  "$py" - "$@" <<'PY'
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
  touch "$1/.complete"
}
make_images "$bench_dir/images200" 200 640 480
make_images "$bench_dir/images10k" 10000 256 192

bin=$bench_dir/sorter
(cd "$repo" && GOEXPERIMENT=simd go build -o "$bin" ./cmd/sorter)
engines=(go)
if [ -n "$ort" ] && [ -f "$ort" ]; then
  (cd "$repo" && GOEXPERIMENT=simd go build -tags onnx -o "$bench_dir/sorter-onnx" ./cmd/sorter)
  engines+=(onnx)
fi
sorter_for() { if [ "$1" = onnx ]; then echo "$bench_dir/sorter-onnx"; else echo "$bin"; fi; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

echo "== machine: $(nproc) cores, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== PyTorch baseline: the original tool's per-image pipeline"
"$py" "$shared/bench/torch_clip.py" "$ckpt" --bench --threads 2 | grep -E 'original_pipeline|batch8'
labels="weapon, a meme, screenshot of a newspaper article, a picture of a person, a cat"
for engine in "${engines[@]}"; do
  s=$(sorter_for "$engine")
  export GOMLX_BACKEND=$engine ONNXRUNTIME_SHARED_LIBRARY_PATH=$ort
  echo "== $engine: image tower alone, batch 8"
  "$s" bench --model "$ckpt" --batches 8 --seconds 3 | grep -E 'batch8_images'
  for r in $(seq "$runs"); do
    work=$(mktemp -d "$bench_dir/run.XXXX")
    t0=$(now)
    "$s" sort --model "$ckpt" --source "$bench_dir/images200" --destination "$work/out" --labels "$labels" \
      --cache "$work/cache.bbolt" --batch_size 8 >/dev/null 2>&1
    t1=$(now)
    echo "$engine first sort of 200 images, run $r: $(calc "200 / ($t1 - $t0)") images/s (model load included)"
    rm -rf "$work"
  done
done
echo "== second run with new labels over 10,000 cached images (--dry-run), engine ${engines[-1]}"
s=$(sorter_for "${engines[-1]}")
export GOMLX_BACKEND=${engines[-1]}
cache=$bench_dir/cache10k.bbolt
if [ ! -f "$cache.complete" ]; then
  rm -f "$cache"
  t0=$(now)
  "$s" sort --model "$ckpt" --source "$bench_dir/images10k" --destination "$bench_dir/dry10k" --labels "$labels" \
    --cache "$cache" --dry-run --batch_size 8 >/dev/null 2>&1
  echo "first pass (fills the cache): $(calc "$(now) - $t0") s"
  touch "$cache.complete"
fi
for r in $(seq "$runs"); do
  rm -rf "$bench_dir/dry10k"
  t0=$(now)
  "$s" sort --model "$ckpt" --source "$bench_dir/images10k" --destination "$bench_dir/dry10k" \
    --labels "a dog, a tank, a flag, run $r" --cache "$cache" --dry-run >/dev/null 2>&1
  t1=$(now)
  echo "cached re-sort of 10,000 images, run $r: $(calc "$t1 - $t0") s (model load included)"
done
