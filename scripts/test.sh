#!/usr/bin/env bash
# Installs what drydock's tests need on a Debian machine (when missing) and runs the whole
# test suite: formatting, lints, and every unit and integration test.
#
# The tests use real parts: skopeo and Debian's docker-registry for the registry source,
# umoci to unpack fixtures into plain directories, htpasswd and openssl for registry auth,
# rpm to compare the rpm cataloger with `rpm -qa` on the test databases,
# and the machine's Docker Engine when one runs (those tests say why they skip otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(docker-registry skopeo umoci apache2-utils openssl rpm)
# drydock-version's differential tests run each ecosystem's reference implementation.
APT_PACKAGES+=(dpkg python3-apt python3-rpm node-semver nodejs ruby maven golang-go golang-golang-x-mod-dev
  php-cli php-composer-semver)

missing_packages() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || echo "$pkg"
  done
}

install_system_packages() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  echo "== installing: $missing"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}

install_rust_tools() {
  command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
}

# The SBOM tests validate against the official CycloneDX and SPDX JSON schemas with
# Python's jsonschema (a Rust validator would add ~75 crates to the build).
install_python_tools() {
  python3 -c 'import importlib.metadata as m, sys; v = m.version("jsonschema").split("."); sys.exit(0 if (int(v[0]), int(v[1])) >= (4, 18) else 1)' 2>/dev/null \
    || python3 -m pip install --quiet 'jsonschema>=4.18'
  # drydock-version's PEP 440 differential test compares with `packaging`.
  python3 -c 'import packaging.version' 2>/dev/null || python3 -m pip install --quiet packaging
}

install_system_packages
install_rust_tools
install_python_tools

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== tests"
cargo nextest run --workspace --no-fail-fast --failure-output final
