#!/usr/bin/env python3
"""The Python SDK's btauth/1 (bittensor 11.3.0's `bittensor.http_auth`, in .venv-sdk-11) as the
other side of the btauth interop tests. Keys come from 32-byte seeds (hex), as both sides derive
them. JSON in on stdin, JSON out on stdout.

  btauth_peer.py keys          [{"seed", "crypto"}] -> [{"hotkey", "public"}]
  btauth_peer.py payload       [{"scheme", "method", "path", "body", "nonce", "sender", "receiver"}]
                               -> [hex of build_payload(...)]
  btauth_peer.py sign          [{"seed", "crypto", "method", "path", "body", "receiver", "nonce"}]
                               -> [headers]
  btauth_peer.py verify        {"cases": [{"headers", "body", "method", "path", "self_hotkey",
                               "now_ns"?, "require_receiver"?, "max_age"?, "allowed_skew"?}]}
                               -> [{"ok": {"hotkey", "nonce_ns", "crypto_type"}} | {"error", "message"}]
                               (one nonce store for the whole batch, so replays show)
  btauth_peer.py ss58 SEED     -> [[format, address, accepted by verify]] for all 16384 formats
  btauth_peer.py serve PORT SEED
                               an HTTP server whose every request goes through the SDK's
                               verify; POST /recent_tweets answers {"query", "count", "response"}
                               like a reference-subnet miner. Prints {"hotkey", "port"}, serves
                               until stdin closes.
  btauth_peer.py call URL RECEIVER SEED CRYPTO BODY [TIMES]
                               signs BODY with the SDK and POSTs it TIMES times (the same signed
                               request each time) -> [{"status", "body"}]
Bodies are hex ("" for empty). Crypto is "sr25519" or "ed25519".
"""
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bittensor_core
from bittensor import http_auth

CRYPTO = {"sr25519": bittensor_core.CRYPTO_SR25519, "ed25519": bittensor_core.CRYPTO_ED25519}


def keypair(seed_hex, crypto):
    return bittensor_core.Keypair.create_from_seed(bytes.fromhex(seed_hex), CRYPTO[crypto])


def keys(items):
    out = []
    for item in items:
        kp = keypair(item["seed"], item["crypto"])
        out.append({"hotkey": kp.ss58_address, "public": bytes(kp.public_key).hex()})
    return out


def payload(items):
    return [
        http_auth.build_payload(
            scheme=i["scheme"], method=i["method"], path=i["path"], body=bytes.fromhex(i["body"]),
            nonce_ns=i["nonce"], sender_ss58=i["sender"], receiver_ss58=i["receiver"],
        ).hex()
        for i in items
    ]


def sign(items):
    return [
        http_auth.sign(
            keypair(i["seed"], i["crypto"]), method=i["method"], path=i["path"],
            body=bytes.fromhex(i["body"]), receiver_ss58=i.get("receiver"), nonce_ns=i.get("nonce"),
        )
        for i in items
    ]


def verify_one(case, store):
    try:
        caller = http_auth.verify(
            case["headers"], bytes.fromhex(case["body"]), method=case["method"], path=case["path"],
            self_hotkey_ss58=case["self_hotkey"],
            max_age=case.get("max_age", http_auth.DEFAULT_MAX_AGE),
            allowed_skew=case.get("allowed_skew", http_auth.DEFAULT_ALLOWED_SKEW),
            require_receiver=case.get("require_receiver", True), nonce_store=store,
            now_ns=case.get("now_ns"),
        )
    except http_auth.AuthError as e:
        return {"error": type(e).__name__, "message": str(e)}
    return {"ok": {"hotkey": caller.hotkey_ss58, "nonce_ns": caller.nonce_ns,
                   "crypto_type": caller.crypto_type}}


def verify(request):
    store = http_auth.InMemoryNonceStore()
    return [verify_one(case, store) for case in request["cases"]]


def ss58(seed_hex):
    kp = keypair(seed_hex, "sr25519")
    public = bittensor_core.ss58_decode(kp.ss58_address)
    message = b"ss58"
    signature = bytes(kp.sign(message))
    out = []
    for fmt in range(16384):
        address = bittensor_core.ss58_encode(public, fmt)
        try:
            accepted = bittensor_core.verify(message, signature, address, bittensor_core.CRYPTO_SR25519)
        except ValueError:
            accepted = False
        out.append([fmt, address, accepted])
    return out


def serve(port, seed_hex):
    me = keypair(seed_hex, "sr25519")
    store = http_auth.InMemoryNonceStore()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, value):
            data = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            try:
                caller = http_auth.verify(dict(self.headers.items()), body, method=self.command,
                                          path=self.path, self_hotkey_ss58=me.ss58_address,
                                          nonce_store=store)
            except http_auth.AuthError as e:
                return self.reply(401, {"error": type(e).__name__, "message": str(e)})
            if urllib.parse.urlsplit(self.path).path != "/recent_tweets":
                return self.reply(404, {"message": "no such route"})
            request = json.loads(body)
            request["response"] = [{"Tweet": {"ID": "1234567890", "Text": f"about {request['query']}",
                                              "Username": caller.hotkey_ss58, "Count": request.get("count")}}]
            self.reply(200, request)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"hotkey": me.ss58_address, "port": port}), flush=True)
    sys.stdin.read()
    server.shutdown()


def call(url, receiver, seed_hex, crypto, body_hex, times=1):
    body = bytes.fromhex(body_hex)
    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    headers = http_auth.sign(keypair(seed_hex, crypto), method="POST", path=target, body=body,
                             receiver_ss58=receiver)
    headers["content-type"] = "application/json"
    out = []
    for _ in range(times):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                out.append({"status": response.status, "body": response.read().decode()})
        except urllib.error.HTTPError as e:
            out.append({"status": e.code, "body": e.read().decode()})
    return out


def main(argv):
    command = argv[1]
    if command == "serve":
        return serve(int(argv[2]), argv[3])
    if command == "call":
        result = call(argv[2], argv[3], argv[4], argv[5], argv[6], int(argv[7]) if len(argv) > 7 else 1)
    elif command == "ss58":
        result = ss58(argv[2])
    else:
        request = json.load(sys.stdin)
        result = {"keys": keys, "payload": payload, "sign": sign, "verify": verify}[command](request)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main(sys.argv)
