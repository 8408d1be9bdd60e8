#!/usr/bin/env bash
# The project's test command (the README's second command; .ci/run calls it).
# Installs what it needs (scripts/setup.sh test), then, in order:
#   1. formatting (cargo fmt --check) and lints (cargo clippy --all-targets -D warnings);
#   2. the explorer built by trunk (release, offline) into dist/;
#   3. every test binary of the workspace (scripts/run_tests.py): unit and property tests,
#      then the integration tests, two binaries at a time (each runs two tests at once: at most
#      four local chains share the two cores), against the real components (the subtensor
#      runtime under chopsticks, started and stopped by each test; the Python SDKs 9.0.0, 10.2.0
#      and 11.3.0; headless chromium for the explorer), then the timing-sensitive ones alone;
#   4. the web-side tests compiled to WebAssembly (wasm-bindgen-test under Node) and the core's
#      wasm32 build;
#   5. the differential test of the weight pipeline against the Python SDK (3000 cases);
#   6. the benches built and each benchmark run once (`cargo test --benches`: criterion's test
#      mode, in the test profile; the timed runs are `cargo bench`, by hand), and every cargo-fuzz
#      target built and run for 5 seconds (scripts/fuzz.sh all 5; the long runs are by hand, see
#      RELIABILITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# One build from scratch: incremental caches would only double target/ on disk.
export CARGO_INCREMENTAL=0
started=$(date +%s)
# Each step says when it starts and how much disk is left (a full disk failed CI once).
step() { echo "== $1 ($(( $(date +%s) - started )) s, $(df -h --output=avail . | tail -1 | tr -d ' ') free)"; }

scripts/setup.sh test

step "formatting"
cargo fmt --all -- --check

step "lints: cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the explorer: trunk build (release, offline) into dist/"
trunk build

step "building every test"
mkdir -p target
cargo test --workspace --locked --no-run --message-format=json > target/test-binaries.json

step "unit, property, local-chain integration and browser end-to-end tests"
python3 scripts/run_tests.py target/test-binaries.json --jobs 2

step "web-side tests in WebAssembly (wasm-bindgen-test, Node)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p bt-web --target wasm32-unknown-unknown --locked

step "core build for wasm32-unknown-unknown (no_std + alloc)"
cargo build -p bt-core --target wasm32-unknown-unknown --locked

step "differential test: validator process-weights vs the Python SDK"
cargo build -p bt-subnet-tweets --bin validator --locked
.venv-sdk/bin/python tests/differential/weights_vs_sdk.py --bin target/debug/validator --cases 3000

step "benches built and each run once (criterion's test mode, in the test profile)"
cargo test --benches --locked -p bt-core -p bt-wire

step "fuzz targets build and run briefly (scripts/fuzz.sh all 5, without AddressSanitizer)"
FUZZ_SANITIZER=none scripts/fuzz.sh all 5

step "all passed"
