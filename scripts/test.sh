#!/usr/bin/env bash
# The project's test command (the README's second command; .ci/run calls it).
# Installs what it needs (scripts/setup.sh), then runs: unit + property tests, the
# integration tests against the real subtensor runtime (chopsticks, started and stopped by
# the tests), the WebAssembly builds of core and chain, and the differential test against
# the real Python SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== formatting"
cargo fmt --all -- --check

echo "== unit, property and local-chain integration tests"
cargo test --workspace --locked

echo "== core and chain (web feature) build for wasm32-unknown-unknown"
cargo build -p bt-core --target wasm32-unknown-unknown --locked
cargo build -p bt-chain --no-default-features --features web --target wasm32-unknown-unknown --locked

echo "== differential test: validator process-weights vs the Python SDK"
cargo build --release -p validator --locked
.venv-sdk/bin/python tests/differential/weights_vs_sdk.py --bin target/release/validator --cases 3000
