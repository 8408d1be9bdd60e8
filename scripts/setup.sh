#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with rustup, Python 3 and Node.
# Idempotent: each step is skipped when already done.
#
#   scripts/setup.sh chain      what the local system needs: the crates (cargo fetch
#                               --locked), chopsticks from package-lock.json, and the
#                               weights-oracle venv (bittensor 9.0.0)
#   scripts/setup.sh explorer   what building the explorer needs: the wasm32 Rust target and
#                               trunk + wasm-bindgen-cli (cargo install --locked, pinned; the
#                               slow part of a first run)
#   scripts/setup.sh demo       chain + explorer
#   scripts/setup.sh fuzz       cargo-fuzz (cargo install --locked, pinned)
#   scripts/setup.sh test       demo, plus the other pinned Python SDK venvs (10.2.0, 11.3.0),
#                               cargo-fuzz, and Debian's chromium + chromium-driver for the
#                               browser tests; the downloads (npm, the venvs, Debian's
#                               packages) run beside the cargo installs, which use the CPU
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in chain|explorer|demo|fuzz|test) ;; *) echo "usage: scripts/setup.sh [chain|explorer|demo|fuzz|test]" >&2; exit 2 ;; esac

# Pinned tools. wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock (web/Cargo.toml
# pins it exactly; Trunk.toml names it too).
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.129
CARGO_FUZZ_VERSION=0.13.1

chain() {
  echo "== crates (cargo fetch --locked; trunk builds offline)"
  cargo fetch --locked

  npm_packages
  echo "== python SDK venv .venv-sdk (bittensor 9.0.0: the weights oracle and v9 wire peer)"
  scripts/python-env.sh weights
}

install_tool() { # "command that prints its version" crate version [cargo install flags…]
  local check=$1 crate=$2 version=$3
  shift 3
  if $check 2>/dev/null | grep -qw "$version"; then
    return
  fi
  echo "== cargo install --locked $crate@$version"
  cargo install --locked "$crate@$version" "$@"
}

fuzzer() {
  install_tool "cargo fuzz --version" cargo-fuzz "$CARGO_FUZZ_VERSION"
}

explorer() {
  echo "== rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
  # trunk without its update check: nothing reaches out at build time.
  install_tool "trunk --version" trunk "$TRUNK_VERSION" --no-default-features --features rustls
  install_tool "wasm-bindgen --version" wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
}

browser() {
  echo "== chromium and chromedriver (the explorer's browser test), faketime (the SDK's drand clock pinned to a signed quicknet round)"
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
    || ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver faketime
  fi
}

venvs() {
  echo "== python SDK venv .venv-sdk (bittensor 9.0.0: the weights oracle and v9 wire peer)"
  scripts/python-env.sh weights
  echo "== python SDK venv .venv-sdk-current (10.2.0: the local chain's reader and writer, wire peer)"
  scripts/python-env.sh current
  echo "== python SDK venv .venv-sdk-11 (11.3.0, the newest: reads the local chain; btauth/1 peer)"
  scripts/python-env.sh next
}

npm_packages() {
  echo "== chopsticks (node_modules, from package-lock.json)"
  if [ ! -x node_modules/.bin/chopsticks ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# Runs each named function in the background with its output in target/setup-<name>.log;
# waits for all, prints the log of each that failed, and fails if any did.
beside() {
  mkdir -p target
  local name pids=() failed=0
  for name in "$@"; do
    ( "$name" ) > "target/setup-$name.log" 2>&1 &
    pids+=("$!")
  done
  local i=0
  for name in "$@"; do
    if wait "${pids[$i]}"; then
      echo "== $name: done"
    else
      echo "== $name FAILED; its log:" >&2
      cat "target/setup-$name.log" >&2
      failed=1
    fi
    i=$((i + 1))
  done
  return $failed
}

case "$mode" in
  chain) chain ;;
  explorer) explorer ;;
  demo) chain; explorer ;;
  fuzz) fuzzer ;;
  test)
    # The downloads go on beside the compiles: npm, the three venvs and Debian's packages
    # wait on the network, the cargo installs on the CPU.
    beside npm_packages venvs browser &
    downloads=$!
    echo "== crates (cargo fetch --locked; trunk builds offline)"
    cargo fetch --locked
    explorer
    fuzzer
    wait "$downloads"
    ;;
esac
