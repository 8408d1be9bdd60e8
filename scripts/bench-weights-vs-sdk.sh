#!/usr/bin/env bash
# Times the weight pipeline in Rust (criterion) and in the Python SDK on the same inputs, in
# the same run, and prints the ratio. Usage: scripts/bench-weights-vs-sdk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/python-env.sh
cargo bench -p bt-core --bench weights -- --noplot
.venv-sdk/bin/python scripts/bench_weights_sdk.py target/bench-weights-inputs.json target/criterion/weight_pipeline
