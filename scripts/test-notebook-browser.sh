#!/usr/bin/env bash
# Drives notebooks/smart-image-sorter.ipynb in a real browser: the classic Jupyter Notebook on 127.0.0.1 (a free
# port, a random token), headless Chromium from Debian driven by npm's playwright-core
# (scripts/notebook-browser/notebook-browser-test.mjs): Run All, type labels into the form, choose "move",
# press Start, wait for the summary and the gallery, then the re-sort, search and duplicates cells (the sample
# folder holds one photo twice, for the duplicates cell to find). Checks the files on disk and saves screenshots.
# Every wait is bounded; the server and the browser are stopped at the end, whatever happens.
#
#   scripts/test-notebook-browser.sh    # screenshots in SHOTS (default scripts/notebook-browser/screenshots, not committed)
#
# Works on a copy of the notebook and of the sample photos in a temporary folder (kept on failure), with the
# tiny offline test model (NOTEBOOK_TEST_MODEL=DIR picks another checkpoint). Needs scripts/install-notebook.sh first; installs Debian's chromium (apt) and
# playwright-core (npm, scripts/notebook-browser/package-lock.json) when missing. Never downloads a browser
# through Playwright.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
chromium=${CHROMIUM:-/usr/bin/chromium}
gobin=${GOBIN:-$(go env GOPATH)/bin}
export PATH=$gobin:$PATH
say() { printf 'test-notebook-browser: %s\n' "$*"; }
die() { printf 'test-notebook-browser: error: %s\n' "$*" >&2; exit 1; }

for t in gonb goimports node npm; do
  command -v "$t" >/dev/null || die "$t is not installed (scripts/install-notebook.sh installs gonb and goimports)"
done
"$py" -c 'import notebook' 2>/dev/null || die "Jupyter Notebook is not installed: run scripts/install-notebook.sh"

# --- Chromium (Debian's) and playwright-core (npm, pinned by the lock file) -------------------------------------
# shellcheck source-path=SCRIPTDIR source=browser-common.sh
source "$repo/scripts/browser-common.sh"

