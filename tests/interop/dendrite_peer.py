#!/usr/bin/env python3
"""The Python SDK's dendrite (bittensor 9.0.0 in .venv-sdk) calling an axon, for the miner
interop test. Usage: dendrite_peer.py IP PORT AXON_HOTKEY QUERY

Prints {"status": int, "message": str, "response": <the miner's answer>, "hotkey": our SS58}.
"""
import json
import logging
import sys
import tempfile
from typing import Any, Optional

import bittensor as bt
from bittensor.utils import networking
from bittensor_wallet import Keypair, Wallet

# The SDK asks a web service for its external IP; this machine has no such network. The value
# only fills the dendrite's ip header (a loopback address no axon here uses).
networking.get_external_ip = lambda: "127.0.0.9"

logging.disable(logging.CRITICAL)


class RecentTweetsSynapse(bt.Synapse):
    query: str
    count: Optional[int] = None
    response: Optional[Any] = None


def main(ip, port, axon_hotkey, query):
    wallet = Wallet(name="dendrite", hotkey="default", path=tempfile.mkdtemp())
    wallet.set_hotkey(Keypair.create_from_mnemonic(Keypair.generate_mnemonic()), encrypt=False, overwrite=True)
    axon = bt.AxonInfo(version=0, ip=ip, port=port, ip_type=4, hotkey=axon_hotkey, coldkey=axon_hotkey)
    dendrite = bt.Dendrite(wallet=wallet)
    [reply] = dendrite.query(axons=[axon], synapse=RecentTweetsSynapse(query=query, count=5), timeout=10,
                             deserialize=False)
    print(json.dumps({"status": reply.dendrite.status_code, "message": reply.dendrite.status_message,
                      "response": reply.response, "hotkey": wallet.hotkey.ss58_address}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
