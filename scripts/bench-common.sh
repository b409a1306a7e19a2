# shellcheck shell=bash
# shellcheck disable=SC2034 # variables and functions used by the scripts that source this file
# Sourced by bench.sh and bench-sort.sh: settings, the benchmark's dependencies, a check that the PyTorch baseline is
# not crippled, the full-size checkpoint, the test photo set, the builds and a few helpers.
#
#   SHARED               the workplace's shared/ folder (default: beside the repository), for shared/bench
#   BENCH_DIR            where the checkpoint, test images and binaries go (default /tmp/sorter-bench; never the repository)
#   RUNS                 runs of every measurement; the scripts print medians (default 3)
#   PHOTOS               size of the test photo set of bench-sort.sh (default 200)
#   SKIP_CACHED          1 to leave out bench-sort.sh's re-sort of cached images; CACHED_IMAGES their number (10000)
#   ALLOW_SLOW_BASELINE  1 to carry on when PyTorch's matmul is below MIN_GFLOPS (default 100) GFLOP/s: the figures are
#                        then not a baseline
#   ONNX                 0 to leave out the ONNX Runtime engine
#   ONNXRUNTIME_SHARED_LIBRARY_PATH  ONNX Runtime's library (default: installed by install-onnxruntime.sh)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$repo/../shared}
bench_dir=${BENCH_DIR:-/tmp/sorter-bench}
ckpt=$bench_dir/clip-vit-base-patch32
py=/usr/bin/python3 # Debian's, which has the packages below
runs=${RUNS:-3}
threads=$(nproc) # PyTorch's threads; Go uses every core too
labels="weapon, a meme, screenshot of a newspaper article, a picture of a person, a cat"
export OMP_WAIT_POLICY=PASSIVE # busy-waiting OpenMP is several times slower for torch on 2 cores

if [ ! -f "$shared/bench/torch_clip.py" ]; then
  echo "bench: $shared/bench/torch_clip.py not found; set SHARED to the workplace's shared/ folder" >&2
  exit 1
fi
case $runs in '' | *[!0-9]* | 0) echo "bench: RUNS must be a positive integer, not '$runs'" >&2; exit 1 ;; esac
mkdir -p "$bench_dir"

# as_root CMD...: runs CMD as root (directly when root already, else with sudo).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install PKG...: installs the Debian packages among PKG that are not installed yet.
apt_install() {
  local p missing=()
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "== installing ${missing[*]} with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { as_root apt-get update -q >/dev/null &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

# PyTorch (the baseline), numpy (the checkpoint generator), Pillow (test images) from Debian's packages, and OpenBLAS:
# without libopenblas0-pthread Debian's numpy and torch run on the reference BLAS, ~50x too slow.
if command -v dpkg-query >/dev/null; then
  apt_install python3-numpy python3-torch python3-pil libopenblas0-pthread
elif ! "$py" -c 'import numpy, torch, PIL' 2>/dev/null; then
  echo "bench: $py lacks numpy, torch or Pillow and this is not a Debian system: install them and OpenBLAS" >&2
  exit 1
fi

# machine_info: one line saying which machine a figure is from; print it next to every figure.
machine_info() {
  local cpu
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
  echo "CPU: ${cpu:-unknown}, $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# check_baseline: the README's matmul check (400x768x3072 float32 with torch, OMP_WAIT_POLICY=PASSIVE), best of 3
# tries since the machine is shared; stops the benchmark below $MIN_GFLOPS (100) GFLOP/s unless ALLOW_SLOW_BASELINE=1.
check_baseline() {
  local out gflops blas rest min=${MIN_GFLOPS:-100}
  out=$("$py" - <<'PY'
import torch, time
a = torch.rand(400, 768); b = torch.rand(768, 3072)
best = 0.0
for _ in range(3):  # the README's one-liner, three times
    [a @ b for _ in range(3)]
    t = time.time(); [a @ b for _ in range(20)]
    best = max(best, 2 * 400 * 768 * 3072 * 20 / (time.time() - t) / 1e9)
maps = open("/proc/self/maps").read()
blas = "OpenBLAS" if "openblas" in maps.lower() else "MKL" if "libmkl" in maps else "not-OpenBLAS"
print(f"{best:.1f} {blas} torch {torch.__version__}, {torch.get_num_threads()} default thread(s)")
PY
  )
  read -r gflops blas rest <<<"$out"
  baseline_info="PyTorch matmul 400x768x3072 float32: $gflops GFLOP/s (best of 3, $blas)"
  echo "== $baseline_info; $rest; OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
  if awk -v g="$gflops" -v m="$min" 'BEGIN { exit !(g < m) }'; then
    {
      echo "bench: PyTorch's matmul runs at $gflops GFLOP/s, below $min: a crippled baseline is not a baseline."
      case $blas in
      OpenBLAS) echo "  OpenBLAS is in use, so the machine is probably busy: run again when it is idle." ;;
      *) echo "  torch is not using OpenBLAS: install libopenblas0-pthread and check" \
        "'update-alternatives --display libblas.so.3-$(uname -m)-linux-gnu'." ;;
      esac
      echo "  ALLOW_SLOW_BASELINE=1 carries on anyway (then say so next to every figure)."
    } >&2
    [ "${ALLOW_SLOW_BASELINE:-0}" = 1 ] || exit 1
    baseline_info+=". SLOW BASELINE (below $min GFLOP/s, ALLOW_SLOW_BASELINE=1): not a fair comparison"
    echo "== ALLOW_SLOW_BASELINE=1: carrying on with a slow baseline; its figures are not a fair comparison"
  fi
}

