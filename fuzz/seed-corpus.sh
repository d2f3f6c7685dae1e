#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with starting inputs for drydock-oci's fuzz targets, made
# from the repo's fixture images and a few hand-made layers. Well-formed seeds let the
# fuzzer start from inputs that get deep (a real tar, a real config) instead of having to
# discover gzip and tar headers byte by byte. Safe to run again: it only adds files.
#
# Usage: fuzz/seed-corpus.sh      (then: cargo fuzz run <target>, see README.md)
# Needs: GNU tar, gzip, zstd (optional), jq.
set -euo pipefail

FUZZ=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$FUZZ")
BLOBS=$REPO/tests/fixtures/images/oci/blobs/sha256
CORPUS=$FUZZ/corpus
# Seeds stay small: libFuzzer's -max_len defaults to the largest seed, and every byte of a
# layer is hashed and decompressed on every run.
SMALL=32768 # bytes

seed() { # seed TARGET NAME < bytes
  mkdir -p "$CORPUS/$1"
  cat >"$CORPUS/$1/$2"
}

# Fixture blobs: small gzip layers (as stored and uncompressed) and image configs.
seed_from_fixtures() {
  local blob name
  for blob in "$BLOBS"/*; do
    name=$(basename "$blob")
    [ "$(stat -c %s "$blob")" -le "$SMALL" ] || continue
    if [ "$(head -c 2 "$blob" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
      seed layer_walk "fixture-$name.gz" <"$blob"
      if [ "$(gzip -dc "$blob" | wc -c)" -le "$SMALL" ]; then
        gzip -dc "$blob" | seed layer_walk "fixture-$name.tar"
      fi
    elif jq -e '.rootfs' "$blob" >/dev/null 2>&1; then
      seed image_config "fixture-$name" <"$blob"
    fi
  done
}

# A layer with every kind of entry the walk treats specially.
make_tricky_layer() {
  local root=$1
  mkdir -p "$root/etc" "$root/usr/bin" "$root/var/lib/dpkg/status.d" "$root/opaque" \
    "$root/very/long/directory/name/that/needs/a/gnu/long/name/or/a/pax/header/to/be/stored/in/a/tar/archive"
  echo 'ID=debian' >"$root/etc/os-release"
  printf '\177ELF\002\001\001\000' >"$root/usr/bin/tool"
  chmod 4755 "$root/usr/bin/tool"
  printf 'PK\003\004' >"$root/usr/bin/app.jar"
  echo 'Package: x' >"$root/var/lib/dpkg/status.d/x"
  echo '{"name":"x"}' >"$root/very/long/directory/name/that/needs/a/gnu/long/name/or/a/pax/header/to/be/stored/in/a/tar/archive/package.json"
  ln -s ../usr/bin/tool "$root/etc/link"
  ln -s /etc/link "$root/etc/abs-link"
  ln "$root/etc/os-release" "$root/etc/hard"
  : >"$root/etc/.wh.removed"
  : >"$root/opaque/.wh..wh..opq"
  mkfifo "$root/etc/fifo"
}

seed_handmade_layers() {
  local tmp
  tmp=$(mktemp -d)
  make_tricky_layer "$tmp/root"
  tar -C "$tmp/root" --format=gnu -cf "$tmp/gnu.tar" .
  tar -C "$tmp/root" --format=pax -cf "$tmp/pax.tar" .
  seed layer_walk tricky-gnu.tar <"$tmp/gnu.tar"
  seed layer_walk tricky-pax.tar <"$tmp/pax.tar"
  gzip -9c "$tmp/gnu.tar" | seed layer_walk tricky-gnu.tar.gz
  if command -v zstd >/dev/null; then zstd -qc "$tmp/pax.tar" | seed layer_walk tricky-pax.tar.zst; fi
  # docker_archive_manifest's split format: manifest.json, config, layer.
  {
    printf '[{"Config":"config.json","RepoTags":["fuzz:latest"],"Layers":["layer.tar"]}]'
    printf '\n--8<--\n'
    printf '{"architecture":"amd64","os":"linux","config":{"User":"1000","Env":["A=b"]},'
    printf '"rootfs":{"type":"layers","diff_ids":["@LAYER@"]},"history":[{"created_by":"fuzz"}]}'
    printf '\n--8<--\n'
    cat "$tmp/gnu.tar"
  } | seed docker_archive_manifest split-one-layer
  rm -rf "$tmp"
}

# A small, complete `docker save` stream for the raw-stream mode of docker_archive_manifest
# (the fixture archives are over 100 KB).
seed_docker_archive() {
  local tmp diff_id
  tmp=$(mktemp -d)
  mkdir -p "$tmp/root/etc" "$tmp/archive"
  echo 'ID=debian' >"$tmp/root/etc/os-release"
  tar -C "$tmp/root" --format=gnu -cf "$tmp/archive/layer.tar" .
  diff_id=sha256:$(sha256sum "$tmp/archive/layer.tar" | cut -d' ' -f1)
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$diff_id" \
    >"$tmp/archive/config.json"
  printf '[{"Config":"config.json","RepoTags":["fuzz:latest"],"Layers":["layer.tar"]}]' >"$tmp/archive/manifest.json"
  tar -C "$tmp/archive" --format=ustar -cf - config.json layer.tar manifest.json | seed docker_archive_manifest small.docker.tar
  rm -rf "$tmp"
}

seed_image_refs() {
  local i=0 ref
  for ref in debian debian:12 library/debian@sha256:5a60520078361433d9e23dbabd2d44a1bf15453c031aea8e9604ef27e173582a \
    localhost:5000/team/app:v1.2 127.0.0.1:5000/a/b/c ghcr.io/owner/repo:latest docker://quay.io/x/y:tag \
    oci:./layout oci:./a:b/c:tag oci-dir:/tmp/x@sha256:5a60520078361433d9e23dbabd2d44a1bf15453c031aea8e9604ef27e173582a \
    oci-archive:img.tar:latest docker-archive:save.tar docker-archive:save.tar:name:tag docker:abc123 \
    docker-daemon:app:1 dir:/rootfs registry:host.example/ns/r:1; do
    printf '%s' "$ref" | seed image_ref "ref-$i"
    i=$((i + 1))
  done
}

main() {
  seed_from_fixtures
  seed_handmade_layers
  seed_docker_archive
  seed_image_refs
  local dir
  for dir in "$CORPUS"/*/; do echo "$(basename "$dir"): $(find "$dir" -type f | wc -l) inputs"; done
}

main "$@"
