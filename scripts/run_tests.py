#!/usr/bin/env python3
"""Runs the workspace's test binaries, the slow ones side by side.

Usage: scripts/run_tests.py BINARIES.json [--jobs N]

BINARIES.json is the output of `cargo test --workspace --no-run --message-format=json`.
Unit-test binaries (libraries, binaries) run first, one after the other. The integration
tests, most of which start a local chain and wait on it, then run N at a time (default 3),
longest first; the timing-sensitive ones (SIGKILLs at random moments, a node killed and
restarted, memory figures) run alone at the end, so that nothing else competes with what they
measure. Each binary runs in its package's folder, as `cargo test` runs it, with its output in
target/test-logs/<package>-<name>.log; a failure prints the end of its log. Exits non-zero if
any binary failed.
"""
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# Run alone, after the others (they measure timing or memory, or kill processes at random).
SOLO = {"crash_safety", "chain_faults", "hostile_miners", "hostile_btauth"}
# Roughly the longest first, so that the parallel phase ends together.
ORDER = ["epoch_fidelity", "e2e_localnet", "timelock", "localnet", "explorer_e2e", "sdk_interop",
         "sdk_timelock", "localnet_cli", "e2e_btauth"]


def binaries(path):
    out = []
    with open(path) as f:
        for line in f:
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            exe = msg.get("executable")
            # Only test harnesses: the binaries and examples built alongside (for the
            # integration tests to start) are programs, not tests.
            if msg.get("reason") != "compiler-artifact" or not exe or not msg["profile"]["test"]:
                continue
            target = msg["target"]
            package = msg["package_id"].split("#")[0].rsplit("/", 1)[-1]
            out.append({
                "name": target["name"],
                "kind": target["kind"][0],
                "package": package,
                "dir": os.path.dirname(msg["manifest_path"]),
                "exe": exe,
            })
    return out


def run(b, logs, lock):
    log_path = os.path.join(logs, f"{b['package']}-{b['name']}.log")
    start = time.time()
    with open(log_path, "w") as log:
        code = subprocess.call([b["exe"]], cwd=b["dir"], stdout=log, stderr=subprocess.STDOUT)
    took = time.time() - start
    with lock:
        status = "ok" if code == 0 else f"FAILED ({code})"
        print(f"  {b['package']}::{b['name']} ({b['kind']}): {status} in {took:.0f} s", flush=True)
        if code != 0:
            with open(log_path) as f:
                tail = f.read().splitlines()[-60:]
            print("\n".join("      " + l for l in tail), flush=True)
    return code == 0


def main(argv):
    path = argv[1]
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 3
    logs = os.path.join("target", "test-logs")
    os.makedirs(logs, exist_ok=True)
    all_bins = binaries(path)
    units = [b for b in all_bins if b["kind"] != "test"]
    integration = [b for b in all_bins if b["kind"] == "test" and b["name"] not in SOLO]
    solo = [b for b in all_bins if b["kind"] == "test" and b["name"] in SOLO]
    integration.sort(key=lambda b: ORDER.index(b["name"]) if b["name"] in ORDER else len(ORDER))
    lock = threading.Lock()
    ok = True
    started = time.time()
    print(f"== unit tests ({len(units)} binaries)", flush=True)
    for b in units:
        ok &= run(b, logs, lock)
    print(f"== integration tests ({len(integration)} binaries, {jobs} at a time)", flush=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        ok &= all(pool.map(lambda b: run(b, logs, lock), integration))
    print(f"== timing-sensitive tests, alone ({len(solo)} binaries)", flush=True)
    for b in solo:
        ok &= run(b, logs, lock)
    print(f"== tests {'passed' if ok else 'FAILED'} in {time.time() - started:.0f} s; logs in {logs}/")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