# --- a private copy of the notebook and of the sample photos -------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/notebook-browser.XXXXXX")
shots=${SHOTS:-$repo/scripts/notebook-browser/screenshots}
mkdir -p "$shots" "$work/photos"
cp "$repo/notebooks/smart-image-sorter.ipynb" "$work/notebook.ipynb"
cp "$repo"/samples/photos/* "$work/photos/"
# A second copy of one photo, under another name, for the duplicates cell to find.
dup_of=cat.jpg dup=cat-copy.jpg
cp "$work/photos/$dup_of" "$work/photos/$dup"
images=$(find "$work/photos" -type f ! -name LICENSES.md | wc -l)

jupyter_pid="" node_pid=""
stop_group() { # stop_group PID NAME: TERM its process group (it was started with setsid), then KILL
  local pid=$1 name=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "$name did not stop: killing it"; fi
  kill -KILL -- "-$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_group "$node_pid" "the browser test"
  stop_group "$jupyter_pid" "Jupyter"
  if [ $rc -ne 0 ]; then
    say "FAILED; files kept in $work (jupyter.log, the sorted folders); screenshots in $shots"
    [ -f "$work/jupyter.log" ] && { say "last lines of jupyter.log:"; tail -n 30 "$work/jupyter.log" | grep -v '^\s*$' >&2 || true; }
  elif [ "${KEEP:-}" != 1 ]; then
    rm -rf "$work"
  else
    say "files kept in $work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Jupyter on 127.0.0.1, a free port, a random token ---------------------------------------------------------
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$("$py" -c 'import secrets; print(secrets.token_hex(24))')
export GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) # the Go build cache stays warm...
export XDG_CACHE_HOME=$work/cache                                  # ...the embedding cache is private
export JUPYTER_CONFIG_DIR=$work/jupyter-config JUPYTER_RUNTIME_DIR=$work/jupyter-runtime
export SORTER_REPO=$repo SORTER_NOTEBOOK_MODEL=${NOTEBOOK_TEST_MODEL:-$repo/testdata/fixtures/clip-tiny} GOMLX_BACKEND=go
export PYDEVD_DISABLE_FILE_VALIDATION=1
root_flag=(); [ "$(id -u)" = 0 ] && root_flag=(--allow-root)
setsid "$py" -Xfrozen_modules=off -m notebook --no-browser "${root_flag[@]}" --ip=127.0.0.1 --port="$port" \
  --port-retries=0 --notebook-dir="$work" --NotebookApp.token="$token" >"$work/jupyter.log" 2>&1 &
jupyter_pid=$!
base=http://127.0.0.1:$port
for i in $(seq 1 120); do
  curl -sf "$base/api/status?token=$token" >/dev/null && break
  kill -0 "$jupyter_pid" 2>/dev/null || die "Jupyter exited at start (see $work/jupyter.log)"
  [ "$i" = 120 ] && die "Jupyter did not answer on $base within 60 s"
  sleep 0.5
done
say "Jupyter Notebook $("$py" -m notebook --version) on $base"

# --- the browser ------------------------------------------------------------------------------------------------
labels="a photo of a cat, a photo of a rocket, a picture of text"
start=$(date +%s)
NB_URL="$base/notebooks/notebook.ipynb?token=$token" NB_SOURCE=$work/photos NB_DEST=$work/sorted \
  NB_LABELS=$labels NB_IMAGES=$images NB_DUPLICATE="$dup_of $dup" NB_PROFILE=$work/chromium-profile NB_SHOTS=$shots NB_CHROMIUM=$chromium \
  setsid timeout --kill-after=10 1200 node "$nodedir/notebook-browser-test.mjs" &
node_pid=$!
wait "$node_pid" || die "the browser test failed (exit status $?)"
node_pid=""
say "browser part took $(( $(date +%s) - start )) s"

# --- the files on disk ------------------------------------------------------------------------------------------
LABELS=$labels IMAGES=$images DUPLICATE="$dup_of $dup" "$py" - "$work" <<'EOF'
import csv, html, json, os, sys
work = sys.argv[1]
labels = [l.strip() for l in os.environ["LABELS"].split(",")]
n_images = int(os.environ["IMAGES"])
problems = []
left = [f for f in os.listdir(os.path.join(work, "photos")) if f != "LICENSES.md"]
if left:
    problems.append(f"after the move the source still holds {left}")
def folders(dest):
    names = sorted(d for d in os.listdir(dest) if os.path.isdir(os.path.join(dest, d)) and not d.startswith("."))
    n = {d: len(os.listdir(os.path.join(dest, d))) for d in names}
    print(f"test-notebook-browser: {os.path.basename(dest)}: {n}")
    return n
def report(dest):
    with open(os.path.join(dest, "output.csv")) as f:
        return list(csv.DictReader(f))
# The form's sort: one folder per typed label (emptied since by the re-sort, which moved the images on).
first, made = report(os.path.join(work, "sorted")), folders(os.path.join(work, "sorted"))
if len(first) != n_images or {r["label"] for r in first} - set(labels) or set(made) - set(labels):
    problems.append(f"sorted/: {len(first)} rows in output.csv, labels {sorted({r['label'] for r in first})}, "
                    f"folders {sorted(made)}; want {n_images} rows and only the typed labels {labels}")
# The re-sort cell: after a move, it sorts the images from sorted/ into sorted-2/.
second, n = report(os.path.join(work, "sorted-2")), folders(os.path.join(work, "sorted-2"))
if len(second) != n_images or sum(n.values()) != n_images or any(not os.path.exists(r["destination_path"]) for r in second):
    problems.append(f"sorted-2/: {len(second)} rows, {sum(n.values())} images in label folders; want {n_images} and {n_images}, every destination_path present")
# The duplicates cell: it read sorted-2/ (where the re-sort moved the images; still all there, checked above) and
# listed the photo and its copy as a group of identical files in duplicates.csv beside it.
dupcsv = os.path.join(work, "sorted-2-duplicates", "duplicates.csv")
rows = list(csv.DictReader(open(dupcsv))) if os.path.exists(dupcsv) else []
groups = {}
for r in rows:
    groups.setdefault(r["group"], []).append((os.path.basename(r["source_path"]), r["match"]))
want = sorted(zip(sorted(os.environ["DUPLICATE"].split()), ["first", "identical"]))
if not any(sorted(g) == want for g in groups.values()):
    problems.append(f"{dupcsv}: groups {groups}; want one group of {want}")
# The saved notebook shows the form as it was used (typed labels, "move", done), not as it was first drawn.
nb = json.load(open(os.path.join(work, "notebook.ipynb")))
forms = [("".join(o["data"]["text/html"]) if isinstance(o["data"]["text/html"], list) else o["data"]["text/html"])
         for c in nb["cells"] for o in c.get("outputs", []) if 'class="sis sis-form"' in str(o.get("data", {}).get("text/html", ""))]
used = html.escape(os.environ["LABELS"], quote=True)
if len(forms) != 1 or f'value="{used}"' not in forms[0] or '<option value="move" selected>' not in forms[0] or "Done." not in forms[0]:
    problems.append(f"the saved notebook's form does not show the settings used ({len(forms)} form outputs)")
if problems:
    print("test-notebook-browser: FAILED:\n  - " + "\n  - ".join(problems), file=sys.stderr)
    sys.exit(1)
EOF
say "passed; screenshots in $shots"
