#!/usr/bin/env bash
# drydock serve vs. Debian's docker-registry (CNCF distribution 2.8) on this machine, in
# one run, on loopback:
#   1. push a large image with skopeo (the same client for both), then pull it back;
#   2. concurrent manifest GETs with wrk (by tag, with an Accept header);
#   3. each server's peak RSS (VmHWM from /proc) over the whole run.
# Prints throughput, p50/p99 latency, peak memory and the ratios.
#
# Usage: bench/registry.sh
#   DRYDOCK      drydock binary [target/release/drydock, built when missing]
#   IMAGE_MB     size of the synthetic image's layers in MiB [256], in 4 incompressible layers
#   WRK_SECONDS  length of each manifest GET run [10]
#   WRK_CONNS    concurrent connections [32]
#   PUSH_RUNS    push/pull repetitions per server, the best is kept [2]
#
# Installs skopeo, wrk and docker-registry with apt-get when missing.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE_MB=${IMAGE_MB:-256}
WRK_SECONDS=${WRK_SECONDS:-10}
WRK_CONNS=${WRK_CONNS:-32}
PUSH_RUNS=${PUSH_RUNS:-2}
WORK=$(mktemp -d /var/tmp/drydock-registry-bench.XXXXXX)
PIDS=()

log() { echo "== $*" >&2; }
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ensure_tools() {
  local missing=() tool package
  for tool in skopeo:skopeo wrk:wrk docker-registry:docker-registry; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} with apt-get"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}

drydock_binary() {
  if [ -n "${DRYDOCK:-}" ]; then echo "$DRYDOCK"; return; fi
  local target=${CARGO_TARGET_DIR:-$REPO/target}
  if [ ! -x "$target/release/drydock" ]; then
    log "building drydock (release)"
    (cd "$REPO" && cargo build --release -p drydock >&2)
  fi
  echo "$target/release/drydock"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {
  local url=$1 i
  for i in $(seq 1 300); do
    curl -fs -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "registry bench: nothing answers at $url" >&2
  exit 1
}

# An OCI layout with one image: IMAGE_MB of random bytes in 4 uncompressed layers.
make_image() {
  local dir=$1
  python3 - "$dir" "$IMAGE_MB" <<'PY'
import hashlib, json, os, sys
out, total_mb = sys.argv[1], int(sys.argv[2])
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs)
def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}
layers = []
per_layer = total_mb * 1024 * 1024 // 4
for _ in range(4):
    layer = put(os.urandom(per_layer))
    layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    layers.append(layer)
