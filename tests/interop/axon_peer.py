#!/usr/bin/env python3
"""A Python SDK axon (bittensor 9.0.0 in .venv-sdk) serving RecentTweetsSynapse, for the
dendrite interop test. Usage: axon_peer.py PORT

Prints {"hotkey": SS58, "port": PORT} once serving, then serves until stdin closes. The answer
echoes the query in one tweet, so the caller can check that its request body arrived intact.
"""
import json
import logging
import sys
import tempfile
from typing import Any, Optional

import bittensor as bt
from bittensor_wallet import Keypair, Wallet

logging.disable(logging.CRITICAL)


class RecentTweetsSynapse(bt.Synapse):
    query: str
    count: Optional[int] = None
    response: Optional[Any] = None


def forward(synapse: RecentTweetsSynapse) -> RecentTweetsSynapse:
    synapse.response = [{"Tweet": {"ID": "1234567890", "Text": f"about {synapse.query}", "Username": "peer",
                                   "Count": synapse.count}}]
    return synapse


def main(port):
    wallet = Wallet(name="axon", hotkey="default", path=tempfile.mkdtemp())
    wallet.set_hotkey(Keypair.create_from_mnemonic(Keypair.generate_mnemonic()), encrypt=False, overwrite=True)
    axon = bt.Axon(wallet=wallet, port=port, ip="127.0.0.1", external_ip="127.0.0.1", external_port=port)
    axon.attach(forward_fn=forward)
    axon.start()
    print(json.dumps({"hotkey": wallet.hotkey.ss58_address, "port": port}), flush=True)
    sys.stdin.read()
    axon.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
