#!/usr/bin/env bash
# Creates .venv-sdk/: the official Python SDK (bittensor, pinned with every dependency in
# scripts/requirements-sdk.lock), used as the interop peer and as the oracle for weight
# processing. Idempotent: skips the install when the lock has not changed since last time.
#
# Why these pins: bittensor 9.0.0 was released alongside the spec-218 runtime the local chain
# runs. Its default async-substrate-interface 2.x ships `cyscale`, which clashes with
# `scalecodec`; 1.6.4 does not. To re-lock: install `bittensor==9.0.0
# async-substrate-interface==1.6.4` into a fresh venv and `pip freeze` it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-sdk
lock=scripts/requirements-sdk.lock
stamp="$venv/.lock-sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$lock"
"$venv/bin/python" -c 'import bittensor, numpy; from bittensor.utils import weight_utils' \
  || { echo "python-env: the SDK does not import in $venv" >&2; exit 1; }
echo "$want" > "$stamp"
"$venv/bin/python" -c 'import bittensor, numpy; print(f"python-env: bittensor {bittensor.__version__}, numpy {numpy.__version__} in .venv-sdk")'