# A full-size ViT-B/32 with random weights (605 MB; speed does not depend on the weights), made once.
if [ ! -f "$ckpt/model.safetensors" ]; then
  echo "== making the random full-size ViT-B/32 checkpoint in $ckpt"
  "$py" "$shared/bench/make_random_clip.py" "$shared/bench/configs/clip-vit-base-patch32.json" 0 "$ckpt"
  cp "$repo/testdata/fixtures/clip-tiny/vocab.json" "$repo/testdata/fixtures/clip-tiny/merges.txt" "$ckpt/"
fi

# ensure_photo_set N: sets photos to a folder of N photo-sized test images (make_photo_set.py, seed 7) cut from the
# shared sample photos (or the repository's samples/photos), made once under $BENCH_DIR.
ensure_photo_set() {
  local n=$1 src
  case $n in '' | *[!0-9]* | 0) echo "bench: PHOTOS must be a positive integer, not '$n'" >&2; exit 1 ;; esac
  photos=$bench_dir/photos-$n
  [ -f "$photos.complete" ] && return 0 # beside the folder: sorter would list a marker inside as a skipped file
  for src in "$shared/samples" "$repo/samples/photos" ""; do
    [ -n "$src" ] || { echo "bench: no sample photos in $shared/samples or $repo/samples/photos" >&2; exit 1; }
    compgen -G "$src/*.jpg" >/dev/null && break
  done
  echo "== making $n test photos from $src in $photos"
  rm -rf "$photos"
  "$py" "$shared/bench/make_photo_set.py" "$photos" "$n" 7 "$src"
  touch "$photos.complete"
}

# build_sorters: the sorter binary (the default build has both the pure-Go engine and ONNX Runtime); ONNX Runtime
# is measured when its library installs. Sets engines (go [onnx]), ort (the library) and the binaries' paths.
# sorter_for ENGINE prints the binary.
build_sorters() {
  bin=$bench_dir/sorter
  engines=(go)
  echo "== building sorter (GOEXPERIMENT=simd) from $repo at $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')"
  (cd "$repo" && GOEXPERIMENT=simd go build -o "$bin" ./cmd/sorter)
  if [ "${ONNX:-1}" = 0 ]; then
    echo "== ONNX=0: ONNX Runtime engine left out"
    return 0
  fi
  local err
  ort=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-}
  if [ -z "$ort" ]; then
    ort=$("$repo/scripts/install-onnxruntime.sh" 2>"$bench_dir/install-onnxruntime.log") || ort=""
  fi
  if [ -z "$ort" ] || [ ! -f "$ort" ]; then
    err=$(tail -n 1 "$bench_dir/install-onnxruntime.log" 2>/dev/null || true)
    echo "== ONNX Runtime not available (${err:-library not found at $ort}): its engine is left out"
    return 0
  fi
  bin_onnx=$bin
  engines+=(onnx)
}
sorter_for() { if [ "$1" = onnx ]; then echo "$bin_onnx"; else echo "$bin"; fi; }
engine_title() {
  case $1 in
  original) echo "Python, original tool's loop (original_sort.py)" ;;
  batched) echo "Python, batched PyTorch (original_sort.py --batched)" ;;
  torch) echo "PyTorch $("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null) (torch_clip.py)" ;;
  go) echo "Go, pure-Go engine (GOEXPERIMENT=simd)" ;;
  onnx) echo "Go, ONNX Runtime engine" ;;
  *) echo "$1" ;;
  esac
}
# engine_env ENGINE: sets the array engine_cmd to the `env ...` prefix that runs sorter on ENGINE (go or onnx).
engine_env() {
  engine_cmd=(env "GOMLX_BACKEND=$1")
  [ "$1" != onnx ] || engine_cmd+=("ONNXRUNTIME_SHARED_LIBRARY_PATH=$ort")
}
# json_get FILE KEY: the value of KEY (a.b for nested keys) in the JSON object that is the last line or whole of FILE.
json_get() {
  "$py" - "$1" "$2" <<'PY'
import json, sys
text = open(sys.argv[1]).read().strip()
try:
    d = json.loads(text)
except ValueError:
    d = json.loads(text.splitlines()[-1])
for k in sys.argv[2].split("."):
    d = d.get(k, "") if isinstance(d, dict) else ""
print(d)
PY
}
# median X...: the median of the numbers given (empty ones ignored), or "" when there are none.
median() {
  printf '%s\n' "$@" | { grep -E '^[0-9.eE+-]+$' || true; } | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# ratio A B: A/B with two decimals and an x, or "-" when either is missing.
ratio() {
  if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx\n", a / b; else print "-" }'; else echo "-"; fi
}
now() { date +%s.%N; }
# command_line: how this benchmark was started, with the settings it reads from the environment.
command_line() {
  local v s=""
  for v in PHOTOS RUNS SKIP_CACHED CACHED_IMAGES SECONDS_PER_MEASURE ONNX ALLOW_SLOW_BASELINE MIN_GFLOPS BENCH_DIR SHARED; do
    [ -z "${!v+x}" ] || s+="$v=${!v} "
  done
  echo "${s}scripts/$(basename "$0")"
}
