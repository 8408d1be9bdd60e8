"""The two fixes the Python SDKs need to talk to chopsticks (the local chain).

1. Both bittensor 10.2.0 (through async-substrate-interface 1.6.4) and 11.3.0 (its own
   ``bittensor._transport``) send ``state_call`` data as hex without the ``0x`` prefix. A
   subtensor node accepts that; chopsticks refuses it ("hexadecimal string doesn't start
   with 0x").
2. async-substrate-interface asks for the next nonce with ``account_nextIndex``, an alias
   that subtensor nodes serve and chopsticks does not ("account_nextIndex not supported");
   chopsticks serves the same method under its canonical name ``system_accountNextIndex``.

``apply()`` rewrites those two on the way out, in whichever SDK is installed, and changes
nothing else: a harness fix for the local node, not a change of the SDK's behaviour.
"""


def _method(method):
    return "system_accountNextIndex" if method == "account_nextIndex" else method


def _fixed(method, params):
    if (
        method == "state_call"
        and isinstance(params, list)
        and len(params) > 1
        and isinstance(params[1], str)
        and not params[1].startswith("0x")
    ):
        return [params[0], "0x" + params[1]] + list(params[2:])
    return params


def apply():
    try:  # bittensor 11.x: every frame goes through _transport.rpc._dumps
        from bittensor._transport import rpc

        original_dumps = rpc._dumps

        def dumps(frame):
            frames = frame if isinstance(frame, list) else [frame]
            for f in frames:
                if isinstance(f, dict) and "method" in f:
                    f["params"] = _fixed(f["method"], f.get("params"))
                    f["method"] = _method(f["method"])
            return original_dumps(frame)

        rpc._dumps = dumps
        return
    except ImportError:
        pass
    # bittensor 10.x: async-substrate-interface's sync and async clients
    from async_substrate_interface.sync_substrate import SubstrateInterface

    original = SubstrateInterface.rpc_request

    def rpc_request(self, method, params, *args, **kwargs):
        return original(self, _method(method), _fixed(method, params), *args, **kwargs)

    SubstrateInterface.rpc_request = rpc_request
    original_supports = SubstrateInterface.supports_rpc_method

    def supports_rpc_method(self, name):
        return original_supports(self, _method(name))

    SubstrateInterface.supports_rpc_method = supports_rpc_method
    try:
        from async_substrate_interface.async_substrate import AsyncSubstrateInterface

        original_async = AsyncSubstrateInterface.rpc_request

        async def rpc_request_async(self, method, params, *args, **kwargs):
            return await original_async(
                self, _method(method), _fixed(method, params), *args, **kwargs
            )

        AsyncSubstrateInterface.rpc_request = rpc_request_async
        original_supports_async = AsyncSubstrateInterface.supports_rpc_method

        async def supports_rpc_method_async(self, name):
            return await original_supports_async(self, _method(name))

        AsyncSubstrateInterface.supports_rpc_method = supports_rpc_method_async
    except ImportError:
        pass
