#!/usr/bin/env bash
# Runs notebooks/smart-image-sorter.ipynb headless (nbclient, the library under `jupyter nbconvert --execute`:
# no browser, so the form sorts with its defaults) and fails if any cell failed. nbconvert alone misses some
# failures: GoNB reports a shell command's non-zero exit, and sometimes a cell program's, only as
# "exit status N" on the cell's stderr, so that stderr is scanned too (panics and GoNB errors as well).
# Then checks the results on disk and in the saved outputs: the sort, the re-sort, the search and the duplicates
# cells.
#
#   scripts/test-notebook-headless.sh [NOTEBOOK]     # default: notebooks/smart-image-sorter.ipynb
#
# Runs on a copy in a temporary folder (kept on failure, removed on success; KEEP=1 keeps it), with the tiny
# offline test model (SORTER_NOTEBOOK_MODEL; NOTEBOOK_TEST_MODEL=DIR picks another checkpoint), the sample photos as the source and a private embedding cache.
# Needs scripts/install-notebook.sh first.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
notebook=$(realpath "${1:-$repo/notebooks/smart-image-sorter.ipynb}")
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
gobin=${GOBIN:-$(go env GOPATH)/bin}
export PATH=$gobin:$PATH
for t in gonb goimports; do
  command -v "$t" >/dev/null || { echo "test-notebook-headless: error: $t is not installed; run scripts/install-notebook.sh" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/notebook-headless.XXXXXX")
cleanup() {
  local rc=$?
  if [ $rc -eq 0 ] && [ "${KEEP:-}" != 1 ]; then rm -rf "$work"; else echo "test-notebook-headless: files kept in $work"; fi
}
trap cleanup EXIT
cp "$notebook" "$work/notebook.ipynb"

# The Go build cache stays where it is (warm), while the user cache folder (embedding cache, last-run record)
# is private to this run.
export GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE)
export XDG_CACHE_HOME=$work/cache
export SORTER_REPO=$repo
export SORTER_NOTEBOOK_MODEL=${NOTEBOOK_TEST_MODEL:-$repo/testdata/fixtures/clip-tiny}
export GOMLX_BACKEND=go
export PYDEVD_DISABLE_FILE_VALIDATION=1

echo "test-notebook-headless: running $(basename "$notebook") in $work"
start=$(date +%s)
# Every cell is bounded by nbclient's timeout (a cold Go build of the sorter takes about a minute); the whole
# run by `timeout`.
# The kernel's log (GoNB's and Go's messages) goes to kernel.log, shown when the run fails.
if ! timeout --kill-after=10 900 "$py" -Xfrozen_modules=off - "$work" 2>"$work/kernel.log" <<'EOF'
import json, os, re, sys, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

work = sys.argv[1]
nb = nbformat.read(os.path.join(work, "notebook.ipynb"), as_version=4)
started = {}
def on_start(cell, cell_index, **kw):
    started[cell_index] = time.time()
def on_done(cell, cell_index, **kw):
    print(f"  cell {cell_index} ({cell.metadata.get('id', cell.get('id', ''))}): {time.time() - started[cell_index]:.1f} s", flush=True)
client = NotebookClient(nb, timeout=600, kernel_name="gonb", allow_errors=False,
                        resources={"metadata": {"path": work}},
                        on_cell_execute=on_start, on_cell_executed=on_done)
problems = []
try:
    client.execute()
except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
    problems.append(f"nbclient: {type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}")
finally:
    nbformat.write(nb, os.path.join(work, "executed.ipynb"))

# What nbclient does not report: GoNB writes a failed shell command's or program's exit status, and panics,
# only to the cell's stderr.
bad = re.compile(r"exit status \d+|^panic: |^fatal error: |GoNB Error|goroutine \d+ \[", re.M)
outputs = []  # (cell index, cell id, all text of its outputs)
for i, cell in enumerate(nb.cells):
    if cell.cell_type != "code":
        continue
    cid = cell.get("id", str(i))
    if cell.get("execution_count") is None:
        problems.append(f"cell {i} ({cid}) did not run")
    text = []
    for o in cell.get("outputs", []):
        if o.output_type == "error":
            problems.append(f"cell {i} ({cid}) failed: {o.get('ename')}: {o.get('evalue')}")
        elif o.output_type == "stream":
            text.append(o.text)
            if o.name == "stderr" and bad.search(o.text):
                problems.append(f"cell {i} ({cid}) wrote an error to stderr:\n    " + o.text.strip().replace("\n", "\n    "))
        else:
            for mime in ("text/plain", "text/html"):
                if mime in o.get("data", {}):
                    v = o["data"][mime]
                    text.append(v if isinstance(v, str) else "".join(v))
    outputs.append((i, cid, "\n".join(text)))

