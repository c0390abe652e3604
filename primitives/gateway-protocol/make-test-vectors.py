#!/usr/bin/env python3
"""A second, independent implementation of the gateway protocol (Python's hashlib and the
`cryptography` package's Ed25519), which writes test-vectors.json. The Rust crate's tests, and
any other implementation (device firmware in C, a gateway of another make), must reproduce
these values.

    python3 make-test-vectors.py   # rewrites test-vectors.json next to this file
"""
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

DOMAIN = b"iotchain/v1/device-message"
KINDS = {"telemetry": 0, "login": 1, "update-report": 2}


def sha256(*parts):
    state = hashlib.sha256()
    for part in parts:
        state.update(part)
    return state.digest()


def signing_payload(genesis, device, sequence, timestamp_ms, kind, payload):
    return (DOMAIN + genesis + device + struct.pack("<QQ", sequence, timestamp_ms)
            + bytes([KINDS[kind]]) + sha256(payload))


def envelope(key, genesis, device, sequence, timestamp_ms, kind, payload):
    signature = key.sign(signing_payload(genesis, device, sequence, timestamp_ms, kind, payload))
    return (bytes([1, KINDS[kind]]) + device + struct.pack("<QQI", sequence, timestamp_ms,
            len(payload)) + payload + bytes([0]) + signature)


READ_DOMAIN = b"iotchain/v1/read-request"
KEY_TYPES = {"ed25519": 0, "sr25519": 1}


def read_signing_payload(genesis, key_type, public, time_ms, nonce, method, target):
    request = sha256(method.encode(), b" ", target.encode())
    return (READ_DOMAIN + genesis + bytes([KEY_TYPES[key_type]]) + public
            + struct.pack("<Q", time_ms) + nonce + request)


def read_request(key, public, genesis, time_ms, nonce, method, target):
    message = read_signing_payload(genesis, "ed25519", public, time_ms, nonce, method, target)
    signature = key.sign(message)
    header = ("IotchainRead key=ed25519:0x%s,time=%d,nonce=0x%s,signature=0x%s"
              % (public.hex(), time_ms, nonce.hex(), signature.hex()))
    return message, signature, header


ACK_DOMAIN = b"iotchain/v1/acknowledgement"
OUTCOME_DOMAIN = b"iotchain/v1/outcome"
ACK_STATUSES = {"accepted": 0, "duplicate": 1, "refused": 2}
OUTCOME_STATUSES = {"recorded": 0, "refused": 1}


def ack_bytes(ack):
    reason = ack["reason"].encode()
    return (bytes.fromhex(ack["device"]) + struct.pack("<Q", ack["sequence"])
            + bytes.fromhex(ack["message"]) + bytes([ACK_STATUSES[ack["status"]], len(reason)])
            + reason)


def ack_signing_payload(genesis, gateway, acks):
    digest = sha256(*[ack_bytes(ack) for ack in acks])
    return digest, ACK_DOMAIN + genesis + bytes([KEY_TYPES["ed25519"]]) + gateway + digest


def outcome_signing_payload(genesis, gateway, outcome):
    return (OUTCOME_DOMAIN + genesis + bytes([KEY_TYPES["ed25519"]]) + gateway
            + bytes.fromhex(outcome["device"]) + struct.pack("<Q", outcome["sequence"])
            + bytes.fromhex(outcome["message"]) + bytes([OUTCOME_STATUSES[outcome["status"]]])
            + struct.pack("<Q", outcome["block"]) + sha256(bytes.fromhex(outcome["detail"])))


def leaf_hash(data):
    return sha256(b"\x00", data)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves):
    if not leaves:
        return sha256()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def path(leaves, index):
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if index < k:
        return path(leaves[:k], index) + [root(leaves[k:])]
    return path(leaves[k:], index - k) + [root(leaves[:k])]


