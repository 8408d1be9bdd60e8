#!/usr/bin/env bash
# The epoch (spec 425 rules, 64 validators weighting every uid) at 256, 1024 and 4096 uids,
# Yuma2, Yuma3 with liquid alpha, and Yuma3 with two mechanisms: natively (criterion, one
# core) and in WebAssembly in headless chromium (web/tests/epoch_speed.rs, the same subnets),
# in one run; prints both and the wasm / native ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
cargo bench --locked -p bt-core --bench epoch -- --noplot 2>&1 | tee target/bench-epoch-native.log \
  | grep -E "^epoch_|time:" || true

# wasm-bindgen-test-runner drives chromium through chromedriver; as root chromium needs
# --no-sandbox, which the capabilities below pass.
caps=$(mktemp)
trap 'rm -f "$caps"' EXIT
echo '{"goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage"]}}' > "$caps"
CHROMEDRIVER=$(command -v chromedriver) WASM_BINDGEN_TEST_WEBDRIVER_JSON="$caps" \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked --release -p bt-web --target wasm32-unknown-unknown --test epoch_speed -- --nocapture \
  2>&1 | tee target/bench-epoch-wasm.log | grep EPOCH_WASM || true

python3 - <<'PY'
import re
native, wasm = {}, {}
name = None
for line in open("target/bench-epoch-native.log"):
    m = re.match(r"^(epoch_\S+/\d+)", line)
    if m:
        name = m.group(1)
    t = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+)", line)
    if t and name:
        v, unit = float(t.group(1)), t.group(2)
        native[name] = v * {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
        name = None
for line in open("target/bench-epoch-wasm.log"):
    m = re.search(r"EPOCH_WASM (\S+) median ([\d.]+) ms", line)
    if m:
        wasm[m.group(1)] = float(m.group(2))
if not native or not wasm:
    raise SystemExit("missing figures: see target/bench-epoch-native.log and target/bench-epoch-wasm.log")
print(f"{'epoch':<36} {'native':>10} {'wasm (chromium)':>16} {'ratio':>7}")
for k in native:
    w = wasm.get(k)
    print(f"{k:<36} {native[k]:>8.2f} ms {w if w is not None else float('nan'):>13.2f} ms {(w / native[k]) if w else float('nan'):>6.2f}x")
PY
