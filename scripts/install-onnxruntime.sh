#!/usr/bin/env bash
# Installs the ONNX Runtime shared library for GoMLX's "onnx" engine (builds with -tags onnx) and prints its path.
#
# Users with internet do not need this: the onnx engine downloads the library itself on first use. This script
# is for machines that reach only the npm registry (CI here): the library ships inside npm's onnxruntime-node
# package. Linux x86-64 only. Idempotent.
set -euo pipefail
version=1.30.0
dest=${ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smart-image-sorter/onnxruntime-$version}
lib=$dest/libonnxruntime.so.1
if [ -f "$lib" ]; then
  echo "$lib"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-onnxruntime: only Linux x86-64 is handled here; on $(uname -s)-$(uname -m) the onnx engine installs the library itself" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "onnxruntime-node@$version" --silent >/dev/null)
tar -xzf "$tmp/onnxruntime-node-$version.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
mkdir -p "$dest"
mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib.partial"
mv "$lib.partial" "$lib"
echo "$lib"
