"""Times the SDK's weight pipeline on the inputs the criterion bench wrote, and prints the
ratio against criterion's median for the same n. Called by bench-weights-vs-sdk.sh."""

import json
import logging
import sys
import timeit

import numpy as np

logging.disable(logging.CRITICAL)
from bittensor.utils import weight_utils  # noqa: E402


class ChainParams:
    def __init__(self, case):
        self.n = case["n"]
        self.case = case

    def min_allowed_weights(self, netuid):
        return self.case["min_allowed_weights"]

    def max_weight_limit(self, netuid):
        return self.case["max_weight_limit"]


def main(inputs_path, criterion_dir):
    cases = json.load(open(inputs_path))
    print(f"{'n':>6} {'rust (median)':>15} {'SDK (median)':>15} {'SDK / rust':>11}")
    for case in cases:
        uids = np.array(case["uids"], dtype=np.int64)
        weights = np.array(case["weights"], dtype=np.float32)
        params = ChainParams(case)

        def pipeline():
            u, w = weight_utils.process_weights_for_netuid(uids, weights, 1, params, params, 0)
            return weight_utils.convert_weights_and_uids_for_emit(u, w)

        number = max(1, int(0.2 / timeit.timeit(pipeline, number=1)))
        runs = sorted(timeit.repeat(pipeline, number=number, repeat=15))
        sdk_ns = runs[len(runs) // 2] / number * 1e9
        est = json.load(open(f"{criterion_dir}/{case['n']}/new/estimates.json"))
        rust_ns = est["median"]["point_estimate"]
        print(f"{case['n']:>6} {rust_ns / 1e3:>12.1f} µs {sdk_ns / 1e3:>12.1f} µs {sdk_ns / rust_ns:>10.1f}×")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
