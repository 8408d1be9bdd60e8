#!/usr/bin/env python3
"""The official wallet library (bittensor_wallet, in .venv-sdk) as the other side of the wallet
interop test.

  wallet_peer.py create DIR PASSWORD   writes wallet "py"/hotkey "hk" (hotkey plain, coldkey
                                       $NACL-encrypted with PASSWORD); prints their addresses
  wallet_peer.py read DIR NAME HOTKEY PASSWORD
                                       opens a wallet (decrypting the coldkey); prints addresses
"""
import json
import sys

from bittensor_wallet import Keypair, Wallet


def main(argv):
    if argv[1] == "create":
        directory, password = argv[2], argv[3]
        wallet = Wallet(name="py", hotkey="hk", path=directory)
        hotkey = Keypair.create_from_mnemonic(Keypair.generate_mnemonic())
        coldkey = Keypair.create_from_mnemonic(Keypair.generate_mnemonic())
        wallet.set_hotkey(hotkey, encrypt=False, overwrite=True)
        wallet.coldkey_file.set_keypair(coldkey, encrypt=True, overwrite=True, password=password)
        wallet.set_coldkeypub(Keypair(ss58_address=coldkey.ss58_address), encrypt=False, overwrite=True)
        print(json.dumps({"hotkey": hotkey.ss58_address, "coldkey": coldkey.ss58_address}))
    elif argv[1] == "read":
        directory, name, hotkey, password = argv[2:6]
        wallet = Wallet(name=name, hotkey=hotkey, path=directory)
        print(json.dumps({
            "hotkey": wallet.hotkey_file.get_keypair().ss58_address,
            "coldkey": wallet.coldkey_file.get_keypair(password=password).ss58_address,
            "coldkeypub": wallet.coldkeypub.ss58_address,
        }))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
