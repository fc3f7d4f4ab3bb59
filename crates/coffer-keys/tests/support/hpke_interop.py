"""The other side of tests/python_interop.rs: coffer's public-key records
(wrapped key types 04 and 05) written and read with Python `cryptography`'s
HPKE module, from the byte layout in docs/FORMAT.md alone.

Reads one JSON request on stdin, writes one JSON answer on stdout:
  {"op": "unwrap", "algorithm", "identity", "envelope"} -> {"dek", "kid", "public_key"}
  {"op": "wrap", "algorithm", "public_key", "envelope", "dek"} -> {"kid", "body"}
All byte strings are hex.
"""

import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

# `Suite.encrypt`/`decrypt` take no associated data; coffer binds the
# record to the message with aad = th, so these use the module's
# aad-taking entry points (the ones its own RFC 9180 vector tests use).
encrypt_with_aad = rust_openssl.hpke._encrypt_with_aad
decrypt_with_aad = rust_openssl.hpke._decrypt_with_aad

TYPES = {"x25519": 0x04, "xwing": 0x05}
KEM_IDS = {"x25519": 0x0020, "xwing": 0x647A}
KEMS = {"x25519": hpke.KEM.X25519, "xwing": hpke.KEM.MLKEM768_X25519}


def suite(algorithm):
    return hpke.Suite(KEMS[algorithm], hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def private_key(algorithm, secret):
    if algorithm == "x25519":
        return x25519.X25519PrivateKey.from_private_bytes(secret)
    # X-Wing: the 32-byte seed expands with SHAKE256 to the ML-KEM-768 seed
    # (d || z, 64 bytes) and the X25519 private key (32 bytes).
    expanded = hashlib.shake_256(secret).digest(96)
    return hpke.MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]),
        x25519.X25519PrivateKey.from_private_bytes(expanded[64:]),
    )


def public_key(algorithm, raw):
    if algorithm == "x25519":
        return x25519.X25519PublicKey.from_public_bytes(raw)
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:1184]),
        x25519.X25519PublicKey.from_public_bytes(raw[1184:]),
    )


def xwing_public_bytes(secret):
    """X-Wing's public key encoding, pk_M || pk_X, from the seed."""
    expanded = hashlib.shake_256(secret).digest(96)
    pk_m = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]).public_key().public_bytes_raw()
    pk_x = x25519.X25519PrivateKey.from_private_bytes(expanded[64:]).public_key().public_bytes_raw()
    return pk_m + pk_x


def fingerprint(algorithm, raw_public):
    data = b"coffer/v1 recipient\x00" + bytes([TYPES[algorithm]]) + struct.pack(">H", KEM_IDS[algorithm]) + raw_public
    return hashlib.sha256(data).digest()[:16]


def parse(envelope):
    """The header fields coffer's records are bound to (no external AAD)."""
    assert envelope[:5] == b"\x89CFR\x01", "not a version 1 coffer envelope"
    assert envelope[5] == 0, "external AAD is not used here"
    suite_id = envelope[6:8]
    (context_len,) = struct.unpack(">H", envelope[10:12])
    message_id = envelope[12:44]
    x = 44 + context_len
    core = envelope[:x]
    commitment = envelope[x : x + 32]
    (keys_len,) = struct.unpack(">H", envelope[x + 32 : x + 34])
    section = envelope[x + 34 : x + 34 + keys_len]
    records, at = [], 1
    for _ in range(section[0]):
        key_type, kid_len = section[at], section[at + 1]
        kid = section[at + 2 : at + 2 + kid_len]
        (body_len,) = struct.unpack(">H", section[at + 2 + kid_len : at + 4 + kid_len])
        body = section[at + 4 + kid_len : at + 4 + kid_len + body_len]
        records.append((key_type, kid, body))
        at += 4 + kid_len + body_len
    return {
        "suite": suite_id,
        "message_id": message_id,
        "th": hashlib.sha256(core).digest(),
        "commitment": commitment,
        "records": records,
    }


def info(algorithm, header, kid):
    return (
        b"coffer/v1 wrap\x00"
        + bytes([TYPES[algorithm]])
        + header["suite"]
        + bytes([len(kid)])
        + kid
        + header["message_id"]
    )


def commitment(header, dek):
    """C from the key schedule: HKDF-SHA256(salt = message_id, ikm = DEK),
    expanded with "coffer/v1 derive" || 00 || suite || th; C is bytes 44..76."""
    prk = hmac.new(header["message_id"], dek, hashlib.sha256).digest()
    okm = HKDFExpand(hashes.SHA256(), 108, b"coffer/v1 derive\x00" + header["suite"] + header["th"]).derive(prk)
    return okm[44:76]


def unwrap(request):
    algorithm = request["algorithm"]
    secret = bytes.fromhex(request["identity"])
    header = parse(bytes.fromhex(request["envelope"]))
    raw_public = (
        private_key(algorithm, secret).public_key().public_bytes_raw()
        if algorithm == "x25519"
        else xwing_public_bytes(secret)
    )
    kid = fingerprint(algorithm, raw_public)
    (body,) = [b for t, k, b in header["records"] if t == TYPES[algorithm] and k == kid]
    dek = decrypt_with_aad(
        suite(algorithm), body, private_key(algorithm, secret), info=info(algorithm, header, kid), aad=header["th"]
    )
    assert commitment(header, dek) == header["commitment"], "the data key does not derive the commitment"
    return {"dek": dek.hex(), "kid": kid.hex(), "public_key": raw_public.hex()}


def wrap(request):
    algorithm = request["algorithm"]
    raw_public = bytes.fromhex(request["public_key"])
    header = parse(bytes.fromhex(request["envelope"]))
    kid = fingerprint(algorithm, raw_public)
    body = encrypt_with_aad(
        suite(algorithm),
        bytes.fromhex(request["dek"]),
        public_key(algorithm, raw_public),
        info=info(algorithm, header, kid),
        aad=header["th"],
    )
    return {"kid": kid.hex(), "body": body.hex()}


def main():
    request = json.load(sys.stdin)
    answer = {"unwrap": unwrap, "wrap": wrap}[request["op"]](request)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
