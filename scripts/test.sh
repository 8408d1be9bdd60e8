#!/usr/bin/env bash
# The project's test command (the README's second command; .ci/run calls it).
# Installs what it needs (scripts/setup.sh), then runs: unit + property tests, the core's
# WebAssembly build, and the differential test against the real Python SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== formatting"
cargo fmt --all -- --check

echo "== unit and property tests"
cargo test --workspace --locked

echo "== core builds for wasm32-unknown-unknown"
cargo build -p bt-core --target wasm32-unknown-unknown --locked

echo "== differential test: validator process-weights vs the Python SDK"
cargo build --release -p validator --locked
.venv-sdk/bin/python tests/differential/weights_vs_sdk.py --bin target/release/validator --cases 3000
