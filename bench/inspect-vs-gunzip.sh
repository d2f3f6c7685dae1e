#!/usr/bin/env bash
# Times `drydock image inspect --files` on the large image against the decompression
# floor: `gzip -dc` of its layer blobs to /dev/null. All commands are timed in one run,
# on the same warm page cache, so the ratio says how much drydock's work on top of
# decompressing (hashing blob and tar, walking tar headers, merging layers, printing
# JSON) costs. The issue's goal: within 1.3x of the floor and under 128 MB of peak RSS.
#
# Two floors, because drydock walks layers in parallel (one thread per layer, up to
# the number of CPUs):
#   sequential  every layer decompressed one after the other (one core);
#   parallel    all layers decompressed at once (`&` + `wait`), the best any tool
#               that reads each layer once on this machine's cores can do with gzip.
#
# Usage: bench/inspect-vs-gunzip.sh
# Env:   DRYDOCK_BENCH_DIR  cache of the big image (see build-big-image.sh)
#        RUNS               timed runs per command (default 5; at least 3)
#        DRYDOCK            a drydock binary to use instead of building target/release
#        BENCH_SYFT=0       skip syft even when it is installed (a syft run takes minutes)
# Needs root only to build the image the first time and to apt-get install hyperfine,
# time and jq when they are missing.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
GOAL_RATIO=1.3
GOAL_RSS_MB=128

log() { echo "== $*" >&2; }
die() { echo "inspect-vs-gunzip: $*" >&2; exit 1; }

# Installs Debian packages for the tools this script needs, when root can.
ensure_packages() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*} pkg=${pair##*:}
    [ -x "$cmd" ] || command -v "$cmd" >/dev/null || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing ${missing[*]} (not root, so not installing them)"
    return 0
  fi
  log "installing ${missing[*]} with apt-get"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
}

build_image() {
  "$REPO/bench/build-big-image.sh" | tail -n 1
}

build_drydock() {
  if [ -n "${DRYDOCK:-}" ]; then
    echo "$DRYDOCK"
    return 0
  fi
  log "building drydock (release)"
  (cd "$REPO" && cargo build --release -q -p drydock) >&2
  echo "$REPO/target/release/drydock"
}

# The layer blobs of the image tagged `latest`, bottom first, one path a line.
layer_blobs() {
  local layout=$1 manifest
  manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest") | .digest' \
    "$layout/index.json")
  jq -r '.layers[].digest' "$layout/blobs/sha256/${manifest#sha256:}" |
    while read -r digest; do echo "$layout/blobs/sha256/${digest#sha256:}"; done
}

# Shell commands for the two floors, over the given blobs.
sequential_floor() {
  local blob cmd=""
  for blob in "$@"; do cmd+="gzip -dc '$blob' >/dev/null; "; done
  echo "$cmd"
}

parallel_floor() {
  local blob cmd=""
  for blob in "$@"; do cmd+="gzip -dc '$blob' >/dev/null & "; done
  echo "${cmd}wait"
}

# Times named commands; writes "name median_s mean_s min_s max_s cpu_s" lines to $1,
# cpu_s being the mean user + system time: on a machine shared with other work, CPU time
# is steadier than wall time, so the report gives both ratios.
time_commands() {
  local out=$1; shift
  if command -v hyperfine >/dev/null; then
    time_with_hyperfine "$out" "$@"
  else
    time_with_loop "$out" "$@"
  fi
}

