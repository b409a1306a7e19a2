#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command and what CI runs (.ci/run).
#
#  0. apt: libturbojpeg0 (JPEGs decoded as Pillow does) and ffmpeg (videos); without apt their tests skip.
#  1. go vet, then all Go tests on GoMLX's pure-Go engine (race detector on; GoMLX's SIMD matmul does pointer
#     arithmetic that the race detector's checkptr mode rejects, so checkptr is off).
#  2. The model tests again on ONNX Runtime (in the default build with cgo), with the library from npm
#     (install-onnxruntime.sh).
#  3. The notebook: Jupyter + GoNB installed, run headless, then driven in headless Chromium
#     (test-notebook.sh); then the report.html of each job in headless Chromium (test-reports.sh). Set
#     SKIP_NOTEBOOK=1 to leave these browser parts out while iterating.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOEXPERIMENT=simd # AVX2/AVX-512 matrix kernels in GoMLX's pure-Go engine (10x faster matmuls)

# libjpeg-turbo's TurboJPEG library: JPEGs decode through it exactly as Pillow decodes them (imagefile/jpegturbo.go);
# without it the tests run Go's decoder with its wider tolerances.
if ! ldconfig -p 2>/dev/null | grep -q 'libturbojpeg\.so\.0' && command -v apt-get >/dev/null; then
  echo "== installing libturbojpeg0 with apt-get"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q libturbojpeg0 >/dev/null ||
    { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q libturbojpeg0 >/dev/null; } ||
    echo "libturbojpeg0 not installable: JPEG tests use Go's decoder"
fi

# ffmpeg and ffprobe: videos are sorted by their frames (package video runs them); the video tests then must run.
if ! command -v ffmpeg >/dev/null && command -v apt-get >/dev/null; then
  echo "== installing ffmpeg with apt-get"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q --no-install-recommends ffmpeg >/dev/null ||
    { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends ffmpeg >/dev/null; } ||
    echo "ffmpeg not installable: the video tests are skipped"
fi
if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then
  export VIDEO_REQUIRE_FFMPEG=1
fi

echo "== go vet"
go vet ./...
go vet -tags noonnx ./...

echo "== builds without cgo and for other systems (-tags noxla: XLA needs cgo)"
CGO_ENABLED=0 go build -tags noxla -o /dev/null ./cmd/sorter
GOOS=windows GOARCH=amd64 go build -tags noxla -o /dev/null ./cmd/sorter
GOOS=darwin GOARCH=arm64 go build -tags noxla -o /dev/null ./cmd/sorter

echo "== go test (pure-Go engine, race detector; no engine downloads)"
GOMLX_NO_AUTO_INSTALL=1 go test -race -gcflags=all=-d=checkptr=0 -count=1 ./...

echo "== go test ./similarity without the race detector (its largest exactness cases, too slow under it)"
go test -count=1 ./similarity/

echo "== go test (ONNX Runtime engine)"
if ort=$(scripts/install-onnxruntime.sh); then
  ONNXRUNTIME_SHARED_LIBRARY_PATH=$ort GOMLX_NO_AUTO_INSTALL=1 CLIP_REQUIRE_ONNX=1 \
    go test -count=1 ./models/...
else
  echo "ONNX Runtime library not installable on this machine: ONNX Runtime tests skipped"
fi

if [ "${SKIP_NOTEBOOK:-}" = 1 ]; then
  echo "== notebook tests skipped (SKIP_NOTEBOOK=1)"
else
  echo "== notebook tests"
  scripts/test-notebook.sh
  echo "== report.html of sort, search and duplicates in Chromium"
  scripts/test-reports.sh
fi
echo "== all tests passed"
