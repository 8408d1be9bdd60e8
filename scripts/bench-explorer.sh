#!/usr/bin/env bash
# The explorer's performance budget, measured and printed (the README shows the figures):
#   wasm size of the release build, gzipped                       budget <= 1.0 MB
#   first table and heatmap of a 256-uid subnet                   budget <= 1.0 s after navigation start
#   history of 20 epochs of that subnet (batched reads at past    budget <= 3 s
#     blocks, from the first render to the charts)
#   what-if recompute (an edited weight: the epoch rerun)          budget <= 16 ms (one frame)
#   explain recompute (the epoch and a uid's explanations)        budget <= 16 ms
#   heatmap redraw (zoom steps and the W/B toggle)                budget <= 50 ms
#   layout at 1366 x 768 (a laptop): nothing wider than the window
# The 256-uid subnet (32 validators weighting 223 miners, so W is 32 x 256; one mechanism, as
# the chain caps the uids of all mechanisms together at 256) runs 20 epochs (tempo 1) on
# the local chain; headless chromium loads the page 5 times, edits 10 weights, opens 10 uids
# and redraws the heatmap 10 times (web/tests/explorer_budget.rs, which the test command runs
# too, failing over budget). Exits non-zero when over budget.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
trunk build
wasm=$(ls dist/*_bg.wasm)
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
out=$(cargo test --locked -p bt-web --test explorer_budget -- --nocapture 2>&1 \
  | tee target/bench-explorer.log | sed -n 's/^BUDGET //p')
[ -n "$out" ] || { echo "the browser benchmark printed no figures: see target/bench-explorer.log" >&2; exit 1; }
python3 - "$raw" "$gz" "$out" <<'PY'
import json, statistics, sys
raw, gz, fig = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
def spread(v, unit="ms", digits=0):
    return f"{statistics.median(v):.{digits}f} {unit} / {max(v):.{digits}f} {unit}"
first, history, whatif, explain, redraw = (fig[k] for k in ("first_render_ms", "history_ms", "whatif_ms", "explain_ms", "redraw_ms"))
rows = [
    ("wasm size, gzip -9", f"{gz / 1e6:.2f} MB ({raw / 1e6:.2f} MB raw)", "<= 1.0 MB", gz <= 1.0e6),
    (f"first table + heatmap, {fig['uids']} uids (median / worst of {len(first)} loads)",
     spread(first), "<= 1000 ms", max(first) <= 1000),
    (f"history, {fig['history_epochs']} epochs x {fig['uids']} uids (median / worst of {len(history)})",
     spread(history), "<= 3000 ms", max(history) <= 3000),
    (f"what-if recompute, {fig['uids']} uids (median / worst of {len(whatif)} edits)",
     spread(whatif, digits=1), "<= 16 ms", max(whatif) <= 16),
    (f"explain recompute (epoch + explanations; median / worst of {len(explain)})",
     spread(explain, digits=1), "<= 16 ms", max(explain) <= 16),
    (f"heatmap redraw, 32 x 256 (median / worst of {len(redraw)})",
     spread(redraw, digits=1), "<= 50 ms", max(redraw) <= 50),
    ("layout at 1366 x 768: overflow beyond the window", f"{fig['laptop_overflow_px']} px", "<= 0 px", fig["laptop_overflow_px"] <= 0),
]
w = max(len(r[0]) for r in rows)
for name, value, budget, ok in rows:
    print(f"{name:<{w}}  {value:>24}  {budget:>10}  {'ok' if ok else 'OVER BUDGET'}")
sys.exit(0 if all(r[3] for r in rows) else 1)
PY
