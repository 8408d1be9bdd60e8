"""Differential test: `validator process-weights` against the real Python SDK.

For each random case (seeded, reproducible) the oracle is the SDK's own code:
`process_weights_for_netuid` followed by `convert_weights_and_uids_for_emit` from
`bittensor.utils.weight_utils` (the venv from scripts/python-env.sh). The hyperparameters
that function reads from the chain (min_allowed_weights, max_weight_limit, metagraph.n)
come from a small object holding the case's values; all the math is the SDK's.

Equality:
- the SDK returns a result -> ours must be the identical (uids, u16 values);
- the SDK raises -> ours must be an error too;
- inputs the chain itself refuses (a uid >= n, duplicate uids, a length mismatch) -> ours
  must be an error whatever the SDK returns, since the SDK would hand the chain garbage.

Usage: .venv-sdk/bin/python tests/differential/weights_vs_sdk.py [--cases N] [--seed S] [--bin PATH]
Ends with "N passed, M failed"; exits 1 if anything failed.
"""

import argparse
import collections
import json
import logging
import os
import subprocess
import sys

import numpy as np

logging.disable(logging.CRITICAL)
from bittensor.utils import weight_utils  # noqa: E402

U16_MAX = 65535


class ChainParams:
    """What process_weights_for_netuid reads from the chain, fixed to one case's values."""

    def __init__(self, n, min_allowed_weights, max_weight_limit):
        self.n = n
        self._min_allowed = min_allowed_weights
        self._max_limit = max_weight_limit

    def min_allowed_weights(self, netuid):
        return self._min_allowed

    def max_weight_limit(self, netuid):
        return self._max_limit


def sdk_oracle(case):
    """The SDK's answer: ("ok", uids, values, branch) or ("error", message)."""
    params = ChainParams(case["n"], case["min_allowed_weights"], case["max_weight_limit"])
    uids = np.array(case["uids"], dtype=np.int64)
    weights = np.array(case["weights"], dtype=np.float32)
    try:
        with np.errstate(all="ignore"):
            p_uids, p_weights = weight_utils.process_weights_for_netuid(
                uids=uids,
                weights=weights,
                netuid=1,
                subtensor=params,
                metagraph=params,
                exclude_quantile=case["exclude_quantile"],
            )
            e_uids, e_values = weight_utils.convert_weights_and_uids_for_emit(p_uids, p_weights)
    except Exception as e:  # the SDK's way of refusing an input
        return ("error", f"{type(e).__name__}: {e}")
    return ("ok", [int(u) for u in e_uids], [int(v) for v in e_values])


def chain_refuses(case):
    uids = case["uids"]
    return (
        len(uids) != len(case["weights"])
        or len(set(uids)) != len(uids)
        or any(u < 0 or u >= case["n"] for u in uids)
    )


