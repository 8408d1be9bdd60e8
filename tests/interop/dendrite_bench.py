#!/usr/bin/env python3
"""The Python SDK's dendrite forward pass, for scripts/bench-dendrite-vs-sdk.sh (same axons, same
run as ours): dendrite_bench.py AXON_HOTKEY PORT_BASE COUNT ROUNDS. Prints wall times, requests
per CPU-second and peak RSS as JSON."""
import asyncio
import json
import logging
import resource
import sys
import tempfile
import time
from typing import Any, Optional

import bittensor as bt
from bittensor.utils import networking
from bittensor_wallet import Keypair, Wallet

logging.disable(logging.CRITICAL)
networking.get_external_ip = lambda: "127.0.0.9"  # no web service to ask here


class RecentTweetsSynapse(bt.Synapse):
    query: str
    count: Optional[int] = None
    response: Optional[Any] = None


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def main(hotkey, base, count, rounds):
    wallet = Wallet(name="bench", hotkey="default", path=tempfile.mkdtemp())
    wallet.set_hotkey(Keypair.create_from_mnemonic(Keypair.generate_mnemonic()), encrypt=False, overwrite=True)
    dendrite = bt.Dendrite(wallet=wallet)
    axons = [bt.AxonInfo(version=0, ip="127.0.0.1", port=base + i, ip_type=4, hotkey=hotkey, coldkey=hotkey)
             for i in range(count)]
    synapse = RecentTweetsSynapse(query='"bitcoin"', count=5)
    warm = await dendrite.forward(axons, synapse, timeout=12, deserialize=False)
    warm_ok = sum(1 for r in warm if r.dendrite.status_code == 200)
    cpu0, walls, ok = cpu(), [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        replies = await dendrite.forward(axons, synapse, timeout=12, deserialize=False)
        walls.append((time.perf_counter() - start) * 1e3)
        ok += sum(1 for r in replies if r.dendrite.status_code == 200)
    used = cpu() - cpu0
    walls.sort()
    requests = rounds * count
    print(json.dumps({"n": count, "rounds": rounds, "warm_ok": warm_ok, "ok": ok, "requests": requests,
                      "median_wall_ms": walls[len(walls) // 2], "max_wall_ms": walls[-1], "cpu_s": used,
                      "req_per_cpu_s": requests / max(used, 1e-9),
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    await dendrite.aclose_session()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
