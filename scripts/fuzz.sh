#!/usr/bin/env bash
# Fuzzes the shared core and the parsers (state file, synapse bodies and headers, btauth/1)
# with cargo-fuzz (libFuzzer): no input may make them panic.
# Usage:
#   scripts/fuzz.sh [process_weights|epoch|state_decode|synapse_parse|btauth_verify|all] [seconds per target, default 60]
#       the long runs, by hand: release build with AddressSanitizer (FUZZ_SANITIZER=none builds
#       without it: faster to build; panics still fail)
#   scripts/fuzz.sh smoke
#       the test command's check: every target built once in the dev profile (no optimisation,
#       no sanitizer, the coverage instrumentation only) and run for 5 s each
# The project's toolchain is stable; cargo-fuzz needs -Z flags, which RUSTC_BOOTSTRAP=1 unlocks.
# cargo-fuzz itself comes from scripts/setup.sh (pinned there; `setup.sh test` installs it too).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh fuzz
targets=(process_weights epoch state_decode synapse_parse btauth_verify)
export RUSTC_BOOTSTRAP=1

if [ "${1:-}" = smoke ]; then
  cargo fuzz build --fuzz-dir fuzz --dev --sanitizer none
  for t in "${targets[@]}"; do
    echo "== fuzzing $t for 5 s (dev build)"
    cargo fuzz run --fuzz-dir fuzz --dev --sanitizer none "$t" -- -max_total_time=5 -rss_limit_mb=4096
  done
  exit 0
fi

target="${1:-all}"
seconds="${2:-60}"
[ "$target" = all ] || targets=("$target")
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${seconds}s"
  cargo fuzz run --fuzz-dir fuzz --sanitizer "${FUZZ_SANITIZER:-address}" "$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096
done
