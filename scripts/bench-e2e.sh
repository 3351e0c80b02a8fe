#!/usr/bin/env bash
# End-to-end benchmark: times whole botprof processes (wall, CPU, peak RSS via
# /usr/bin/time -v) and prints throughput next to `wc -l` on the same file as
# the I/O reference. Needs bin/botprof (make build) and bench/data from
# scripts/bench-data. Usage: scripts/bench-e2e.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bin=./bin/botprof
data=$(ls bench/data/*.netflow.labeled 2>/dev/null | head -1 || true)
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export BOTPROF_CACHE="$tmp/cache"

# measure NAME COLD(1|0) CMD...: runs CMD $runs times, prints the median wall
# time, CPU/wall and the largest peak RSS.
measure() {
  local name=$1 cold=$2; shift 2
  local walls=() cpus=() rss=0
  for i in $(seq "$runs"); do
    [ "$cold" = 1 ] && rm -rf "$BOTPROF_CACHE"
    /usr/bin/time -v -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tmp/time")")
    cpus+=("$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{print u+s}' "$tmp/time")")
    r=$(awk -F': ' '/Maximum resident/{print $2}' "$tmp/time"); [ "$r" -gt "$rss" ] && rss=$r
  done
  local wall cpu
  wall=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  printf '%-46s wall %7.3fs  cpu/wall %4.2f  peak RSS %5d MB\n' "$name" "$wall" "$(echo "$cpu $wall" | awk '{print ($2>0)?$1/$2:0}')" $((rss/1024))
  echo "$wall" > "$tmp/last_wall"
}

echo "# botprof end-to-end ($runs runs each, median wall; $(nproc) cores)"
measure "notebook workload, embedded s10, cold" 1 $bin run --quiet --results "$tmp/results" --set model.restarts=1 experiments/notebook.yaml
measure "notebook workload, embedded s10, warm" 0 $bin run --quiet --results "$tmp/results" --set model.restarts=1 experiments/notebook.yaml
measure "45-point sweep, cold" 1 $bin run --quiet --results "$tmp/results" experiments/sweep.yaml
measure "45-point sweep, warm" 0 $bin run --quiet --results "$tmp/results" experiments/sweep.yaml
if [ -n "$data" ]; then
  bytes=$(stat -c %s "$data"); lines=$(wc -l < "$data")
  measure "wc -l $(basename "$data") (I/O reference)" 0 wc -l "$data"
  measure "notebook workload, 513 MB file, cold" 1 $bin run --quiet --results "$tmp/results" --set model.restarts=1 \
    --set data.path="$PWD/$data" --set data.sha256= experiments/notebook.yaml
  w=$(cat "$tmp/last_wall")
  awk -v b="$bytes" -v l="$lines" -v w="$w" 'BEGIN{printf "  throughput: %.0f MB/s, %.2f M lines/s\n", b/1e6/w, l/1e6/w}'
else
  echo "(no bench/data/*.netflow.labeled: run scripts/bench-data for the 513 MB rows)"
fi