time_with_hyperfine() {
  local out=$1; shift
  local json args=() i
  json=$(mktemp)
  for ((i = 1; i <= $#; i += 2)); do
    args+=(--command-name "${!i}")
    local j=$((i + 1))
    args+=("${!j}")
  done
  # One warm-up run per command puts every blob in the page cache: this measures CPU
  # work, not the disk.
  hyperfine --warmup 1 --runs "$RUNS" --style basic --export-json "$json" "${args[@]}" >&2
  jq -r '.results[] | "\(.command) \(.median) \(.mean) \(.min) \(.max) \(.user + .system)"' "$json" >"$out"
  rm -f "$json"
}

# Without hyperfine: RUNS timed runs of each after one warm-up, median by sort.
time_with_loop() {
  local out=$1; shift
  local name cmd times run
  : >"$out"
  while [ $# -gt 0 ]; do
    name=$1 cmd=$2; shift 2
    bash -c "$cmd" >/dev/null
    times=$(mktemp)
    for ((run = 0; run < RUNS; run++)); do
      /usr/bin/time -f '%e %U %S' -a -o "$times" bash -c "$cmd" >/dev/null
    done
    sort -n "$times" | awk -v name="$name" '
      { wall[NR] = $1; cpu += $2 + $3; sum += $1 }
      END { printf "%s %s %s %s %s %s\n", name, wall[int((NR + 1) / 2)], sum / NR, wall[1], wall[NR], cpu / NR }' >>"$out"
    rm -f "$times"
  done
}

# Peak resident set size of one run of a command, in KiB (the largest of three runs).
peak_rss_kib() {
  local cmd=$1 run max=0 kib
  for run in 1 2 3; do
    kib=$( { /usr/bin/time -f '%M' bash -c "exec $cmd" >/dev/null; } 2>&1 | tail -n 1)
    [ "$kib" -gt "$max" ] && max=$kib
  done
  echo "$max"
}

field() { awk -v name="$2" -v col="$3" '$1 == name { print $col }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v goal="$2" 'BEGIN { print (v <= goal ? "ok" : "OVER") }'; }

report() {
  local times=$1 rss_kib=$2 image=$3 blobs=$4
  local seq par dry rss_mb
  seq=$(field "$times" gunzip-sequential 2)
  par=$(field "$times" gunzip-parallel 2)
  dry=$(field "$times" drydock 2)
  rss_mb=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
  echo
  echo "drydock inspect --files vs. gzip -dc   $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load before: $LOAD_BEFORE"
  echo "image:   $image ($blobs)"
  echo
  printf '%-22s %9s %9s %9s %9s %9s\n' command median_s mean_s min_s max_s cpu_s
  while read -r name median mean min max cpu; do
    printf '%-22s %9.3f %9.3f %9.3f %9.3f %9.3f\n' "$name" "$median" "$mean" "$min" "$max" "$cpu"
  done <"$times"
  echo
  printf '%-36s %8s  (goal <= %s: %s)\n' "drydock / sequential floor" "$(ratio "$dry" "$seq")" \
    "$GOAL_RATIO" "$(verdict "$(ratio "$dry" "$seq")" "$GOAL_RATIO")"
  printf '%-36s %8s  (goal <= %s: %s)\n' "drydock / parallel floor" "$(ratio "$dry" "$par")" \
    "$GOAL_RATIO" "$(verdict "$(ratio "$dry" "$par")" "$GOAL_RATIO")"
  printf '%-36s %8s  (wall ratios are noisy when other work shares the cores)\n' \
    "drydock CPU / gzip CPU" "$(ratio "$(field "$times" drydock 6)" "$(field "$times" gunzip-sequential 6)")"
  printf '%-36s %8s  (goal <  %s MB: %s)\n' "drydock peak RSS (MB)" "$rss_mb" \
    "$GOAL_RSS_MB" "$(verdict "$rss_mb" "$GOAL_RSS_MB")"
  if [ -n "$(field "$times" syft 2)" ]; then
    printf '%-36s %8s\n' "syft / drydock" "$(ratio "$(field "$times" syft 2)" "$dry")"
  fi
}

main() {
  ensure_packages hyperfine:hyperfine /usr/bin/time:time jq:jq
  command -v jq >/dev/null || die "needs jq"
  [ -x /usr/bin/time ] || die "needs /usr/bin/time (Debian package time)"
  local image drydock blobs=() summary
  image=$(build_image)
  drydock=$(build_drydock)
  mapfile -t blobs < <(layer_blobs "$image")
  [ ${#blobs[@]} -gt 0 ] || die "no layers found in $image"
  summary="${#blobs[@]} gzip layers, $(du -cb "${blobs[@]}" | tail -n 1 | cut -f1) bytes"
  local inspect="'$drydock' --no-cache image inspect 'oci:$image' --files --format json >/dev/null"
  local commands=(
    gunzip-sequential "$(sequential_floor "${blobs[@]}")"
    gunzip-parallel "$(parallel_floor "${blobs[@]}")"
    drydock "$inspect"
  )
  # The tool a user would otherwise pick, only when it is there (never installed here).
  if [ "${BENCH_SYFT:-1}" != 0 ] && command -v syft >/dev/null; then
    commands+=(syft "SYFT_CHECK_FOR_APP_UPDATE=false syft scan -q 'oci-dir:$image' -o syft-json >/dev/null")
  fi
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  local times
  times=$(mktemp)
  log "timing ${#blobs[@]} layers, $RUNS runs each"
  time_commands "$times" "${commands[@]}"
  local rss
  rss=$(peak_rss_kib "$inspect")
  report "$times" "$rss" "$image" "$summary"
  rm -f "$times"
}

main "$@"
