#!/usr/bin/env bash
# The project's test command (the README's second command; .ci/run calls it).
#
# Installs what it needs (scripts/setup.sh test), then runs every step below, cheap ones first.
# Every step runs even when an earlier one failed (a step that needs the test build is skipped
# when the build failed); the command ends with a table of each step's time and result and exits
# non-zero if any step failed.
#
#   fmt            cargo fmt --check
#   clippy         cargo clippy -D warnings, the workspace's native targets (all targets)
#   clippy-wasm    cargo clippy -D warnings, the explorer (bt-web, with bt-core and bt-chain's web
#                  side) on wasm32-unknown-unknown, all targets, and bt-core's what-if budget test
#   build          every test, bench and example of the workspace, once (the test profile;
#                  target/test-binaries.json lists them); the later steps run these binaries
#   doctests       the doc examples built and run
#   unit           unit and property tests, and every benchmark run once (criterion's test mode)
#   wasm           the explorer's view models and URL handling in WebAssembly (wasm-bindgen-test
#                  under Node); this also builds bt-core for wasm32
#   wasm-budget    the what-if budget: a two-mechanism what-if at 256 uids within one frame
#                  (16 ms, median of 10 edits), printed beside the one-mechanism figure, bt-core
#                  built as the page's wasm is (profile wasm-release) and run in headless chromium
#                  (core/tests/whatif_budget.rs)
#   differential   the weight pipeline against the Python SDK (3000 cases), with the validator
#                  binary of the test build
#   fuzz           every cargo-fuzz target built in the dev profile and run for 5 s
#                  (scripts/fuzz.sh smoke; the long runs with AddressSanitizer are by hand)
#   explorer       the explorer built by trunk (release, offline) into dist/, for its browser test
#   integration    the tests against the real components: the subtensor runtime under chopsticks
#                  (each test starts its own node, most from a bootstrapped snapshot saved once
#                  per run), the Python SDKs 9.0.0, 10.2.0 and 11.3.0, headless chromium: two
#                  chain-heavy binaries at a time, and beside them the long ones that mostly
#                  wait (SIGKILLs at random moments, a node killed and restarted, hostile miners)
set -uo pipefail
cd "$(dirname "$0")/.."
# One build from scratch: incremental caches would only double target/ on disk.
export CARGO_INCREMENTAL=0
# The chain tests' bootstrapped snapshots: made afresh by each run, shared by its tests.
export BT_SNAPSHOT_DIR="$PWD/target/localnet-snapshots"
rm -rf "$BT_SNAPSHOT_DIR"
mkdir -p target

started=$(date +%s)
names=()
declare -A result seconds
free_disk() { df -h --output=avail . | tail -1 | tr -d ' '; }

# step NAME NEEDS COMMAND...: runs COMMAND as step NAME, unless step NEEDS (if given) did not
# pass; records its time and result.
step() {
  local name=$1 needs=$2
  shift 2
  names+=("$name")
  if [ -n "$needs" ] && [ "${result[$needs]:-}" != ok ]; then
    result[$name]="skipped ($needs failed)"
    seconds[$name]=0
    echo "== $name: skipped, because $needs did not pass"
    return
  fi
  echo "== $name ($(($(date +%s) - started)) s in, $(free_disk) free)"
  local t0
  t0=$(date +%s)
  if "$@"; then result[$name]=ok; else result[$name]=FAILED; fi
  seconds[$name]=$(($(date +%s) - t0))
}

table() {
  echo
  echo "== test command: $(($(date +%s) - started)) s in all, $(free_disk) free at the end"
  printf '%-14s %8s  %s\n' step seconds result
  local name failed=0
  for name in "${names[@]}"; do
    printf '%-14s %8s  %s\n' "$name" "${seconds[$name]}" "${result[$name]}"
    [ "${result[$name]}" = ok ] || failed=1
  done
  return $failed
}

tests_json=target/test-binaries.json

build_tests() {
  cargo test --workspace --all-targets --locked --no-run --message-format=json > "$tests_json.tmp" \
    && mv "$tests_json.tmp" "$tests_json"
}

wasm_tests() {
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p bt-web --target wasm32-unknown-unknown --locked
}

clippy_wasm() {
  cargo clippy -p bt-web --target wasm32-unknown-unknown --all-targets --locked -- -D warnings \
    && cargo clippy -p bt-core --target wasm32-unknown-unknown --test whatif_budget --locked -- -D warnings
}

# wasm-bindgen-test-runner drives chromium through chromedriver; as root chromium needs
# --no-sandbox, which the capabilities below pass.
wasm_budget() {
  local caps=target/webdriver-caps.json
  echo '{"goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage"]}}' > "$caps"
  CHROMEDRIVER=$(command -v chromedriver) WASM_BINDGEN_TEST_WEBDRIVER_JSON="$caps" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --locked --profile wasm-release -p bt-core --target wasm32-unknown-unknown \
      --test whatif_budget -- --nocapture
}

differential() {
  local validator
  validator=$(python3 scripts/run_tests.py "$tests_json" --exe validator) || return 1
  .venv-sdk/bin/python tests/differential/weights_vs_sdk.py --bin "$validator" --cases 3000
}

step setup "" scripts/setup.sh test
if [ "${result[setup]}" != ok ]; then
  echo "the set-up failed: nothing can be tested"
  table
  exit 1
fi
step fmt "" cargo fmt --all -- --check
step clippy "" cargo clippy --workspace --all-targets --locked -- -D warnings
step clippy-wasm "" clippy_wasm
step build "" build_tests
step doctests "" cargo test --workspace --doc --locked
step unit build python3 scripts/run_tests.py "$tests_json" unit
step wasm "" wasm_tests
step wasm-budget "" wasm_budget
step differential build differential
step fuzz "" scripts/fuzz.sh smoke
step explorer "" trunk build
step integration build python3 scripts/run_tests.py "$tests_json" integration --jobs 2
table
