#!/usr/bin/env bash
# The main job (the README's first command). Installs what is needed (scripts/setup.sh),
# builds the validator, and runs what exists so far on the example subnet in examples/:
# raw scores -> the u16 weights set_weights would send (checked against the Python SDK),
# then a Yuma epoch over three validators and six miners.
# Then a local chain (the real subtensor runtime under chopsticks) with a bootstrapped subnet,
# four reference miners (two good, one wrong, one slow) and the validator loop, which scores
# them, saves its state and sets weights it reads back; then the state and the metagraph. The
# explorer joins this script when it lands (issue 5).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release -p validator --locked
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

echo "== Yuma epoch (examples/epoch-input.json)"
"$bin" epoch < examples/epoch-input.json | python3 -c '
import json, sys
o = json.load(sys.stdin)
cols = ["stake_weight", "consensus", "incentive", "dividends", "validator_trust", "emission"]
print("uid " + " ".join("%15s" % c for c in cols))
for i in range(len(o["incentive"])):
    print("%3d " % i + " ".join("%15d" % o[c][i] for c in cols))
'

echo "== local chain: the real subtensor runtime (spec 218) under chopsticks, a bootstrapped subnet"
work=target/demo
rm -rf "$work" && mkdir -p "$work"
log=$work/localnet.json
port_base=28091
"$bin" localnet --port 0 --wallets "$work/wallets" --miners 4 --validator-stakes 1000,400 \
  --miner-port-base $port_base > "$log" 2> "$work/localnet.log" &
node=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill -INT $node 2>/dev/null; wait $node 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 180); do
  grep -q '^}' "$log" 2>/dev/null && break
  kill -0 $node 2>/dev/null || { echo "the local chain failed to start: $(tail -5 "$work/localnet.log")" >&2; exit 1; }
  sleep 1
done
cat "$log"
endpoint=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$log")
netuid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["netuid"])' "$log")

echo "== four miners: two good, one wrong, one slow (their axons on 127.0.0.2-5)"
cargo build --release -p validator --bin miner --locked
behaviours=("" "" "--behaviour wrong" "--delay-ms 4000")
for i in 0 1 2 3; do
  # shellcheck disable=SC2086
  target/release/miner --wallet.path "$work/wallets" --wallet.name "miner-$i" --wallet.hotkey default \
    --axon.ip "127.0.0.$((2 + i))" --axon.port $((port_base + i)) \
    --subtensor.chain_endpoint "$endpoint" --netuid "$netuid" ${behaviours[$i]} 2> "$work/miner-$i.log" &
  pids+=($!)
done
sleep 2

echo "== the validator: 8 rounds (query, score, checkpoint, set weights, read them back)"
"$bin" run --subtensor.chain_endpoint "$endpoint" --netuid "$netuid" \
  --wallet.path "$work/wallets" --wallet.name validator-0 --wallet.hotkey default \
  --state.dir "$work/state" --neuron.timeout 2 --neuron.round_interval 0.5 --neuron.max_rounds 8

echo "== its saved state"
"$bin" state inspect --state.dir "$work/state"

echo "== the subnet's metagraph, read from the node (W: the validator's row, good miners first)"
"$bin" metagraph --subtensor.chain_endpoint "$endpoint" --netuid "$netuid"
