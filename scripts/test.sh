#!/usr/bin/env bash
# The project's test command (the README's second command; .ci/run calls it).
# Installs what it needs (scripts/setup.sh test), builds the explorer (trunk, offline), then
# runs: unit + property tests; the integration tests against the real subtensor runtime
# (chopsticks, started and stopped by the tests); the explorer's browser end-to-end test
# (headless chromium); the web-side tests compiled to WebAssembly (wasm-bindgen-test under
# Node); the core's wasm32 build; and the differential test against the real Python SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test

echo "== formatting"
cargo fmt --all -- --check

echo "== the explorer: trunk build (release, offline) into dist/"
trunk build

echo "== unit, property, local-chain integration and browser end-to-end tests"
cargo test --workspace --locked

echo "== web-side tests in WebAssembly (wasm-bindgen-test, Node)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p bt-web --target wasm32-unknown-unknown --locked

echo "== core build for wasm32-unknown-unknown (no_std + alloc)"
cargo build -p bt-core --target wasm32-unknown-unknown --locked

echo "== differential test: validator process-weights vs the Python SDK"
cargo build --release -p bt-subnet-tweets --locked
.venv-sdk/bin/python tests/differential/weights_vs_sdk.py --bin target/release/validator --cases 3000
