#!/usr/bin/env python3
"""The Python SDK's view of a subnet, as JSON, for comparison with ours.

Usage: sdk_metagraph.py ENDPOINT NETUID [--mechid M] [--block B]
                        [--fake-round R] [--set-weights URI:UID=W,UID=W,...]...
                        [--commit-weights URI:SALT:UID=W,...] [--reveal-weights URI:SALT:UID=W,...]
                        [--timelocked-commits] [--time RUNS]

Runs in either SDK venv:
- .venv-sdk-current (bittensor 10.2.0): `Subtensor.metagraph(netuid, mechid, lite=False)`, the
  raw `weights`/`bonds` rows, and the writes (`set_weights`, `commit_weights`,
  `reveal_weights`, signed by a dev hotkey URI);
- .venv-sdk-11 (bittensor 11.3.0, whose wire layer is btauth/1): `subnets.metagraph`,
  `neurons.neurons(lite=False)` and `weights.weights`, reads only.

Both get the chopsticks `0x` fix (tests/interop/chopsticks_fix.py) and nothing else.

--fake-round R (10.2.0, before --set-weights on a commit-reveal subnet): the SDK's
bittensor_drand encrypts to drand quicknet's key and picks the round from the wall clock,
inside its compiled code. Offline only round 1000's real signature is known. So, when the SDK
calls `get_encrypted_commit`, the script computes the clock time at which the SDK's own formula
(bittensor-drand 1.x `generate_commit`, from the block, tempo and reveal period the SDK passes)
gives round R, and writes it to libfaketime's $FAKETIME_TIMESTAMP_FILE just before the call goes
through: the process must run under LD_PRELOAD=libfaketime.
--timelocked-commits prints the SDK's `get_timelocked_weight_commits(netuid, mechid)`.
--time RUNS times the metagraph read (after one warm-up call) and prints
{"n", "runs", "median_ms", "min_ms"} instead of the metagraph.
"""
import json
import logging
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chopsticks_fix  # noqa: E402

chopsticks_fix.apply()
import bittensor  # noqa: E402

logging.disable(logging.CRITICAL)
VERSION = getattr(bittensor, "__version__", None) or __import__("importlib.metadata").metadata.version("bittensor")


def floats(v):
    return [float(x) for x in v]


def pairs(spec):
    uids = [int(p.split("=")[0]) for p in spec.split(",")]
    weights = [float(p.split("=")[1]) for p in spec.split(",")]
    return uids, weights


# ---------------------------------------------------------------- bittensor 10.x
def wallet_for(uri):
    from bittensor_wallet import Keypair, Wallet

    wallet = Wallet(name="interop", hotkey="default", path=tempfile.mkdtemp())
    wallet.set_hotkey(Keypair.create_from_uri(uri), encrypt=False, overwrite=True)
    wallet.set_coldkeypub(
        Keypair(ss58_address=Keypair.create_from_uri("//Bob").ss58_address), encrypt=False, overwrite=True
    )
    return wallet


QUICKNET_GENESIS, QUICKNET_PERIOD = 1692803367, 3
SECURITY_BLOCK_OFFSET = 3


def fake_clock_for_round(round_, current_block, tempo, period, storage_index, block_time):
    """Sets libfaketime's clock so that the SDK's round formula gives `round_` for these inputs."""
    first = ((current_block + storage_index + 1) // (tempo + 1) + period) * (tempo + 1) - (storage_index + 1)
    target = first + SECURITY_BLOCK_OFFSET
    now = QUICKNET_GENESIS + round_ * QUICKNET_PERIOD - (target - current_block) * block_time + 1.0
    path = os.environ.get("FAKETIME_TIMESTAMP_FILE")
    if not path:
        sys.exit("--fake-round needs the process under libfaketime with FAKETIME_TIMESTAMP_FILE")
    with open(path, "w") as f:
        f.write("@" + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)))


def pin_commit_round(round_):
    """Sets the clock inside the SDK's own call of bittensor_drand's `get_encrypted_commit`, from
    the block and parameters the SDK passes it: set earlier, a new block or a slow machine (the
    SDK's queries between) moves the round."""
    from bittensor.core.extrinsics import weights as sdk_weights

    original = sdk_weights.get_encrypted_commit

    def at_round(**kw):
        fake_clock_for_round(round_, int(kw["current_block"]), int(kw["tempo"]),
                             int(kw["subnet_reveal_period_epochs"]), int(kw["netuid"]),
                             float(kw["block_time"]))
        return original(**kw)

    sdk_weights.get_encrypted_commit = at_round


def writes_v10(sub, netuid, mechid, args):
    """Runs the write flags in order; returns the remaining arguments."""
    while args and args[0] in ("--set-weights", "--commit-weights", "--reveal-weights", "--fake-round"):
        flag, value, args = args[0], args[1], args[2:]
        if flag == "--fake-round":
            pin_commit_round(int(value))
            continue
        if flag == "--set-weights":
            uri, spec = value.split(":", 1)
            uids, weights = pairs(spec)
            r = sub.set_weights(wallet=wallet_for(uri), netuid=netuid, uids=uids, weights=weights,
                                mechid=mechid, version_key=0, wait_for_inclusion=True,
                                wait_for_finalization=False)
        else:
            uri, salt, spec = value.split(":", 2)
            uids, weights = pairs(spec)
            # Hash commits take the u16 values themselves: the SDK's own emit conversion.
            from bittensor.utils.weight_utils import convert_weights_and_uids_for_emit
            import numpy as np

            uids, weights = convert_weights_and_uids_for_emit(np.array(uids), np.array(weights, dtype=np.float32))
            salt = [int(s) for s in salt.split(",")]
            # 10.2.0's commit_weights drops the caller's version_key and hashes its own
            # version_as_int (bittensor#3368, fixed after 10.2.0): the reveal must send it too.
            from bittensor.core.settings import version_as_int

            call = sub.commit_weights if flag == "--commit-weights" else sub.reveal_weights
            r = call(wallet=wallet_for(uri), netuid=netuid, uids=uids, weights=weights, salt=salt,
                     mechid=mechid, version_key=version_as_int, wait_for_inclusion=True,
                     wait_for_finalization=False, raise_error=False)
        if not r.success:
            sys.exit(f"SDK {flag} as {uri} failed: {r.message}")
    return args