config = put(json.dumps({"architecture": "amd64", "os": "linux",
    "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode())
config["mediaType"] = "application/vnd.oci.image.config.v1+json"
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": config, "layers": layers}).encode()
entry = put(manifest)
entry["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
entry["annotations"] = {"org.opencontainers.image.ref.name": "big"}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [entry]}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY
}

start_drydock() {
  local port=$1 data=$2
  "$DRYDOCK_BIN" serve --listen "127.0.0.1:$port" --data "$data" >"$WORK/drydock.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

start_reference() {
  local port=$1 data=$2
  cat >"$WORK/distribution.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  docker-registry serve "$WORK/distribution.yml" >"$WORK/distribution.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

seconds_of() { local start=$1 end; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

# Best push and pull seconds of PUSH_RUNS runs, each of its own image (different random
# layers: skopeo remembers where it pushed a blob and would mount it instead of uploading).
push_pull() {
  local name=$1 port=$2 best_push=999999 best_pull=999999 run start t
  for run in $(seq 1 "$PUSH_RUNS"); do
    start=$(date +%s.%N)
    skopeo copy -q --dest-tls-verify=false "oci:$WORK/image$run:big" "docker://127.0.0.1:$port/bench/big$run:1" >&2
    t=$(seconds_of "$start")
    best_push=$(echo "if ($t < $best_push) $t else $best_push" | bc -l)
    rm -rf "$WORK/pulled"
    start=$(date +%s.%N)
    skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/bench/big$run:1" "oci:$WORK/pulled:big" >&2
    t=$(seconds_of "$start")
    best_pull=$(echo "if ($t < $best_pull) $t else $best_pull" | bc -l)
  done
  echo "$best_push $best_pull"
}

# wrk on a manifest by tag: requests/s, p50 ms, p99 ms.
manifest_gets() {
  local port=$1 out
  out=$(wrk -t2 -c"$WRK_CONNS" -d"${WRK_SECONDS}s" --latency \
    -H "Accept: application/vnd.oci.image.manifest.v1+json" \
    "http://127.0.0.1:$port/v2/bench/big1/manifests/1")
  echo "$out" >&2
  local rps p50 p99 non2xx
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  [ -z "$non2xx" ] || { echo "registry bench: $non2xx manifest GETs failed on port $port" >&2; exit 1; }
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

to_ms() {
  local v=$1
  case $v in
    *us) echo "${v%us} / 1000" | bc -l ;;
    *ms) echo "${v%ms}" ;;
    *s) echo "${v%s} * 1000" | bc -l ;;
  esac
}

ensure_tools
command -v bc >/dev/null || { echo "registry bench: needs bc" >&2; exit 1; }
DRYDOCK_BIN=$(drydock_binary)
log "images: $PUSH_RUNS of ${IMAGE_MB} MiB in 4 layers"
for run in $(seq 1 "$PUSH_RUNS"); do make_image "$WORK/image$run"; done
MB=$(du -sm "$WORK/image1/blobs" | cut -f1)

declare -A PUSH PULL RPS P50 P99 RSS
for server in drydock reference; do
  port=$(free_port)
  mkdir -p "$WORK/$server-data"
  if [ $server = drydock ]; then start_drydock "$port" "$WORK/$server-data"
  else start_reference "$port" "$WORK/$server-data"; fi
  pid=$SERVER_PID
  wait_http "http://127.0.0.1:$port/v2/"
  log "$server: push and pull"
  read -r PUSH[$server] PULL[$server] < <(push_pull $server "$port")
  log "$server: manifest GETs"
  read -r RPS[$server] P50[$server] P99[$server] < <(manifest_gets "$port")
  RSS[$server]=$(peak_rss_kib "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done

ratio() { echo "scale=2; $1 / $2" | bc -l; }
fmt() { printf '%.2f' "$1"; }
echo
echo "image: $MB MiB of blobs; best of $PUSH_RUNS push/pull runs; wrk -t2 -c$WRK_CONNS ${WRK_SECONDS}s; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '| | drydock serve | docker-registry | drydock / reference |\n| --- | --- | --- | --- |\n'
printf '| push, MiB/s | %s | %s | %sx |\n' "$(fmt "$(echo "$MB / ${PUSH[drydock]}" | bc -l)")" "$(fmt "$(echo "$MB / ${PUSH[reference]}" | bc -l)")" "$(ratio "${PUSH[reference]}" "${PUSH[drydock]}")"
printf '| pull, MiB/s | %s | %s | %sx |\n' "$(fmt "$(echo "$MB / ${PULL[drydock]}" | bc -l)")" "$(fmt "$(echo "$MB / ${PULL[reference]}" | bc -l)")" "$(ratio "${PULL[reference]}" "${PULL[drydock]}")"
printf '| manifest GET, req/s | %s | %s | %sx |\n' "${RPS[drydock]}" "${RPS[reference]}" "$(ratio "${RPS[drydock]}" "${RPS[reference]}")"
printf '| manifest GET p50, ms | %s | %s | %sx |\n' "$(fmt "${P50[drydock]}")" "$(fmt "${P50[reference]}")" "$(ratio "${P50[drydock]}" "${P50[reference]}")"
printf '| manifest GET p99, ms | %s | %s | %sx |\n' "$(fmt "${P99[drydock]}")" "$(fmt "${P99[reference]}")" "$(ratio "${P99[drydock]}" "${P99[reference]}")"
printf '| peak RSS, MiB | %s | %s | %sx |\n' "$(fmt "$(echo "${RSS[drydock]} / 1024" | bc -l)")" "$(fmt "$(echo "${RSS[reference]} / 1024" | bc -l)")" "$(ratio "${RSS[drydock]}" "${RSS[reference]}")"
