#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine with rustup, Python 3 and
# Node: the wasm32 Rust target, the pinned Python SDK venvs (.venv-sdk, .venv-sdk-chain) and chopsticks (the
# local chain, pinned in package-lock.json). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rust target wasm32-unknown-unknown"
rustup target add wasm32-unknown-unknown

echo "== python SDK venvs (.venv-sdk 9.0.0: weights oracle and wire peer; .venv-sdk-chain 8.5.1rc10: reads the local chain; .venv-sdk-current 10.2.0: wire peer)"
scripts/python-env.sh weights
scripts/python-env.sh chain
scripts/python-env.sh current

echo "== chopsticks (node_modules, from package-lock.json)"
if [ ! -x node_modules/.bin/chopsticks ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
