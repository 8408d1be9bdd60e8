#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine with rustup, Python 3 and
# Node: the wasm32 Rust target and the pinned Python SDK venv (.venv-sdk). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rust target wasm32-unknown-unknown"
rustup target add wasm32-unknown-unknown

echo "== python SDK venv (.venv-sdk)"
scripts/python-env.sh
