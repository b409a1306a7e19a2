# Sourced by bench.sh and bench-sort.sh: settings, the benchmark's dependencies and its checkpoint.
#
#   SHARED     the workplace's shared/ folder (default: beside the repository), for shared/bench
#   BENCH_DIR  where the checkpoint, test images and binaries go (default /tmp/sorter-bench; never the repository)
#   ONNXRUNTIME_SHARED_LIBRARY_PATH  ONNX Runtime's library (default: installed by install-onnxruntime.sh)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$repo/../shared}
bench_dir=${BENCH_DIR:-/tmp/sorter-bench}
ckpt=$bench_dir/clip-vit-base-patch32
py=/usr/bin/python3 # Debian's, which has the packages below

# PyTorch (the baseline), numpy (the checkpoint generator) and Pillow (test images), from Debian's packages.
if ! "$py" -c 'import numpy, torch, PIL' 2>/dev/null; then
  echo "== installing python3-numpy python3-torch python3-pil with apt-get"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q python3-numpy python3-torch python3-pil >/dev/null ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q python3-numpy python3-torch python3-pil >/dev/null; }
fi

# A full-size ViT-B/32 with random weights (605 MB; speed does not depend on the weights), made once.
if [ ! -f "$ckpt/model.safetensors" ]; then
  mkdir -p "$bench_dir"
  "$py" "$shared/bench/make_random_clip.py" "$shared/bench/configs/clip-vit-base-patch32.json" 0 "$ckpt"
  cp "$repo/testdata/fixtures/clip-tiny/vocab.json" "$repo/testdata/fixtures/clip-tiny/merges.txt" "$ckpt/"
fi

ort=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$("$repo/scripts/install-onnxruntime.sh" 2>/dev/null || true)}