def cell_text(cid):
    for i, c, t in outputs:
        if c == cid:
            return t
    problems.append(f"no cell with id {cid}")
    return ""

form, resort = cell_text("form"), cell_text("resort")
searched, dups = cell_text("search"), cell_text("duplicates")
dupcsv = os.path.join(work, "labelled-2-duplicates", "duplicates.csv")  # beside the last destination, the re-sort's
for what, text, needle in [
    ("the form's note", form, "No browser is attached (headless run)"),
    ("the summary", form, "Copied 10 images from"),
    ("the progress bar", form, "Done: 11 of 11 files"),
    ("the gallery", form, "Images by label"),
    ("the re-sort's summary", resort, "Copied 10 images from"),
    ("the cache reuse", resort, "Embedding cache: 10 reused, 0 computed"),
    ("the search results", searched, '<div class="sis sis-search">'),
    ("the search's cache reuse", searched, "Embedding cache: 10 reused, 0 computed"),
    ("the duplicates' report", dups, '<div class="sis sis-duplicates">'),
    ("the duplicates' cache reuse", dups, "Embedding cache: 10 reused, 0 computed"),
    ("that nothing was moved", dups, "Nothing was moved or deleted."),
    ("the path of duplicates.csv", dups, dupcsv),
]:
    if needle not in text:
        problems.append(f"the saved outputs lack {what}: {needle!r}")
thumbs = form.count('<img src="data:image/jpeg;base64,')
if thumbs != 10:
    problems.append(f"the gallery shows {thumbs} thumbnails, want 10")
# The search cell asks for 24 results: the folder's 10 images, best first.
found = searched.count('<img src="data:image/jpeg;base64,')
if found != 10:
    problems.append(f"the search shows {found} thumbnails, want all 10 images")
if not os.path.exists(dupcsv) or not open(dupcsv).readline().startswith("group,match,"):
    problems.append(f"{dupcsv} is missing or has no header")
else:
    print(f"  duplicates.csv: {open(dupcsv).read().count(chr(10)) - 1} rows")

def images(dest):
    n = {}
    if os.path.isdir(dest):
        for d in sorted(os.listdir(dest)):
            p = os.path.join(dest, d)
            if os.path.isdir(p) and not d.startswith("."):
                n[d] = len(os.listdir(p))
    return n
for dest in ("labelled", "labelled-2"):
    got = images(os.path.join(work, dest))
    print(f"  {dest}: {json.dumps(got)}")
    if sum(got.values()) != 10:
        problems.append(f"{dest} holds {sum(got.values())} images in label folders, want the 10 samples")
    rows = open(os.path.join(work, dest, "output.csv")).read().count("\n") - 1 if os.path.exists(os.path.join(work, dest, "output.csv")) else 0
    if rows != 10:
        problems.append(f"{dest}/output.csv has {rows} rows, want 10")
m = re.search(r"Copied 10 images from \S+ into \S+ in ([0-9.]+m?s)", resort)
if m:
    print(f"  re-sort with new labels: {m.group(1)} (from the text summary)")

if problems:
    print("test-notebook-headless: FAILED:")
    for p in problems:
        print("  - " + p)
    print(f"  executed notebook: {os.path.join(work, 'executed.ipynb')}")
    sys.exit(1)
EOF
then
  echo "test-notebook-headless: the kernel's log (last 40 lines of $work/kernel.log):" >&2
  tail -n 40 "$work/kernel.log" >&2
  exit 1
fi
echo "test-notebook-headless: passed in $(( $(date +%s) - start )) s"
