#!/usr/bin/env bash
# Creates the Python SDK venvs the project uses, each pinned with every dependency in a lock:
#   scripts/python-env.sh          .venv-sdk        bittensor 9.0.0   (scripts/requirements-sdk.lock)
#                                  the oracle for weight processing and the interop peer
#   scripts/python-env.sh current  .venv-sdk-current bittensor 10.2.0 (scripts/requirements-sdk-current.lock)
#                                  the last SDK with Axon/Dendrite: the local chain's reader and
#                                  writer (metagraph, set_weights, commit/reveal), a wire peer
#   scripts/python-env.sh next     .venv-sdk-11     bittensor 11.3.0 (scripts/requirements-sdk-11.lock)
#                                  the newest SDK: reads the local chain (metagraph, neurons,
#                                  weights) and btauth/1 (`bittensor.http_auth`), the peer of the
#                                  btauth interop tests and benchmark
# Idempotent: skips the install when the lock has not changed since last time.
#
# Why these pins: the default async-substrate-interface 2.x ships `cyscale`, which clashes
# with `scalecodec`; 1.6.4 does not (both 9.0.0 and 10.2.0 are locked with it). 10.2.0 reads
# the spec-425 and spec-385 local chains through tests/interop/chopsticks_fix.py (chopsticks
# wants `0x` on state_call data and knows `account_nextIndex` only by its canonical name).
# To re-lock: install the package pins into a fresh venv and `pip freeze` it.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-weights}" in
  weights) venv=.venv-sdk; lock=scripts/requirements-sdk.lock ;;
  current) venv=.venv-sdk-current; lock=scripts/requirements-sdk-current.lock ;;
  next) venv=.venv-sdk-11; lock=scripts/requirements-sdk-11.lock ;;
  *) echo "usage: scripts/python-env.sh [weights|current|next]" >&2; exit 2 ;;
esac
stamp="$venv/.lock-sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$lock"
check='import bittensor, numpy; from bittensor.utils import weight_utils'
[ "$venv" = .venv-sdk-11 ] && check='import bittensor, bittensor.http_auth'
"$venv/bin/python" -c "$check" \
  || { echo "python-env: the SDK does not import in $venv" >&2; exit 1; }
echo "$want" > "$stamp"
"$venv/bin/python" - <<'PY'
import importlib.metadata as m, sys
print("python-env: bittensor", m.version("bittensor"), "in", sys.prefix)
PY
