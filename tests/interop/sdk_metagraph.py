#!/usr/bin/env python3
"""The Python SDK's view of a subnet, as JSON, for comparison with ours.

Usage: sdk_metagraph.py ENDPOINT NETUID [--set-weights URI:UID=W,UID=W,...]... [--time RUNS]

Runs in .venv-sdk-chain (bittensor 8.5.1rc10, the release that reads the spec-218 chain).
--set-weights first sets weights through the SDK's own Subtensor.set_weights, signed by the
dev hotkey URI. --time RUNS times `metagraph(netuid, lite=False)` (after one warm-up call) and
prints {"n", "runs", "median_ms", "min_ms"} instead of the metagraph.
Stake is printed in rao (integers); C, I, D, Tv, E and W exactly as the SDK holds them.
"""
import json
import logging
import sys
import tempfile
import time

import bittensor
from bittensor_wallet import Keypair, Wallet

logging.disable(logging.CRITICAL)


def wallet_for(uri):
    hotkey = Keypair.create_from_uri(uri)
    wallet = Wallet(name="interop", hotkey="default", path=tempfile.mkdtemp())
    wallet.set_hotkey(hotkey, encrypt=False, overwrite=True)
    wallet.set_coldkeypub(Keypair(ss58_address=Keypair.create_from_uri("//Alice").ss58_address),
                          encrypt=False, overwrite=True)
    return wallet


def floats(v):
    return [float(x) for x in v]


def main(argv):
    endpoint, netuid = argv[1], int(argv[2])
    rest = argv[3:]
    sub = bittensor.Subtensor(network=endpoint)
    while rest and rest[0] == "--set-weights":
        uri, pairs = rest[1].split(":", 1)
        uids = [int(p.split("=")[0]) for p in pairs.split(",")]
        weights = [float(p.split("=")[1]) for p in pairs.split(",")]
        ok, msg = sub.set_weights(wallet=wallet_for(uri), netuid=netuid, uids=uids, weights=weights,
                                  version_key=0, wait_for_inclusion=True, wait_for_finalization=False)
        if not ok:
            sys.exit(f"SDK set_weights as {uri} failed: {msg}")
        rest = rest[2:]
    if rest and rest[0] == "--time":
        runs = int(rest[1])
        n = int(sub.metagraph(netuid, lite=False).n)
        times = []
        for _ in range(max(runs, 1)):
            start = time.perf_counter()
            sub.metagraph(netuid, lite=False)
            times.append((time.perf_counter() - start) * 1e3)
        times.sort()
        print(json.dumps({"n": n, "runs": len(times), "median_ms": times[len(times) // 2], "min_ms": times[0]}))
        return
    mg = sub.metagraph(netuid, lite=False)
    print(json.dumps({
        "n": int(mg.n),
        "block": int(mg.block),
        "uids": [int(u) for u in mg.uids],
        "hotkeys": list(mg.hotkeys),
        "coldkeys": list(mg.coldkeys),
        "stake_rao": [int(s.rao) for s in mg.S],
        "C": floats(mg.C), "I": floats(mg.I), "D": floats(mg.D), "Tv": floats(mg.Tv), "E": floats(mg.E),
        "W": [floats(row) for row in mg.W],
        "axons": [[a.ip, int(a.port)] for a in mg.axons],
    }))


if __name__ == "__main__":
    main(sys.argv)
