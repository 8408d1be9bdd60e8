#!/usr/bin/env python3
"""btauth/1 verification throughput of the Python SDK 11.3.0 (`bittensor.http_auth.verify`, in
.venv-sdk-11), for scripts/bench-btauth-vs-sdk.sh.

  btauth_bench.py gen N OUT      writes N requests signed by the SDK (16 senders, sr25519, the
                                 reference task's JSON body, all for one receiver, nonces inside
                                 the window of a fixed clock) as {"receiver", "now_ns", "requests"}
  btauth_bench.py run FILE ROUNDS
                                 verifies every request ROUNDS times (a fresh nonce store each
                                 round) and prints {"verify_per_cpu_s", "bare_per_cpu_s", ...}:
                                 the SDK's verify, and its bare signature check
                                 (bittensor_core.verify) of the same payloads, per CPU-second
                                 (best round)
"""
import json
import sys
import time

import bittensor_core
from bittensor import http_auth

NOW = 1_790_000_000_000_000_000


def gen(n, out):
    receiver = bittensor_core.Keypair.create_from_seed(bytes([200] * 32), bittensor_core.CRYPTO_SR25519)
    senders = [bittensor_core.Keypair.create_from_seed(bytes([i + 1] * 32), bittensor_core.CRYPTO_SR25519)
               for i in range(16)]
    requests = []
    for i in range(n):
        body = json.dumps({"query": f"\"bitcoin\" #{i}", "count": 20}).encode()
        headers = http_auth.sign(senders[i % 16], method="POST", path="/recent_tweets", body=body,
                                 receiver_ss58=receiver.ss58_address, nonce_ns=NOW - 1_000_000 * i)
        requests.append({"headers": headers, "body": body.hex(), "method": "POST", "path": "/recent_tweets"})
    with open(out, "w") as f:
        json.dump({"receiver": receiver.ss58_address, "now_ns": NOW, "requests": requests}, f)


def run(path, rounds):
    data = json.load(open(path))
    receiver, now = data["receiver"], data["now_ns"]
    requests = [(r["headers"], bytes.fromhex(r["body"]), r["method"], r["path"]) for r in data["requests"]]
    bare_inputs = []
    for headers, body, method, target in requests:
        payload = http_auth.build_payload(scheme="sr25519", method=method, path=target, body=body,
                                          nonce_ns=int(headers["X-Bittensor-Nonce"]),
                                          sender_ss58=headers["X-Bittensor-Hotkey"], receiver_ss58=receiver)
        bare_inputs.append((payload, bytes.fromhex(headers["X-Bittensor-Signature"][2:]),
                            headers["X-Bittensor-Hotkey"]))
    best_verify = best_bare = float("inf")
    for _ in range(rounds):
        store = http_auth.InMemoryNonceStore()
        start = time.process_time_ns()
        for headers, body, method, target in requests:
            http_auth.verify(headers, body, method=method, path=target, self_hotkey_ss58=receiver,
                             nonce_store=store, now_ns=now)
        best_verify = min(best_verify, time.process_time_ns() - start)
        start = time.process_time_ns()
        for payload, signature, sender in bare_inputs:
            if not bittensor_core.verify(payload, signature, sender, bittensor_core.CRYPTO_SR25519):
                raise SystemExit("a bare check failed")
        best_bare = min(best_bare, time.process_time_ns() - start)
    n = len(requests)
    print(json.dumps({"n": n, "rounds": rounds,
                      "verify_per_cpu_s": n / (best_verify / 1e9), "verify_us": best_verify / 1e3 / n,
                      "bare_per_cpu_s": n / (best_bare / 1e9), "bare_us": best_bare / 1e3 / n}))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), sys.argv[3])
    else:
        run(sys.argv[2], int(sys.argv[3]))
