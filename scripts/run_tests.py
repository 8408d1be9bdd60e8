#!/usr/bin/env python3
"""Runs the workspace's test binaries, one phase at a time.

Usage: scripts/run_tests.py BINARIES.json PHASE [--jobs N]
       scripts/run_tests.py BINARIES.json --exe NAME

BINARIES.json is the output of `cargo test --workspace --all-targets --no-run
--message-format=json`. The phases:

  unit         the unit and property tests of every library and binary, and every benchmark
               run once (criterion's test mode), one binary after the other;
  integration  the integration tests. Those that keep the chain busy run N at a time (default
               2), longest first: most start a local chain (from a bootstrapped snapshot, see
               chain/src/snapshot.rs) whose every block runs the runtime in chopsticks' wasm
               interpreter, and each runs two tests at once, so two binaries keep the two cores
               busy. Beside them, one after the other, run the long ones that mostly wait
               (100 SIGKILLs of a validator, a node killed and restarted, 101 rounds against
               hostile miners): they build few blocks, and hold under load (the test command
               is run with CPU hogs beside it to check that). Last, alone, the ones timed
               against budgets (the explorer's on a 256-uid subnet).

`--exe NAME` prints the path of a program the same build made (e.g. `validator` for the
differential test), so that nothing is built twice.

Each binary runs in its package's folder, as `cargo test` runs it, with its output in
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

# Long but mostly waiting: one after the other, beside the chain-heavy ones.
WAITING = ["hostile_miners", "crash_safety", "chain_faults"]
# Timed against budgets: alone, after everything else, so that nothing loads the cores.
ALONE = ["explorer_budget"]
# Roughly the longest first, so that the parallel phase ends together.
ORDER = ["epoch_fidelity", "e2e_localnet", "localnet", "timelock", "commit_faults",
         "explorer_e2e", "sdk_interop", "sdk_timelock", "localnet_cli", "e2e_btauth",
         "hostile_connections", "hostile_btauth"]


def artifacts(path):
    with open(path) as f:
        for line in f:
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
                yield msg


def binaries(path):
    out = []
    for msg in artifacts(path):
        # Only test harnesses: the binaries and examples built alongside (for the integration
        # tests to start) are programs, not tests.
        if not msg["profile"]["test"]:
            continue
        target = msg["target"]
        package = msg["package_id"].split("#")[0].rsplit("/", 1)[-1]
        out.append({
            "name": target["name"],
            "kind": target["kind"][0],
            "package": package,
            "dir": os.path.dirname(msg["manifest_path"]),
            "exe": msg["executable"],
        })
    return out


def program(path, name):
    """The executable of the workspace's binary `name` (not a test harness)."""
    for msg in artifacts(path):
        if (not msg["profile"]["test"] and msg["target"]["name"] == name
                and "bin" in msg["target"]["kind"]):
            return msg["executable"]
    return None


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
    if argv[2] == "--exe":
        exe = program(path, argv[3])
        if exe is None:
            print(f"run_tests: no binary {argv[3]} in {path}", file=sys.stderr)
            return 1
        print(exe)
        return 0
    phase = argv[2]
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 2
    logs = os.path.join("target", "test-logs")
    os.makedirs(logs, exist_ok=True)
    all_bins = binaries(path)
    if phase == "unit":
        chosen = [b for b in all_bins if b["kind"] != "test"]
        jobs = 1
    elif phase == "integration":
        chosen = [b for b in all_bins
                  if b["kind"] == "test" and b["name"] not in WAITING + ALONE]
        chosen.sort(key=lambda b: ORDER.index(b["name"]) if b["name"] in ORDER else len(ORDER))
        waiting = [b for b in all_bins if b["kind"] == "test" and b["name"] in WAITING]
        waiting.sort(key=lambda b: WAITING.index(b["name"]))
        alone = [b for b in all_bins if b["kind"] == "test" and b["name"] in ALONE]
    else:
        print(f"run_tests: unknown phase {phase} (unit, integration)", file=sys.stderr)
        return 2
    if not chosen:
        print(f"run_tests: no test binaries for phase {phase} in {path}", file=sys.stderr)
        return 1
    if phase != "integration":
        waiting = []
        alone = []
    lock = threading.Lock()
    started = time.time()
    print(f"== {phase}: {len(chosen)} binaries, {jobs} at a time"
          + (f"; beside them, {len(waiting)} one after the other" if waiting else "")
          + (f"; then {len(alone)} alone" if alone else ""), flush=True)
    lane = [True]

    def run_waiting():
        lane[0] = all([run(b, logs, lock) for b in waiting])

    beside = threading.Thread(target=run_waiting)
    beside.start()
    # Every binary runs, whatever failed before it (list() consumes the whole map).
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        ok = all(list(pool.map(lambda b: run(b, logs, lock), chosen)))
    beside.join()
    ok = ok and lane[0]
    ok = all([run(b, logs, lock) for b in alone]) and ok
    print(f"== {phase} {'passed' if ok else 'FAILED'} in {time.time() - started:.0f} s; logs in {logs}/")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
