#!/usr/bin/env bash
# The explorer's performance budget, measured (the README shows the figures):
#   wasm size of the release build, gzipped            budget <= 1.5 MB
#   first table and heatmap of a 256-uid subnet        budget <= 1.5 s after navigation start
#   heatmap redraw (zoom steps and the W/B toggle)     budget <= 50 ms
# The 256-uid subnet (64 validators weighting 191 miners, so W is 64 x 256) runs on the local
# chain; headless chromium loads the page 5 times and redraws the heatmap 10 times
# (web/tests/explorer_e2e.rs, explorer_budget_256_uids). Exits non-zero when over budget.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
trunk build
wasm=$(ls dist/*_bg.wasm)
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
out=$(cargo test --locked -p bt-web --test explorer_e2e explorer_budget_256_uids -- --ignored --nocapture 2>&1 \
  | tee target/bench-explorer.log | sed -n 's/^BUDGET //p')
[ -n "$out" ] || { echo "the browser benchmark printed no figures: see target/bench-explorer.log" >&2; exit 1; }
python3 - "$raw" "$gz" "$out" <<'PY'
import json, statistics, sys
raw, gz, fig = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
first, redraw = fig["first_render_ms"], fig["redraw_ms"]
rows = [
    ("wasm size, gzip -9", f"{gz / 1e6:.2f} MB ({raw / 1e6:.2f} MB raw)", "<= 1.5 MB", gz <= 1.5e6),
    (f"first table + heatmap, {fig['uids']} uids (median / worst of {len(first)} loads)",
     f"{statistics.median(first):.0f} ms / {max(first):.0f} ms", "<= 1500 ms", max(first) <= 1500),
    (f"heatmap redraw, 64 x 256 (median / worst of {len(redraw)})",
     f"{statistics.median(redraw):.1f} ms / {max(redraw):.1f} ms", "<= 50 ms", max(redraw) <= 50),
]
w = max(len(r[0]) for r in rows)
for name, value, budget, ok in rows:
    print(f"{name:<{w}}  {value:>22}  {budget:>10}  {'ok' if ok else 'OVER BUDGET'}")
sys.exit(0 if all(r[3] for r in rows) else 1)
PY