def read_v10(sub, netuid, mechid, block):
    mg = sub.metagraph(netuid, mechid=mechid, lite=False, block=block)
    rows = lambda matrix: [[int(uid), [[int(d), int(w)] for d, w in row]] for uid, row in matrix]
    return {
        "sdk": VERSION,
        "n": int(mg.n),
        "block": int(mg.block),
        "uids": [int(u) for u in mg.uids],
        "hotkeys": list(mg.hotkeys),
        "coldkeys": list(mg.coldkeys),
        "active": [bool(a) for a in mg.active],
        "validator_permit": [bool(v) for v in mg.validator_permit],
        "last_update": [int(x) for x in mg.last_update],
        "alpha_stake": floats(mg.alpha_stake),
        "tao_stake": floats(mg.tao_stake),
        "S": floats(mg.S),
        "C": floats(mg.C), "I": floats(mg.I), "D": floats(mg.D), "Tv": floats(mg.Tv), "E": floats(mg.E),
        "W": [floats(row) for row in mg.W],
        "B": [floats(row) for row in mg.B],
        "weights_raw": rows(sub.weights(netuid, mechid=mechid, block=block)),
        "bonds_raw": rows(sub.bonds(netuid, mechid=mechid, block=block)),
        "axons": [[a.ip, int(a.port)] for a in mg.axons],
    }


# ---------------------------------------------------------------- bittensor 11.x
def read_v11(sub, netuid, mechid, block):
    mg = sub.subnets.metagraph(netuid, block=block, commitments=False)
    neurons = sub.neurons.neurons(netuid, lite=False, block=block)
    weights = sub.weights.weights(netuid, mechid=mechid, block=block)
    return {
        "sdk": VERSION,
        "n": len(mg.neurons),
        "block": int(mg.block),
        "uids": [n.uid for n in mg.neurons],
        "hotkeys": [n.hotkey for n in mg.neurons],
        "coldkeys": [n.coldkey for n in mg.neurons],
        "active": [n.active for n in mg.neurons],
        "validator_permit": [n.validator_permit for n in mg.neurons],
        "last_update": [n.last_update for n in mg.neurons],
        "alpha_stake_rao": [int(n.alpha_stake.rao) for n in mg.neurons],
        "tao_stake_rao": [int(n.tao_stake.rao) for n in mg.neurons],
        "total_stake_rao": [int(n.total_stake.rao) for n in mg.neurons],
        "emission_rao": [int(n.emission.rao) for n in mg.neurons],
        "C": [n.consensus for n in mg.neurons],
        "I": [n.incentive for n in mg.neurons],
        "D": [n.dividends for n in mg.neurons],
        "axons": [n.axon for n in mg.neurons],
        # get_neurons(lite=False): mechanism 0's raw rows.
        "neuron_weights_raw": [[[int(d), int(w)] for d, w in n.raw.get("weights") or []] for n in neurons],
        "neuron_bonds_raw": [[[int(d), int(w)] for d, w in n.raw.get("bonds") or []] for n in neurons],
        "weights_fraction": {str(uid): {str(d): w for d, w in row.items()} for uid, row in weights.items()},
    }


def main(argv):
    endpoint, netuid = argv[1], int(argv[2])
    args = argv[3:]
    mechid, block = 0, None
    while args and args[0] in ("--mechid", "--block"):
        if args[0] == "--mechid":
            mechid = int(args[1])
        else:
            block = int(args[1])
        args = args[2:]
    v11 = VERSION.startswith("11.")
    sub = bittensor.Subtensor(endpoint) if v11 else bittensor.Subtensor(network=endpoint)
    read = read_v11 if v11 else read_v10
    if not v11:
        args = writes_v10(sub, netuid, mechid, args)
    if args and args[0] == "--timelocked-commits":
        commits = sub.get_timelocked_weight_commits(netuid, mechid=mechid, block=block)
        print(json.dumps([[str(c[0]), int(c[1]), "0x" + bytes(c[2]).hex() if not isinstance(c[2], str) else c[2], int(c[3])]
                          for c in commits]))
        return
    if args and args[0] == "--time":
        runs = int(args[1])
        n = read(sub, netuid, mechid, block)["n"]
        times = []
        for _ in range(max(runs, 1)):
            start = time.perf_counter()
            if v11:
                sub.subnets.metagraph(netuid, block=block, commitments=False)
                sub.weights.weights(netuid, mechid=mechid, block=block)
            else:
                sub.metagraph(netuid, mechid=mechid, lite=False, block=block)
            times.append((time.perf_counter() - start) * 1e3)
        times.sort()
        print(json.dumps({"n": n, "runs": len(times), "median_ms": times[len(times) // 2], "min_ms": times[0]}))
        return
    if args:
        sys.exit(f"unknown arguments: {args}")
    print(json.dumps(read(sub, netuid, mechid, block)))


if __name__ == "__main__":
    main(sys.argv)
