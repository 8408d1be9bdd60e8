#!/usr/bin/env bash
# A forward pass to 256 axons (reference miners on loopback, each answering after 100 ms): our
# dendrite against the Python SDK's (bittensor 9.0.0), same axons, same run. Prints wall time,
# requests per CPU-second, peak RSS and the ratios. Usage: scripts/bench-dendrite-vs-sdk.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
count=256
delay_ms=100
scripts/python-env.sh weights
cargo build --release --locked -p bt-subnet-tweets --bin validator --bin miner --example forward_bench
work=$(mktemp -d)
trap 'kill $miner 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/validator wallet create --wallet.path "$work" --wallet.name m --wallet.hotkey h > "$work/made.json"
hotkey=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hotkey"])' "$work/made.json")
base=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(min(s.getsockname()[1], 60000 - 300))')
target/release/miner --wallet.path "$work" --wallet.name m --wallet.hotkey h --axon.ip 127.0.0.1 \
  --axon.port "$base" --axon.port_count $count --blacklist.allow_non_registered --delay-ms $delay_ms \
  --corpus-size 2000 2> "$work/miner.log" &
miner=$!
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$((base + count - 1))) 2>/dev/null && break
  sleep 0.1
done
ours=$(target/release/examples/forward_bench "$hotkey" "$base" $count "$rounds")
sdk=$(.venv-sdk/bin/python tests/interop/dendrite_bench.py "$hotkey" "$base" $count "$rounds")
python3 - "$ours" "$sdk" $delay_ms <<'PY'
import json, sys
ours, sdk, delay = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
print(f"{ours['n']} axons answering after {delay:.0f} ms, {ours['rounds']} rounds each")
print(f"{'':>12} {'ok':>7} {'wall median':>12} {'wall max':>10} {'req/CPU-s':>10} {'peak RSS':>10}")
for name, r in (("ours", ours), ("SDK 9.0.0", sdk)):
    print(f"{name:>12} {r['ok']:>7} {r['median_wall_ms']:>10.1f}ms {r['max_wall_ms']:>8.1f}ms {r['req_per_cpu_s']:>10.0f} {r['peak_rss_kb']/1024:>8.1f}MB")
print(f"ours: wall = slowest miner + {ours['median_wall_ms'] - delay:.1f} ms (median); "
      f"{ours['req_per_cpu_s'] / sdk['req_per_cpu_s']:.1f}x the SDK's requests per CPU-second; "
      f"peak RSS {ours['peak_rss_kb']/1024:.1f} MB")
PY
