#!/usr/bin/env bash
# Fuzzes the shared core and the parsers (state file, synapse bodies and headers, btauth/1)
# with cargo-fuzz (libFuzzer): no input may make them panic.
# Usage: scripts/fuzz.sh [process_weights|epoch|state_decode|synapse_parse|btauth_verify|all] [seconds per target, default 60]
# The project's toolchain is stable; cargo-fuzz needs -Z flags, which RUSTC_BOOTSTRAP=1 unlocks.
# FUZZ_SANITIZER=none builds without AddressSanitizer (faster to build; panics still fail).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-all}"
seconds="${2:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz@0.13.1
fi
targets=(process_weights epoch state_decode synapse_parse btauth_verify)
[ "$target" = all ] || targets=("$target")
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz --sanitizer "${FUZZ_SANITIZER:-address}" "$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096
done
