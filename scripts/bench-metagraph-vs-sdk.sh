#!/usr/bin/env bash
# Metagraph sync of a 256-uid subnet on the local spec-425 chain: ours (bt-chain, every
# mechanism, W and B included) against the Python SDKs on the same node, same state, same run:
# bittensor 10.2.0's `metagraph(netuid, lite=False)` and 11.3.0's `subnets.metagraph` plus
# `weights.weights`. Prints the medians and the ratios.
# Usage: scripts/bench-metagraph-vs-sdk.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
scripts/python-env.sh current
scripts/python-env.sh next
[ -x node_modules/.bin/chopsticks ] || npm ci --no-audit --no-fund --loglevel=error
# Two builds: naming an example makes cargo build only that target.
cargo build --release --locked -p bt-subnet-tweets --bins
cargo build --release --locked -p bt-chain --example sync_timing

json=$(mktemp)
# Commit-reveal off: the SDK sets the weights directly, as the reading side needs nothing else.
# 253 burned registrations raise the pool's price: 1000 and 400 TAO buy about 1.5 and 0.6 α,
# so the stake threshold comes down to 0.1 α for both validators to set weights.
target/release/validator localnet --port 0 --miners 253 --validator-stakes 1000,400 \
  --commit-reveal off --stake-threshold 0.1 > "$json" 2>/dev/null &
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
sdk10=$(.venv-sdk-current/bin/python tests/interop/sdk_metagraph.py "$endpoint" "$netuid" \
  --set-weights "$(weights 0)" --set-weights "$(weights 1)" --time "$runs")
sdk11=$(.venv-sdk-11/bin/python tests/interop/sdk_metagraph.py "$endpoint" "$netuid" --time "$runs")
ours=$(target/release/examples/sync_timing "$endpoint" "$netuid" "$runs")
python3 - "$sdk10" "$sdk11" "$ours" <<'PY'
import json, sys
sdk10, sdk11, ours = (json.loads(a) for a in sys.argv[1:4])
assert sdk10["n"] == ours["n"] == sdk11["n"], (sdk10, sdk11, ours)
print(f"{'':>44} {'median':>10} {'min':>10}")
for name, r in [("SDK 10.2.0 metagraph(lite=False)", sdk10),
                ("SDK 11.3.0 subnets.metagraph + weights", sdk11),
                ("ours (bt-chain sync, every mechanism)", ours)]:
    print(f"{name:>44} {r['median_ms']:>8.1f}ms {r['min_ms']:>8.1f}ms")
print(f"n = {ours['n']}, {ours['runs']} runs each: ours is "
      f"{sdk10['median_ms'] / ours['median_ms']:.1f}x SDK 10.2.0 and "
      f"{sdk11['median_ms'] / ours['median_ms']:.1f}x SDK 11.3.0 (median)")
print(f"one SubnetInfoRuntimeApi.get_subnet_state call alone: {ours['runtime_api_median_ms']:.1f}ms "
      "(chopsticks executes the runtime in wasm per call; both SDKs read through such calls, ours reads storage only)")
PY
