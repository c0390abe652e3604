#!/usr/bin/env python3
"""A second, independent implementation of the certification scheme (Python's hashlib), which
writes test-vectors.json. The Rust crate's tests, and any other implementation (a phone app, a
certification centre), must reproduce these values.

    python3 make-test-vectors.py   # rewrites test-vectors.json next to this file
"""
import hashlib
import json
import os
import struct


def tagged_hash(tag, *parts):
    state = hashlib.blake2b(digest_size=32)
    state.update(tag)
    for part in parts:
        state.update(part)
    return state.digest()


def length_prefix(data):
    return struct.pack("<I", len(data))


def main():
    user_identity = b"alice@example.org"
    device_info = b"phone-serial-0001"
    app_version = b"2.4.1"
    app_checksum = hashlib.sha256(b"iot-app-2.4.1.apk").digest()
    device = bytes([0x11]) * 32
    nonce = bytes([0x22]) * 32
    genesis = bytes([0x33]) * 32
    challenge_block = 1234
    salt = bytes(range(0x40, 0x60))

    first = tagged_hash(b"iotchain/v2/user-identity", length_prefix(user_identity), user_identity)
    second = tagged_hash(b"iotchain/v2/user-device-info", length_prefix(device_info), device_info)
    third = tagged_hash(b"iotchain/v2/app-integrity", length_prefix(app_version), app_version,
                        length_prefix(app_checksum), app_checksum)
    user_device = tagged_hash(b"iotchain/v2/user-device-id", length_prefix(device_info), device_info)

    combinations = []
    for bits in (0b111, 0b011, 0b100, 0b101):
        chosen = [h for bit, h in ((0b001, first), (0b010, second), (0b100, third)) if bits & bit]
        secret = tagged_hash(b"iotchain/v2/registration-secret", bytes([bits]), salt, *chosen)
        combinations.append({
            "combination": bits,
            "registration_secret": secret.hex(),
            "registration_hash": tagged_hash(b"iotchain/v2/registration", device, user_device, secret).hex(),
            "certification_hash": tagged_hash(b"iotchain/v2/certification", secret, nonce).hex(),
        })

    login_payload = (b"iotchain/v2/login" + genesis + device + user_device + nonce
                     + struct.pack("<I", challenge_block))
    vectors = {
        "_comment": "Written by make-test-vectors.py (Python hashlib, independent of the Rust code).",
        "scheme": "v2 (salted registration secrets)",
        "hash": "BLAKE2b-256, unkeyed",
        "inputs": {
            "user_identity": user_identity.decode(),
            "user_device_info": device_info.decode(),
            "app_version": app_version.decode(),
            "app_checksum": app_checksum.hex(),
            "device": device.hex(),
            "nonce": nonce.hex(),
            "genesis": genesis.hex(),
            "challenge_block": challenge_block,
            "salt": salt.hex(),
        },
        "first_hash": first.hex(),
        "second_hash": second.hex(),
        "app_integrity_key": third.hex(),
        "user_device_id": user_device.hex(),
        "combinations": combinations,
        "login_payload": login_payload.hex(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-vectors.json")
    with open(path, "w") as out:
        json.dump(vectors, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
