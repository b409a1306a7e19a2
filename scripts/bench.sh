#!/usr/bin/env bash
# Speed of the CLIP towers alone on a full-size ViT-B/32 checkpoint (random weights: speed does not depend on them):
# the PyTorch baseline (shared/bench/torch_clip.py --bench) next to `sorter bench` on the pure-Go engine and on ONNX
# Runtime, RUNS times each (interleaved, in one run, so all see the same machine load), then the medians and the
# ratios ours/PyTorch as a Markdown table.
#
#   scripts/bench.sh                          # RUNS=3; SECONDS_PER_MEASURE=3 (sorter bench --seconds)
#   RUNS=1 SECONDS_PER_MEASURE=1 scripts/bench.sh   # quick check that the script works
#
# Needs the shared/ folder beside the repository (SHARED=...); bench-common.sh installs the rest and lists the settings.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=bench-common.sh
source "$(dirname "$0")/bench-common.sh"
seconds=${SECONDS_PER_MEASURE:-3}

echo "== $(command_line)"
echo "== $(machine_info)"
check_baseline
build_sorters
tmp=$(mktemp -d "$bench_dir/bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

all=(torch "${engines[@]}")
failed=()
for r in $(seq "$runs"); do
  for e in "${all[@]}"; do
    out=$tmp/$e.$r.json
    if [ "$e" = torch ]; then
      cmd=("$py" "$shared/bench/torch_clip.py" "$ckpt" --bench --threads "$threads")
    else
      engine_env "$e"
      cmd=("${engine_cmd[@]}" "$(sorter_for "$e")" bench --model "$ckpt" --batches "1,8,32" --seconds "$seconds")
    fi
    if ! "${cmd[@]}" >"$out" 2>"$tmp/$e.$r.log"; then
      echo "== run $r, $e: FAILED; last lines of its output:"
      tail -n 5 "$tmp/$e.$r.log" | sed 's/^/   /'
      rm -f "$out"
      failed+=("$e run $r")
      continue
    fi
    prefix=""; [ "$e" = torch ] || prefix=rates.
    line="run $r, $(printf '%-5s' "$e"):"
    for b in 1 8 32; do
      line+=" batch $b $(json_get "$out" "${prefix}image_tower_batch${b}_images_per_s")"
    done
    line+=" img/s"
    [ "$e" = torch ] || line+=" on $(json_get "$out" backend), load $(json_get "$out" load_seconds) s, peak RSS $(json_get "$out" peak_rss_mb) MB"
    echo "$line   [load $(cut -d' ' -f1 /proc/loadavg)]"
  done
done

# med ENGINE KEY: the median over the runs of KEY (torch's flat key; sorter's under rates).
med() {
  local f vals=() prefix=""
  [ "$1" = torch ] || prefix=rates.
  for f in "$tmp/$1".*.json; do
    [ -f "$f" ] && vals+=("$(json_get "$f" "$prefix$2")")
  done
  median "${vals[@]}"
}

echo
echo "## Image and text towers, full-size ViT-B/32, median of $runs run(s)"
echo
echo "\`$(command_line)\`, $(machine_info)."
echo "PyTorch: $(engine_title torch), --threads $threads, OMP_WAIT_POLICY=$OMP_WAIT_POLICY; sorter bench --seconds $seconds."
echo "$baseline_info."
echo
header="| measurement | PyTorch"
rule="| --- | ---"
for e in "${engines[@]}"; do
  header+=" | $(engine_title "$e") | ours / PyTorch"
  rule+=" | --- | ---"
done
echo "$header |"
echo "$rule |"
for key in image_tower_batch1_images_per_s image_tower_batch8_images_per_s image_tower_batch32_images_per_s \
  text_tower_batch5_len77_prompts_per_s original_pipeline_5_labels_images_per_s; do
  case $key in
  image_tower_batch*) b=${key#image_tower_batch}; name="image tower, batch ${b%%_*} (images/s)" ;;
  text_tower*) name="text tower, 5 prompts of 77 tokens (prompts/s)" ;;
  *) name="original tool's per-image work: image at batch 1 + 5 label prompts (images/s)" ;;
  esac
  base=$(med torch "$key")
  row="| $name | ${base:-failed}"
  for e in "${engines[@]}"; do
    v=$(med "$e" "$key")
    row+=" | ${v:-failed} | $(ratio "$v" "$base")"
  done
  echo "$row |"
done
echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
