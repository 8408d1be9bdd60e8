#!/usr/bin/env bash
# Metagraph sync of a 256-uid subnet: ours (bt-chain) against the Python SDK's
# `metagraph(netuid, lite=False)` (bittensor 8.5.1rc10), on the same local node, same state,
# same run. Prints both medians and the ratio. Usage: scripts/bench-metagraph-vs-sdk.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
scripts/python-env.sh chain
[ -x node_modules/.bin/chopsticks ] || npm ci --no-audit --no-fund --loglevel=error
cargo build --release --locked -p bt-subnet-tweets -p bt-chain --example sync_timing

json=$(mktemp)
target/release/validator localnet --port 0 --miners 253 --validator-stakes 1000,400 > "$json" 2>/dev/null &
node=$!
trap 'kill -INT $node 2>/dev/null; wait $node 2>/dev/null || true; rm -f "$json"' EXIT
for _ in $(seq 1 300); do
  grep -q '^}' "$json" 2>/dev/null && break
  kill -0 $node 2>/dev/null || { echo "the local chain failed to start" >&2; exit 1; }
  sleep 1
done
endpoint=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$json")
netuid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["netuid"])' "$json")
weights() {  # URI:uid=w,...: every miner, weights cycling 1..7
  python3 - "$json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = d["validators"][int(sys.argv[2])]["uri"]
print(v + ":" + ",".join("%d=%d" % (m["uid"], 1 + i % 7) for i, m in enumerate(d["miners"])))
PY
}
echo "== 256-uid subnet $netuid at $endpoint; both validators weight all 253 miners (set through the SDK)"
sdk=$(.venv-sdk-chain/bin/python tests/interop/sdk_metagraph.py "$endpoint" "$netuid" \
  --set-weights "$(weights 0)" --set-weights "$(weights 1)" --time "$runs")
ours=$(target/release/examples/sync_timing "$endpoint" "$netuid" "$runs")
python3 - "$sdk" "$ours" <<'PY'
import json, sys
sdk, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert sdk["n"] == ours["n"], (sdk, ours)
print(f"{'':>26} {'median':>10} {'min':>10}")
print(f"{'SDK metagraph(lite=False)':>26} {sdk['median_ms']:>8.1f}ms {sdk['min_ms']:>8.1f}ms")
print(f"{'ours (bt-chain sync)':>26} {ours['median_ms']:>8.1f}ms {ours['min_ms']:>8.1f}ms")
print(f"n = {ours['n']}, {ours['runs']} runs each: ours is {sdk['median_ms'] / ours['median_ms']:.1f}x faster (median)")
PY
