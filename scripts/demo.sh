#!/usr/bin/env bash
# The main job (the README's first command). Installs what it needs, builds the validator
# and the reference miner, runs the whole system, and builds the explorer while it runs;
# until Ctrl-C:
#   - raw scores -> u16 weights, checked against the Python SDK; a Yuma epoch on an example;
#   - a local chain (the real subtensor runtime, spec 425, vendored in chain/specs/, under
#     chopsticks; $BT_CHAIN_SPEC=385 or a path picks another) building a block every 2 s,
#     with a bootstrapped subnet;
#   - six reference miners of mixed quality (two good, one slow, one wrong, one sending
#     duplicates, one answering 500) plus one registered but down, and two validators
#     (`validator run`) that score them, checkpoint, set weights and read them back;
#   - then, while the validators already report "match", the explorer's tools are installed
#     and the explorer is built (dist/) and served on 127.0.0.1:${BT_DEMO_WEB_PORT:-8080}.
# Ctrl-C stops everything (validators save their state first).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scripts/setup.sh chain
cargo build --release -p bt-subnet-tweets --locked
bin=target/release/validator

echo "== scores -> weights (examples/weights-request.json)"
"$bin" process-weights < examples/weights-request.json | tee target/demo-weights.json

echo "== the same scores through the Python SDK"
.venv-sdk/bin/python - examples/weights-request.json <<'PY'
import json, logging, sys
import numpy as np
logging.disable(logging.CRITICAL)
from bittensor.utils import weight_utils
req = json.load(open(sys.argv[1]))
class Chain:
    n = req["n"]
    def min_allowed_weights(self, netuid): return req["min_allowed_weights"]
    def max_weight_limit(self, netuid): return req["max_weight_limit"]
c = Chain()
w = np.array([float(x) if not isinstance(x, str) else float(x.replace("Infinity", "inf")) for x in req["weights"]], dtype=np.float32)
u, v = weight_utils.process_weights_for_netuid(np.array(req["uids"], dtype=np.int64), w, 1, c, c, req["exclude_quantile"])
uids, vals = weight_utils.convert_weights_and_uids_for_emit(u, v)
ours = json.load(open("target/demo-weights.json"))
print(json.dumps({"uids": uids, "weights_u16": vals}))
print("identical to ours" if ours == {"uids": uids, "weights_u16": vals} else "DIFFERENT from ours")
PY

echo "== Yuma epoch of today's runtime (examples/epoch-input.json: two mechanisms)"
"$bin" epoch < examples/epoch-input.json | python3 -c '
import json, sys
o = json.load(sys.stdin)
cols = ["stake_weight", "consensus", "dividends", "validator_trust", "emission"]
mechs = len(o["mechanisms"])
print("uid " + " ".join("%15s" % c for c in cols) + "".join("%15s" % ("incentive[%d]" % m) for m in range(mechs)))
for i in range(len(o["consensus"])):
    print("%3d " % i + " ".join("%15d" % o[c][i] for c in cols)
          + "".join("%15d" % o["mechanisms"][m]["incentive"][i] for m in range(mechs)))
'

echo "== local chain: the real subtensor runtime (spec ${BT_CHAIN_SPEC:-425}) under chopsticks, a bootstrapped subnet"
work=target/demo
rm -rf "$work" && mkdir -p "$work"
log=$work/localnet.json
port_base=${BT_DEMO_MINER_PORT:-28091}
web_port=${BT_DEMO_WEB_PORT:-8080}
"$bin" localnet --port 0 --wallets "$work/wallets" --miners 7 --validator-stakes 1000,400 \
  --tempo 10 --block-time 2 --miner-port-base "$port_base" > "$log" 2> "$work/localnet.log" &
node=$!
pids=()
followers=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${followers[@]}"; do kill "$p" 2>/dev/null || true; done
  echo
  echo "== stopping: validators (they save their state), miners, explorer, chain"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  kill -INT $node 2>/dev/null; wait $node 2>/dev/null || true
  echo "stopped; logs and the validators' state are in $work/"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 180); do
  grep -q '^}' "$log" 2>/dev/null && break
  kill -0 $node 2>/dev/null || { echo "the local chain failed to start: $(tail -5 "$work/localnet.log")" >&2; exit 1; }
  sleep 1
