#!/usr/bin/env bash
# Secret scanning speed on the large bench image: what drydock-checks' analyzers (the
# secret scanner over every regular file of every layer, and the account/credential file
# reader) add to the layer walk, and the secret scanner's own throughput in MB/s.
#
# Runs crates/checks/examples/walk_overhead.rs (release build): RUNS walks of the image
# with no analyzer, then RUNS walks with the checks' analyzers, no layer cache, and prints
# the median wall times, the overhead (goal: under 30%), and, per analyzer, the bytes it was
# handed, the CPU time spent inside it (summed over the layer threads) and their ratio.
# For reference it also times `gzip -dc` of the layer blobs (the decompression floor).
#
# Usage: bench/secrets-throughput.sh
# Env:   DRYDOCK_BENCH_DIR  cache of the big image (see build-big-image.sh)
#        IMAGE              an OCI layout to use instead (its image tagged `latest`)
#        RUNS               walks per mode (default 3)
# Needs root only to build the big image the first time.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}

log() { echo "== $*" >&2; }
die() { echo "secrets-throughput: $*" >&2; exit 1; }

image_layout() {
  if [ -n "${IMAGE:-}" ]; then
    echo "$IMAGE"
  else
    "$REPO/bench/build-big-image.sh" | tail -n 1
  fi
}

build_example() {
  log "building the walk_overhead example (release)"
  (cd "$REPO" && cargo build --release -q -p drydock-checks --example walk_overhead) >&2
  echo "$TARGET_DIR/release/examples/walk_overhead"
}

# Seconds to gunzip every layer blob of the `latest` image to /dev/null, one after the other.
gunzip_floor() {
  local layout=$1 manifest start end
  command -v jq >/dev/null || { echo "n/a (needs jq)"; return; }
  manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest") | .digest' \
    "$layout/index.json")
  start=$(date +%s.%N)
  jq -r '.layers[].digest' "$layout/blobs/sha256/${manifest#sha256:}" | while read -r digest; do
    gzip -dc "$layout/blobs/sha256/${digest#sha256:}" >/dev/null
  done
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f s", e - s }'
}

main() {
  local layout example
  layout=$(image_layout)
  [ -f "$layout/index.json" ] || die "no OCI layout at $layout"
  example=$(build_example)
  echo "secret scanning on $(basename "$layout")   $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "gunzip of every layer, sequential: $(gunzip_floor "$layout")"
  "$example" "oci:$layout:latest" "$RUNS"
}

main "$@"