def main():
    seed = bytes(range(32))
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    genesis = bytes([0x33]) * 32
    device = bytes([0x11]) * 32
    base_time = 1_790_000_000_000

    messages = []
    for sequence in range(1, 14):
        kind = ["telemetry", "telemetry", "login", "update-report"][sequence % 4]
        payload = json.dumps({"temperature_mc": 21000 + sequence}).encode()
        timestamp_ms = base_time + 1000 * sequence
        wire = envelope(key, genesis, device, sequence, timestamp_ms, kind, payload)
        messages.append({
            "sequence": sequence,
            "timestamp_ms": timestamp_ms,
            "kind": kind,
            "payload": payload.hex(),
            "signing_payload": signing_payload(genesis, device, sequence, timestamp_ms, kind,
                                               payload).hex(),
            "envelope": wire.hex(),
            "leaf_hash": leaf_hash(wire).hex(),
        })

    leaves = [bytes.fromhex(m["leaf_hash"]) for m in messages]
    trees = []
    for size in range(0, len(leaves) + 1):
        tree = {"size": size, "root": root(leaves[:size]).hex(), "proofs": []}
        for index in range(size):
            tree["proofs"].append([p.hex() for p in path(leaves[:size], index)])
        trees.append(tree)

    read_requests = []
    for i, (method, target) in enumerate([
        ("GET", "/v1/proofs/0x" + device.hex() + "/3"),
        ("GET", "/v1/proofs/0x" + device.hex() + "/3?payload=omit"),
        ("GET", "/v1/outcomes/0x" + device.hex() + "/2"),
    ]):
        time_ms = base_time + 60_000 + i
        nonce = bytes([0xa0 + i]) * 16
        message, signature, header = read_request(key, public, genesis, time_ms, nonce, method,
                                                  target)
        read_requests.append({
            "method": method,
            "target": target,
            "time_ms": time_ms,
            "nonce": nonce.hex(),
            "signing_payload": message.hex(),
            "signature": signature.hex(),
            "authorization": header,
        })

    # The gateway's answers, signed by a gateway key of its own (ed25519, so this implementation
    # can sign; gateways sign with sr25519 chain keys, which verify the same way otherwise).
    gateway_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    gateway = gateway_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                    serialization.PublicFormat.Raw)
    zero = bytes(32).hex()

    def ack(index, status, reason=""):
        return {"device": device.hex(), "sequence": messages[index]["sequence"],
                "message": messages[index]["leaf_hash"], "status": status, "reason": reason}

    ack_lists = [
        # An HTTP response: four answers under one signature, the last for bytes that were no
        # envelope (it names no message).
        [ack(0, "accepted"), ack(1, "duplicate"), ack(2, "refused", "replayed-sequence"),
         {"device": zero, "sequence": 0, "message": zero, "status": "refused",
          "reason": "malformed"}],
        # A WebSocket or MQTT answer: one message, one signature.
        [ack(4, "accepted")],
        [ack(5, "refused", "rate-limited")],
    ]
    acknowledgements = []
    for acks in ack_lists:
        digest, message = ack_signing_payload(genesis, gateway, acks)
        acknowledgements.append({"acks": acks, "digest": digest.hex(),
                                 "signing_payload": message.hex(),
                                 "signature": gateway_key.sign(message).hex()})

    outcomes = []
    for index, status, block, detail in [
        (2, "recorded", 1234, bytes(range(64)) + b"\x01"),
        (6, "refused", 1240, b"LoginRecords::NonceAlreadyUsed"),
        (10, "refused", 0, b"not-assigned"),
    ]:
        outcome = {"device": device.hex(), "sequence": messages[index]["sequence"],
                   "message": messages[index]["leaf_hash"], "status": status, "block": block,
                   "detail": detail.hex()}
        message = outcome_signing_payload(genesis, gateway, outcome)
        outcomes.append({"outcome": outcome, "signing_payload": message.hex(),
                         "signature": gateway_key.sign(message).hex()})

    vectors = {
        "about": "Written by make-test-vectors.py (Python hashlib + cryptography); see "
                 "docs/gateway-protocol.md.",
        "ed25519_seed": seed.hex(),
        "ed25519_public": public.hex(),
        "genesis": genesis.hex(),
        "device": device.hex(),
        "messages": messages,
        "trees": trees,
        "read_requests": read_requests,
        "gateway_ed25519_seed": bytes(range(32, 64)).hex(),
        "gateway_ed25519_public": gateway.hex(),
        "acknowledgements": acknowledgements,
        "outcomes": outcomes,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-vectors.json")
    with open(out, "w") as f:
        json.dump(vectors, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
