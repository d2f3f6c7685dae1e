#!/usr/bin/env bash
# Figures for `drydock db import` and `drydock scan`:
#   - import time of all the OSV data in tests/fixtures/vulndb, and the database size
#     against the size of the input zips;
#   - `drydock scan` wall time and peak RSS on the large image (cold: --no-cache, and with
#     the layer cache warm), against the image's decompression floor (gzip -dc of its
#     layers, in parallel), all timed in one run with hyperfine.
#
# No other scanner can be compared here: Trivy's and Grype's databases are downloaded from
# their publishers' registries, which this machine cannot reach, and neither builds its
# database from OSV exports; the figures stand on their own and against the floor.
#
# Usage: bench/scan.sh
# Env:   DRYDOCK_BENCH_DIR  cache of the big image (see build-big-image.sh)
#        RUNS               timed runs per command (default 3)
#        DRYDOCK            a drydock binary to use instead of building target/release
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
log() { echo "== $*" >&2; }

for tool in hyperfine jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { log "installing hyperfine jq time"; apt-get install -y -q hyperfine jq time >&2; break; }
done

if [ -n "${DRYDOCK:-}" ]; then
  BIN=$DRYDOCK
else
  log "building drydock (release)"
  (cd "$REPO" && cargo build --release -q -p drydock) >&2
  BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/drydock
fi

LAYOUT=$("$REPO/bench/build-big-image.sh" | tail -n 1)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ZIPS=("$REPO"/tests/fixtures/vulndb/osv/*/*.zip)
DB=$WORK/advisories.ddb

log "import"
hyperfine --runs "$RUNS" --export-json "$WORK/import.json" \
  "$BIN db import --db $DB ${ZIPS[*]}" >&2
zip_bytes=$(cat "${ZIPS[@]}" | wc -c)
db_bytes=$(stat -c %s "$DB")

log "scan (cold and warm layer cache) and the decompression floor"
manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest") | .digest' "$LAYOUT/index.json")
floor=""
for digest in $(jq -r '.layers[].digest' "$LAYOUT/blobs/sha256/${manifest#sha256:}"); do
  floor+="gzip -dc $LAYOUT/blobs/sha256/${digest#sha256:} >/dev/null & "
done
floor+="wait"
CACHE=$WORK/cache
"$BIN" --cache-dir "$CACHE" scan --db "$DB" --db-max-age 0 "oci:$LAYOUT:latest" --format json >"$WORK/report.json"
hyperfine --runs "$RUNS" --export-json "$WORK/scan.json" \
  -n floor "bash -c '$floor'" \
  -n cold "$BIN --no-cache scan --db $DB --db-max-age 0 oci:$LAYOUT:latest --format json -o $WORK/out.json" \
  -n warm "$BIN --cache-dir $CACHE scan --db $DB --db-max-age 0 oci:$LAYOUT:latest --format json -o $WORK/out.json" >&2
/usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" --no-cache scan --db "$DB" --db-max-age 0 "oci:$LAYOUT:latest" --format json -o "$WORK/out.json"

mean() { jq -r ".results[] | select(.command == \"$2\") | .mean" "$1"; }
import_s=$(jq -r '.results[0].mean' "$WORK/import.json")
floor_s=$(mean "$WORK/scan.json" floor)
cold_s=$(mean "$WORK/scan.json" cold)
warm_s=$(mean "$WORK/scan.json" warm)
rss_kb=$(cat "$WORK/rss")
findings=$(jq '[.targets[].findings[]] | length' "$WORK/report.json")
packages=$(jq '.packages' "$WORK/report.json")

printf 'import:   %.2f s for %d records; database %.1f MiB from %.1f MiB of zips (%.2fx)\n' \
  "$import_s" "$("$BIN" db status --db "$DB" --format json | jq .records)" \
  "$(echo "$db_bytes / 1048576" | bc -l)" "$(echo "$zip_bytes / 1048576" | bc -l)" "$(echo "$db_bytes / $zip_bytes" | bc -l)"
printf 'scan:     %d packages, %d findings\n' "$packages" "$findings"
printf 'floor:    %.2f s (gzip -dc of every layer, in parallel)\n' "$floor_s"
printf 'cold:     %.2f s (%.2fx the floor), peak RSS %.0f MiB\n' "$cold_s" "$(echo "$cold_s / $floor_s" | bc -l)" "$(echo "$rss_kb / 1024" | bc -l)"
printf 'warm:     %.2f s (layer cache)\n' "$warm_s"
