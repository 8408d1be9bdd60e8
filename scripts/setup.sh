#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with rustup, Python 3 and Node.
# Idempotent: each step is skipped when already done.
#
#   scripts/setup.sh demo   what the demo needs: the wasm32 Rust target, trunk and
#                           wasm-bindgen-cli (cargo install --locked, pinned), the crates
#                           (fetched so that trunk's offline build needs no network),
#                           chopsticks from package-lock.json, and the weights-oracle venv
#   scripts/setup.sh test   all that, plus the other pinned Python SDK venvs and Debian's
#                           chromium + chromium-driver for the explorer's browser test
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in demo|test) ;; *) echo "usage: scripts/setup.sh [demo|test]" >&2; exit 2 ;; esac

# Pinned tools. wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock (web/Cargo.toml
# pins it exactly; Trunk.toml names it too).
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.129

echo "== rust target wasm32-unknown-unknown"
rustup target add wasm32-unknown-unknown

install_tool() { # binary crate version [cargo install flags…]
  local bin=$1 crate=$2 version=$3
  shift 3
  if "$bin" --version 2>/dev/null | grep -qw "$version"; then
    return
  fi
  echo "== cargo install --locked $crate@$version"
  cargo install --locked "$crate@$version" "$@"
}
# trunk without its update check: nothing reaches out at build time.
install_tool trunk trunk "$TRUNK_VERSION" --no-default-features --features rustls
install_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"

echo "== crates (cargo fetch --locked; trunk builds offline)"
cargo fetch --locked

echo "== chopsticks (node_modules, from package-lock.json)"
if [ ! -x node_modules/.bin/chopsticks ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== python SDK venv .venv-sdk (bittensor 9.0.0: the weights oracle and wire peer)"
scripts/python-env.sh weights

if [ "$mode" = test ]; then
  echo "== python SDK venvs .venv-sdk-chain (8.5.1rc10: reads the local chain), .venv-sdk-current (10.2.0: Synapse peer) and .venv-sdk-11 (11.3.0: btauth/1 peer)"
  scripts/python-env.sh chain
  scripts/python-env.sh current
  scripts/python-env.sh sdk11

  echo "== chromium and chromedriver (Debian packages) for the explorer's browser test"
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
  fi
fi
