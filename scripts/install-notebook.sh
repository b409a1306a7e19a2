#!/usr/bin/env bash
# Installs what notebooks/smart-image-sorter.ipynb needs, and registers the GoNB kernel with Jupyter:
#
#   - Jupyter: the classic Notebook, nbconvert, nbclient and ipykernel. From Debian's packages when apt-get is
#     there (as root, or through sudo); otherwise from pip, at the pinned versions below, into the user's site.
#   - GoNB (the Go kernel) and goimports (GoNB needs it), at the versions pinned in notebooks/tools/go.mod,
#     built with `go install tool` into $GOBIN (default: $(go env GOPATH)/bin).
#   - the kernel spec: `gonb --install --force_deps` (without gopls, which only gives auto-completion).
#
#   scripts/install-notebook.sh          # idempotent: installs only what is missing, then checks everything
#
# Jupyter starts the kernel with its own PATH: start Jupyter from a shell where go, gonb and goimports are on the
# PATH (the script ends by printing the command).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3                  # Debian's Python, whatever python3 comes first on PATH
[ -x "$py" ] || py=$(command -v python3 || true)

# Pins. GoNB and goimports: notebooks/tools/go.mod (with go.sum). pip fallback only:
pip_pins=(notebook==6.5.7 nbconvert==7.16.4 nbclient==0.10.0 ipykernel==6.29.5)
gonb_version=v0.11.5

say() { printf 'install-notebook: %s\n' "$*"; }
die() {
  printf 'install-notebook: error: %s\n' "$1" >&2
  [ $# -lt 2 ] || printf 'install-notebook: hint: %s\n' "$2" >&2
  exit 1
}

command -v go >/dev/null || die "go is not on PATH" "install Go 1.26 or newer from https://go.dev/dl/ and add it to PATH"

# --- Jupyter ---------------------------------------------------------------------------------------------------
have_jupyter() {
  [ -n "$py" ] && "$py" -c 'import notebook, nbconvert, nbclient, ipykernel' 2>/dev/null &&
    "$py" -m jupyter notebook --version >/dev/null 2>&1
}
if have_jupyter; then
  say "Jupyter already installed (Notebook $("$py" -m jupyter notebook --version))"
elif command -v apt-get >/dev/null; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "installing Debian packages needs root" "run this script as root, or install sudo"
    sudo=sudo
  fi
  debs=(jupyter-notebook python3-nbconvert python3-nbclient python3-ipykernel)
  say "installing ${debs[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends "${debs[@]}"; then
    say "apt-get install failed: updating the package lists and trying again"
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${debs[@]}"
  fi
  py=/usr/bin/python3
  have_jupyter || die "Jupyter is still not usable with $py after apt-get install" "check the apt-get output above"
elif [ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1; then
  say "installing ${pip_pins[*]} with pip (no apt-get here)"
  "$py" -m pip install --user "${pip_pins[@]}"
  have_jupyter || die "Jupyter is still not usable with $py after pip install" "check the pip output above"
else
  die "cannot install Jupyter: neither apt-get nor pip is available" \
    "install Jupyter Notebook, nbconvert, nbclient and ipykernel yourself, then run this script again"
fi

# --- GoNB and goimports ----------------------------------------------------------------------------------------
gobin=${GOBIN:-$(go env GOPATH)/bin}
mkdir -p "$gobin"
tools=$repo/notebooks/tools
grep -q "github.com/janpfeifer/gonb $gonb_version" "$tools/go.mod" ||
  die "notebooks/tools/go.mod does not pin GoNB $gonb_version" "restore notebooks/tools/go.mod from the repository"
# `go install github.com/janpfeifer/gonb@vX` needs the module's version list, which some proxies refuse; a tools
# module with exact versions and a go.sum does not. GOFLAGS=-mod=mod would let go rewrite the pins: forbidden.
say "building GoNB and goimports (notebooks/tools/go.mod) into $gobin"
(cd "$tools" && GOFLAGS=-mod=readonly GOBIN=$gobin go install tool)
export PATH=$gobin:$PATH
for t in gonb goimports; do
  [ -x "$gobin/$t" ] || die "$t was not built into $gobin" "check the go install output above"
done
got=$("$gobin/gonb" -V 2>&1 | head -n 1)
[ "$got" = "$gonb_version" ] || die "$gobin/gonb -V printed \"$got\", expected $gonb_version" "remove $gobin/gonb and run this script again"
say "GoNB $got and goimports installed in $gobin"

# --- the kernel spec -------------------------------------------------------------------------------------------
say "registering the GoNB kernel with Jupyter"
out=$("$gobin/gonb" --install --force_deps 2>&1) || { printf '%s\n' "$out" >&2; die "gonb --install failed"; }
# GoNB warns that gopls is missing: expected (it only gives auto-completion), so only its other lines are shown.
printf '%s\n' "$out" | grep -i 'installed in' || true
PYDEVD_DISABLE_FILE_VALIDATION=1 "$py" -Xfrozen_modules=off -c '
import sys
from jupyter_client.kernelspec import KernelSpecManager
specs = KernelSpecManager().get_all_specs()
if "gonb" not in specs:
    sys.exit("install-notebook: error: no kernel named gonb, only: " + ", ".join(sorted(specs)))
print("install-notebook: kernel gonb ->", " ".join(specs["gonb"]["spec"]["argv"]))
' || die "the gonb kernel is not registered with Jupyter" "run: $gobin/gonb --install --force_deps"

say "done. Start Jupyter with $gobin on PATH (the kernel inherits it), e.g.:"
say "  PATH=$gobin:\$PATH $py -m jupyter notebook $repo/notebooks/smart-image-sorter.ipynb"
