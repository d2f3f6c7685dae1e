#!/usr/bin/env bash
# Builds drydock's large performance image once and caches it.
#
# The image is the repo's debian-min fixture (one 30 MB gzip layer) plus two
# `apt-get install` layers: a build toolchain and a set of servers and runtimes,
# with documentation kept. That is about 1.2 GB uncompressed and 400 MB of gzip
# layers: three layers of very different sizes and tens of thousands of files,
# which is what a scan of a real "fat" application image looks like.
#
# Usage: bench/build-big-image.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to ${DRYDOCK_BENCH_DIR:-$HOME/.cache/drydock-bench}/big and
#   holds an OCI image layout whose image is tagged `latest`. If it already exists
#   nothing is done; delete it to rebuild. The path is printed on stdout.
#
# Needs root (chroot, mount, mknod, umoci unpack of device nodes), network access to
# deb.debian.org, and umoci + skopeo (installed with apt-get when missing).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_LAYOUT=$REPO/tests/fixtures/images/oci/debian-min
BENCH_DIR=${DRYDOCK_BENCH_DIR:-$HOME/.cache/drydock-bench}
OUT=${1:-$BENCH_DIR/big}

# The two package sets, one layer each (same as the shared corpus' `big` recipe).
PKGS_1="build-essential gcc g++ make cmake pkg-config libssl-dev zlib1g-dev libffi-dev python3 python3-dev python3-pip python3-venv perl git curl wget ca-certificates openssh-client"
PKGS_2="postgresql-15 nginx-light vim-nox less nodejs npm ruby imagemagick"

# Device nodes some maintainer scripts write to or read from: name:major:minor.
DEVICES="null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0"

# The rootfs currently prepared for chroot (so the exit trap can undo it).
PREPARED_ROOT=""
MADE_DEVICES=()
ADDED_RESOLV=0

log() { echo "== $*" >&2; }
die() { echo "build-big-image: $*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "needs root (chroot, mount, mknod); run it with sudo"
}

# umoci and skopeo come from Debian; install them only when missing.
ensure_tools() {
  local missing=() tool
  for tool in umoci skopeo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} with apt-get"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# Makes a rootfs usable for apt-get in a chroot: /proc, a few device nodes, DNS.
# Everything added here is recorded so that release_chroot removes exactly it:
# none of it may end up in a layer.
prepare_chroot() {
  local root=$1 spec name major minor
  PREPARED_ROOT=$root
  MADE_DEVICES=()
  mkdir -p "$root/proc" "$root/dev" "$root/etc"
  for spec in $DEVICES; do
    IFS=: read -r name major minor <<<"$spec"
    if [ ! -e "$root/dev/$name" ]; then
      mknod -m 666 "$root/dev/$name" c "$major" "$minor"
      MADE_DEVICES+=("$root/dev/$name")
    fi
  done
  ADDED_RESOLV=0
  if [ ! -e "$root/etc/resolv.conf" ] && [ ! -L "$root/etc/resolv.conf" ]; then
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    ADDED_RESOLV=1
  fi
  mount -t proc proc "$root/proc"
}

# Undoes prepare_chroot; safe to call twice (it also runs from the exit trap).
release_chroot() {
  local root=$PREPARED_ROOT dev
  [ -n "$root" ] || return 0
  if mountpoint -q "$root/proc"; then
    umount "$root/proc" || umount -l "$root/proc"
  fi
  for dev in "${MADE_DEVICES[@]}"; do rm -f "$dev"; done
  MADE_DEVICES=()
  [ "$ADDED_RESOLV" = 1 ] && rm -f "$root/etc/resolv.conf"
  ADDED_RESOLV=0
  PREPARED_ROOT=""
}

# Runs a command in the rootfs with a clean environment, like a Dockerfile RUN.
in_chroot() {
  local root=$1; shift
  chroot "$root" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# One `RUN apt-get update && apt-get install ...` layer, cleaned like a good Dockerfile
# does (no package lists, no downloaded .debs), committed with umoci.
install_layer() {
  local image=$1 bundle=$2 packages=$3
  local root=$bundle/rootfs
  log "layer: apt-get install $packages"
  prepare_chroot "$root"
  in_chroot "$root" apt-get update -q
  # shellcheck disable=SC2086  # the package list is meant to split into words
  in_chroot "$root" apt-get install -y -q --no-install-recommends $packages
  in_chroot "$root" apt-get clean
  release_chroot
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  mkdir -p "$root/var/lib/apt/lists/partial"
  umoci repack --image "$image:latest" --refresh-bundle \
    --history.created_by "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends $packages && apt-get clean" \
    "$bundle"
}

# A copy of the fixture with real blobs (the fixture's blobs/ is a symlink to a store
# shared by eight images; skopeo copies only the ones this image uses).
copy_base() {
  local image=$1
  [ -f "$BASE_LAYOUT/index.json" ] || die "missing fixture $BASE_LAYOUT"
  skopeo copy -q "oci:$BASE_LAYOUT:latest" "oci:$image:latest"
}

cleanup() {
  release_chroot
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then rm -rf "$WORK"; fi
}

main() {
  if [ -f "$OUT/index.json" ]; then
    log "big image already built: $OUT (delete it to rebuild)"
    echo "$OUT"
    return 0
  fi
  require_root
  ensure_tools
  mkdir -p "$(dirname "$OUT")"
  # Build next to the destination and rename at the end, so a half-built image never
  # looks finished to the next run.
  WORK=$(mktemp -d "$(dirname "$OUT")/.big-build.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local image=$WORK/image bundle=$WORK/bundle
  log "copying the debian-min fixture"
  copy_base "$image"
  umoci unpack --image "$image:latest" "$bundle"
  # debian-min is slimmed like debian:*-slim; a "full" image keeps docs, man pages, locales.
  rm -f "$bundle/rootfs/etc/dpkg/dpkg.cfg.d/docker"
  install_layer "$image" "$bundle" "$PKGS_1"
  install_layer "$image" "$bundle" "$PKGS_2"
  umoci config --image "$image:latest" --no-history --config.cmd bash \
    --config.label org.opencontainers.image.title=drydock-bench-big \
    --config.label org.opencontainers.image.description="large Debian 12 image for drydock performance work"
  umoci gc --layout "$image"
  log "rootfs $(du -sh "$bundle/rootfs" | cut -f1), layout $(du -sh "$image" | cut -f1)"
  mv "$image" "$OUT"
  echo "$OUT"
}

main "$@"
