#!/usr/bin/env bash
# btauth/1 verification throughput per CPU-second: ours (the server layer's path: headers from
# an HTTP header map, the five checks, the replay store) against the Python SDK 11.3.0's
# `http_auth.verify` on the same 2,000 SDK-signed requests, in one run; and against the bare
# sr25519 check of the same payloads (ours; the SDK's bittensor_core.verify for reference).
# Target: our verify costs ≤ 1.2× the bare signature check.
# Usage: scripts/bench-btauth-vs-sdk.sh [REQUESTS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
rounds=${2:-5}
scripts/python-env.sh next
cargo build --release --locked -p bt-wire --example btauth_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv-sdk-11/bin/python tests/interop/btauth_bench.py gen "$n" "$work/requests.json"
ours=$(target/release/examples/btauth_bench "$work/requests.json" "$rounds")
sdk=$(.venv-sdk-11/bin/python tests/interop/btauth_bench.py run "$work/requests.json" "$rounds")
python3 - "$ours" "$sdk" <<'PY'
import json, sys
ours, sdk = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{ours['n']} SDK-signed sr25519 requests, best of {ours['rounds']} rounds, one core")
print(f"{'':>28} {'per CPU-s':>10} {'µs each':>9}")
for name, r, k in (("ours: verify", ours, "verify"), ("ours: bare sr25519 check", ours, "bare"),
                   ("SDK 11.3.0: verify", sdk, "verify"), ("SDK: bittensor_core.verify", sdk, "bare")):
    print(f"{name:>28} {r[k + '_per_cpu_s']:>10.0f} {r[k + '_us']:>9.2f}")
print(f"ours / SDK verify: {ours['verify_per_cpu_s'] / sdk['verify_per_cpu_s']:.2f}x the requests per CPU-second")
ratio = ours['verify_us'] / ours['bare_us']
print(f"our verify / bare sr25519 check: {ratio:.3f}x the cost (target <= 1.2x): {'met' if ratio <= 1.2 else 'MISSED'}")
PY