def json_float(x):
    x = float(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def random_weights(rng, size):
    kind = rng.integers(0, 6)
    if kind == 0:
        w = rng.random(size)
    elif kind == 1:
        w = rng.exponential(1.0, size)
    elif kind == 2:  # many decades of magnitude
        w = 10.0 ** rng.uniform(-30, 30, size)
    elif kind == 3:  # ties
        w = rng.integers(0, 4, size).astype(float)
    elif kind == 4:  # one dominant miner
        w = rng.random(size) * 1e-3
        if size:
            w[rng.integers(0, size)] = 1.0
    else:
        w = rng.random(size) ** 8
    if size and rng.random() < 0.5:  # some zeros
        w[rng.random(size) < rng.random()] = 0.0
    return w.astype(np.float32)


def make_case(rng, i):
    """One random case; i cycles through the edge-case families (12..19 are plain random)."""
    family = i % 20
    n = int(rng.choice([1, 2, 3, 8, 64, 256, 1024, 4096])) if rng.random() < 0.3 else int(rng.integers(1, 300))
    uids = list(range(n))
    if family == 1 and n > 1:  # a shuffled subset of the uids
        k = int(rng.integers(1, n + 1))
        uids = [int(u) for u in rng.permutation(n)[:k]]
    weights = random_weights(rng, len(uids))
    min_allowed = int(rng.integers(0, min(n, 64) + 2))
    limit = float(rng.choice([1.0, 0.5, 0.1, float(rng.random()), min(1.0, 1.0 / n + float(rng.random()) * 1e-3)]))
    if family == 11:
        limit = float(rng.integers(0, U16_MAX + 1)) / U16_MAX  # as the chain stores it
    quantile = int(rng.choice([0, 0, 6553, 32767, 65535, int(rng.integers(0, U16_MAX + 1))]))
    if family == 2:  # all zero: the uniform branch
        weights[:] = 0.0
    elif family == 3:  # fewer non-zero than min_allowed: the padding branch
        min_allowed = int(rng.integers(1, n + 1))
        weights[:] = 0.0
        for p in rng.permutation(len(uids))[: max(0, min_allowed - 1)]:
            weights[p] = np.float32(rng.random())
    elif family == 4:  # more min_allowed than neurons
        min_allowed = n + int(rng.integers(1, 5))
    elif family == 5 and len(uids):  # NaN, infinities, negatives
        for _ in range(int(rng.integers(1, 4))):
            weights[rng.integers(0, len(uids))] = np.float32(
                rng.choice([np.nan, np.inf, -np.inf, -1.0, -1e-30])
            )
    elif family == 6:  # empty input
        uids, weights = [], np.zeros(0, dtype=np.float32)
    elif family == 7 and len(uids):  # duplicate uid
        uids[-1] = uids[0]
    elif family == 8:  # uid out of range
        uids = uids + [n + int(rng.integers(0, 3))]
        weights = np.append(weights, np.float32(rng.random()))
    elif family == 9:  # length mismatch
        weights = np.append(weights, np.float32(1.0))
    elif family == 10:  # tiny magnitudes only
        weights = (weights * np.float32(1e-38)).astype(np.float32)
    return {
        "uids": uids,
        "weights": [json_float(w) for w in weights],
        "n": n,
        "min_allowed_weights": min_allowed,
        "max_weight_limit": limit,
        "exclude_quantile": quantile,
    }


def branch_of(case):
    w = np.array([np.float32(x) if not isinstance(x, str) else np.float32(float(x.replace("Infinity", "inf"))) for x in case["weights"]])
    nz = int(np.sum(w > 0))
    if nz == 0 or case["n"] < case["min_allowed_weights"]:
        return "uniform"
    if nz < case["min_allowed_weights"]:
        return "padded"
    return "normal"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20260525)
    ap.add_argument("--bin", default=os.environ.get("VALIDATOR_BIN", "target/release/validator"))
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    cases = [make_case(rng, i) for i in range(args.cases)]
    run = subprocess.run(
        [args.bin, "process-weights", "--batch"],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"{args.bin} process-weights --batch failed: {run.stderr.strip()}")
    ours = json.loads(run.stdout)
    if len(ours) != len(cases):
        sys.exit(f"expected {len(cases)} answers, got {len(ours)}")

    passed, failures = 0, []
    kinds = collections.Counter()
    for i, (case, mine) in enumerate(zip(cases, ours)):
        if chain_refuses(case):
            kind, ok = "refused (bad uids or lengths)", "error" in mine
            expected = "an error (the chain refuses this input)"
        else:
            oracle = sdk_oracle(case)
            if oracle[0] == "error":
                kind, ok = "SDK raises", "error" in mine
                expected = f"an error like the SDK's ({oracle[1][:80]})"
            else:
                kind = branch_of(case)
                expected = {"uids": oracle[1], "weights_u16": oracle[2]}
                ok = mine == expected
        kinds[kind] += 1
        if ok:
            passed += 1
        else:
            failures.append((i, case, expected, mine))

    for i, case, expected, mine in failures[:20]:
        print(f"case {i}: {json.dumps(case)[:600]}")
        print(f"  expected {json.dumps(expected)[:300]}")
        print(f"  got      {json.dumps(mine)[:300]}")
    print("cases by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
