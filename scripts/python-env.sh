#!/usr/bin/env bash
# Creates the Python SDK venvs the project uses, each pinned with every dependency in a lock:
#   scripts/python-env.sh          .venv-sdk        bittensor 9.0.0   (scripts/requirements-sdk.lock)
#                                  the oracle for weight processing and the interop peer
#   scripts/python-env.sh chain    .venv-sdk-chain  bittensor 8.5.1rc10 (scripts/requirements-sdk-chain.lock)
#                                  the SDK release that reads the spec-218 local chain's metagraph
#   scripts/python-env.sh current  .venv-sdk-current bittensor 10.2.0 (scripts/requirements-sdk-current.lock)
#                                  the last SDK with Axon/Dendrite, as a wire peer (its axon)
#   scripts/python-env.sh sdk11    .venv-sdk-11     bittensor 11.3.0 (scripts/requirements-sdk-11.lock)
#                                  the newest SDK: btauth/1 (`bittensor.http_auth`) as the peer of
#                                  the btauth interop tests and benchmark
# Idempotent: skips the install when the lock has not changed since last time.
#
# Why these pins: bittensor 9.0.0 was released alongside the spec-218 runtime; its default
# async-substrate-interface 2.x ships `cyscale`, which clashes with `scalecodec`; 1.6.4 does
# not. But 9.0.0 cannot read this runtime's metagraph (its runtime APIs return opaque bytes
# and 9.0.0 has no decoder for get_subnet_state); the 8.5.1rc dynamic-TAO pre-releases decode
# them (bt-decode 0.4.0) and send state_call data with the 0x prefix chopsticks requires.
# Their weight_utils has the same code as 9.0.0's (identical syntax trees). To re-lock: install
# the package pins into a fresh venv and `pip freeze` it.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-weights}" in
  weights) venv=.venv-sdk; lock=scripts/requirements-sdk.lock ;;
  chain) venv=.venv-sdk-chain; lock=scripts/requirements-sdk-chain.lock ;;
  current) venv=.venv-sdk-current; lock=scripts/requirements-sdk-current.lock ;;
  sdk11) venv=.venv-sdk-11; lock=scripts/requirements-sdk-11.lock ;;
  *) echo "usage: scripts/python-env.sh [weights|chain|current|sdk11]" >&2; exit 2 ;;
esac
# What must import for the venv to count as made (11.x has no weight_utils and no numpy).
case "$venv" in
  .venv-sdk-11) check='import bittensor; from bittensor import http_auth' ;;
  *) check='import bittensor, numpy; from bittensor.utils import weight_utils' ;;
esac
stamp="$venv/.lock-sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$lock"
"$venv/bin/python" -c "$check" \
  || { echo "python-env: the SDK does not import in $venv" >&2; exit 1; }
echo "$want" > "$stamp"
"$venv/bin/python" - <<'PY'
import importlib.metadata as m, sys
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return "-"
print("python-env: bittensor", version("bittensor"), "numpy", version("numpy"), "in", sys.prefix)
PY
