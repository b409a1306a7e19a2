#!/usr/bin/env bash
# Speed of the CLIP towers on a full-size ViT-B/32 checkpoint (random weights: speed does not depend on them),
# ours next to the PyTorch baseline, in one run so both see the same machine load.
#
#   scripts/bench.sh            # generates the checkpoint under $BENCH_DIR (default /tmp/sorter-bench) if missing
#
# Needs: Debian's python3-numpy and python3-torch (scripts/install-bench-deps.sh), the shared/ folder beside the
# repository (SHARED=...), and for ONNX Runtime the library (scripts/install-onnxruntime.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
bench_dir=${BENCH_DIR:-/tmp/sorter-bench}
ckpt=$bench_dir/clip-vit-base-patch32
py=/usr/bin/python3
seconds=${SECONDS_PER_MEASURE:-3}

if [ ! -f "$ckpt/model.safetensors" ]; then
  mkdir -p "$bench_dir"
  "$py" "$shared/bench/make_random_clip.py" "$shared/bench/configs/clip-vit-base-patch32.json" 0 "$ckpt"
  cp "$repo/testdata/fixtures/clip-tiny/vocab.json" "$repo/testdata/fixtures/clip-tiny/merges.txt" "$ckpt/"
fi

bin=$bench_dir/sorter
(cd "$repo" && GOEXPERIMENT=simd go build -o "$bin" ./cmd/sorter)
echo "== machine: $(nproc) cores, $(date -u +%Y-%m-%d), $(uname -m)"
echo "== PyTorch baseline (shared/bench/torch_clip.py --bench --threads 2)"
"$py" "$shared/bench/torch_clip.py" "$ckpt" --bench --threads 2
echo "== sorter bench, pure-Go engine built with GOEXPERIMENT=simd"
GOMLX_BACKEND=go "$bin" bench --model "$ckpt" --seconds "$seconds"
ort=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$bench_dir/onnxruntime/libonnxruntime.so.1}
if [ -f "$ort" ]; then
  bin_onnx=$bench_dir/sorter-onnx
  (cd "$repo" && GOEXPERIMENT=simd go build -tags onnx -o "$bin_onnx" ./cmd/sorter)
  echo "== sorter bench, ONNX Runtime engine (-tags onnx)"
  ONNXRUNTIME_SHARED_LIBRARY_PATH=$ort GOMLX_BACKEND=onnx "$bin_onnx" bench --model "$ckpt" --seconds "$seconds"
else
  echo "== ONNX Runtime library not found at $ort: skipped (scripts/install-onnxruntime.sh installs it)"
fi
