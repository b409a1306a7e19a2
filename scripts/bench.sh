#!/usr/bin/env bash
# Speed of the CLIP towers on a full-size ViT-B/32 checkpoint (random weights: speed does not depend on them),
# ours next to the PyTorch baseline, in one run so both see the same machine load.
#
#   scripts/bench.sh            # generates the checkpoint under $BENCH_DIR (default /tmp/sorter-bench) if missing
#
# Needs the shared/ folder beside the repository (SHARED=...); bench-common.sh installs the rest.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
seconds=${SECONDS_PER_MEASURE:-3}

bin=$bench_dir/sorter
(cd "$repo" && GOEXPERIMENT=simd go build -o "$bin" ./cmd/sorter)
echo "== machine: $(nproc) cores, $(date -u +%Y-%m-%d), $(uname -m)"
echo "== PyTorch baseline (shared/bench/torch_clip.py --bench --threads 2)"
"$py" "$shared/bench/torch_clip.py" "$ckpt" --bench --threads 2
echo "== sorter bench, pure-Go engine built with GOEXPERIMENT=simd"
GOMLX_BACKEND=go "$bin" bench --model "$ckpt" --seconds "$seconds"
if [ -n "$ort" ] && [ -f "$ort" ]; then
  bin_onnx=$bench_dir/sorter-onnx
  (cd "$repo" && GOEXPERIMENT=simd go build -tags onnx -o "$bin_onnx" ./cmd/sorter)
  echo "== sorter bench, ONNX Runtime engine (-tags onnx)"
  ONNXRUNTIME_SHARED_LIBRARY_PATH=$ort GOMLX_BACKEND=onnx "$bin_onnx" bench --model "$ckpt" --seconds "$seconds"
else
  echo "== ONNX Runtime library not found at $ort: skipped (scripts/install-onnxruntime.sh installs it)"
fi