done
endpoint=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$log")
netuid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["netuid"])' "$log")
python3 - "$log" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"subnet {d['netuid']} at {d['endpoint']}")
for v in d["validators"]:
    print(f"  validator uid {v['uid']}  {v['hotkey']}  stake {v['alpha_stake'] / 1e9:.0f}")
for m in d["miners"]:
    print(f"  miner     uid {m['uid']}  {m['hotkey']}  axon {m['axon']}")
PY

echo "== six miners: good, good, slow, wrong, duplicates, error 500; a seventh is registered but down"
behaviours=("" "" "--delay-ms 4000" "--behaviour wrong" "--behaviour duplicates" "--behaviour error500")
for i in 0 1 2 3 4 5; do
  # shellcheck disable=SC2086
  target/release/miner --wallet.path "$work/wallets" --wallet.name "miner-$i" --wallet.hotkey default \
    --axon.ip "127.0.0.$((2 + i))" --axon.port $((port_base + i)) \
    --subtensor.chain_endpoint "$endpoint" --netuid "$netuid" ${behaviours[$i]} 2> "$work/miner-$i.log" &
  pids+=($!)
done

echo "== two validators (validator run): query, score, checkpoint, set weights, read them back"
# Each serves its live status (GET /status on loopback) for the explorer's "My validator".
status_port=${BT_DEMO_STATUS_PORT:-9200}
for i in 0 1; do
  "$bin" run --subtensor.chain_endpoint "$endpoint" --netuid "$netuid" \
    --wallet.path "$work/wallets" --wallet.name "validator-$i" --wallet.hotkey default \
    --state.dir "$work/state-$i" --neuron.timeout 2 --neuron.round_interval 4 \
    --status.port $((status_port + i)) \
    2> "$work/validator-$i.log" &
  pids+=($!)
done

for i in 0 1; do
  tail -n +1 -F "$work/validator-$i.log" 2>/dev/null > >(grep --line-buffered -E "round scored|verified|mismatch|ERROR|WARN" \
    | sed -u -E "s/^[0-9T:.Z-]+ +([A-Z]+) [a-z_:]+: /validator-$i \1 /") &
  followers+=($!)
done
echo "   (system up $(( $(date +%s) - started )) s after start; the validators' lines follow)"

echo "== the explorer's tools and build (the first run installs trunk and wasm-bindgen-cli: the long part)"
explorer_started=$(date +%s)
if ! { scripts/setup.sh explorer && trunk build; } > "$work/explorer-build.log" 2>&1; then
  echo "the explorer failed to build: $(tail -5 "$work/explorer-build.log")" >&2
  exit 1
fi
echo "   (explorer built in $(( $(date +%s) - explorer_started )) s; $(( $(date +%s) - started )) s after start)"
python3 -m http.server --bind 127.0.0.1 --directory dist "$web_port" > "$work/explorer.log" 2>&1 &
pids+=($!)
url=$(python3 -c 'import sys, urllib.parse as u; print(f"http://127.0.0.1:{sys.argv[1]}/?" + u.urlencode({"endpoint": sys.argv[2], "netuid": sys.argv[3], "status": f"http://127.0.0.1:{sys.argv[4]}/status"}))' "$web_port" "$endpoint" "$netuid" "$status_port")
uids=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(str(m["uid"]) for m in d["miners"]))' "$log")
cat <<MSG

  Explorer: $url

  What to look at:
  - the block indicator (top right) ticks every 2 s;
  - the W heatmap: two rows (the validators), the good miners (uids ${uids%% *} and the next)
    darkest, the slow, wrong, duplicating, failing and down miners pale;
  - the table: after an epoch (every 10 blocks) the chain's consensus and incentive follow
    quality, and the what-if recomputes them in the page with bt-core in WebAssembly: the
    core's columns equal the chain's;
  - "My validator" shows validator-0's own status (http://127.0.0.1:$status_port/status;
    validator-1's is on port $((status_port + 1))): its scores and weights against its row of
    W, and its commit-reveal timeline: commit, the drand round the chain stores, the pulse,
    revealed, read back;
  - the prune column and the health panel: the order in which a full subnet replaces uids;
  - "Find a key": paste a hotkey or coldkey to list its uids on every subnet;
  - here, each validator's log lines: "weights verified on chain: match".
  Ctrl-C stops everything.

MSG
wait "${pids[0]}"
