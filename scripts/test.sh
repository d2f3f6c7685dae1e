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
# drydock-registry's tests run on SQLite and on a real PostgreSQL.
APT_PACKAGES+=(postgresql)
# The audit tamper test of `drydock registry audit verify` edits the SQLite database directly.
APT_PACKAGES+=(sqlite3)
# `drydock serve` with token authentication is tested with podman login/push/pull.
APT_PACKAGES+=(podman)
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
  # The registry's S3 tests run against s3s-fs, a real S3-compatible server (filesystem
  # backed): about 6 minutes to build on 2 cores, cached in ~/.cargo/bin afterwards.
  # 0.14.1 is the newest that builds with Rust 1.95 (0.17 needs 1.96); see docs/decisions.md.
  command -v s3s-fs >/dev/null || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs" ] \
    || cargo install --locked s3s-fs --version 0.14.1 --features binary
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

# Starts the machine's PostgreSQL cluster and gives the registry tests a role that may
# create databases (each test makes its own, so they run in parallel).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

start_postgres() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  local version
  version=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    $sudo pg_createcluster "$version" main >/dev/null
  fi
  pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online \
    || $sudo pg_ctlcluster "$version" main start
  as_postgres psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'drydock_test') THEN
    CREATE ROLE drydock_test LOGIN CREATEDB PASSWORD 'drydock_test';
  END IF;
END $$;
SQL
  as_postgres psql -q -tc "SELECT 1 FROM pg_database WHERE datname = 'drydock_test'" | grep -q 1 \
    || as_postgres createdb -O drydock_test drydock_test
  local port
  port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
  export DRYDOCK_TEST_POSTGRES_URL="postgres://drydock_test:drydock_test@127.0.0.1:${port}/drydock_test"
}
start_postgres

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== tests"
cargo nextest run --workspace --no-fail-fast --failure-output final
