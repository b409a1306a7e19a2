#!/usr/bin/env bash
# Speed of sorting videos: `sorter sort` of a folder of five 1280x720 30 fps H.264 videos (four of one minute, decoded in
# full; one of ten minutes, sampled by seeking) with the full-size ViT-B/32 (random weights), first sort (no cache),
# on each engine, RUNS times (interleaved); medians of wall seconds, frames looked at and peak RSS. There is no
# Python baseline: the original tool, like the pipeline, does not read videos.
#
#   scripts/bench-video.sh            # RUNS=3; the videos are made once with ffmpeg under BENCH_DIR/videos
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=bench-common.sh
source "$(dirname "$0")/bench-common.sh"
command -v ffmpeg >/dev/null || apt_install ffmpeg
[ -x /usr/bin/time ] || apt_install time

videos=$bench_dir/videos
if [ ! -f "$videos.complete" ]; then
  echo "== making the test videos in $videos (testsrc2, H.264, CRF 28)"
  rm -rf "$videos" && mkdir -p "$videos"
  for i in 1 2 3 4; do
    ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=s=1280x720:r=30:d=60" -vf "hue=h=$((i * 40))" \
      -c:v libx264 -preset veryfast -crf 28 -pix_fmt yuv420p "$videos/minute-$i.mp4"
  done
  ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=s=1280x720:r=30:d=600" \
    -c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p "$videos/ten-minutes.mp4"
  touch "$videos.complete"
fi

echo "== $(machine_info); $(ffmpeg -version | head -n 1 | cut -d' ' -f1-3)"
build_sorters
tmp=$(mktemp -d "$bench_dir/bench-video.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
declare -A secs frames mbs
for r in $(seq "$runs"); do
  for e in "${engines[@]}"; do
    engine_env "$e"
    out=$tmp/out-$e-$r
    t=$(/usr/bin/time -f '%e %M' -o /dev/stdout "${engine_cmd[@]}" "$(sorter_for "$e")" sort --model "$ckpt" \
      --source "$videos" --destination "$out" --no-cache --report=false \
      --labels "$labels" 2>"$tmp/$e-$r.log" | tee "$tmp/$e-$r.txt" | tail -n 1)
    n=$(sed -n 's/.*(\([0-9]*\) frames looked at).*/\1/p' "$tmp/$e-$r.txt")
    secs[$e]+="${t% *} " frames[$e]=$n mbs[$e]+="$((${t#* } / 1024)) "
    echo "run $r, $(printf '%-4s' "$e"): ${t% *} s, $n frames, peak RSS $((${t#* } / 1024)) MB   [load $(cut -d' ' -f1 /proc/loadavg)]"
  done
done
echo
echo "| engine | first sort of 5 videos (wall s, median of $runs) | frames looked at | frames/s | peak RSS MB |"
echo "| --- | --- | --- | --- | --- |"
for e in "${engines[@]}"; do
  # shellcheck disable=SC2086 # the lists are space-separated numbers
  m=$(median ${secs[$e]})
  # shellcheck disable=SC2086
  peak=$(printf '%s\n' ${mbs[$e]} | sort -n | tail -n 1)
  echo "| $(engine_title "$e") | $m | ${frames[$e]} | $(awk -v n="${frames[$e]}" -v s="$m" 'BEGIN { printf "%.1f", n / s }') | $peak |"
done
