#!/usr/bin/env python3
"""Writes the fuzz-tls seeds that need encrypted records (Fuzz/Corpus/fuzz-tls),
sealed with the keys of the target's key log for the all-zero client random
(CLIENT_RANDOM 11.., CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET 22../33..,
CLIENT_/SERVER_TRAFFIC_SECRET_0 44../55..), so the fuzzer starts past the
record decryption:

  tls12-renegotiation          a TLS 1.2 connection, a request, the server's
                               HelloRequest, a renegotiation (its ClientHello
                               reuses the zero random, so the log keys it too)
                               and a request under the new keys
  tls13-early-data-no-key      a TLS 1.3 PSK resumption whose 0-RTT data the
                               server accepts, the log lacking the early secret

Input shape (FuzzTLS.swift): first byte 0xFE (client first, 128-byte chunks),
then the two directions' streams cut into 128-byte chunks, alternating; the
shorter stream is padded with zero bytes (a bad record at its end).

    python3 Fuzz/Scripts/tls-seeds.py     (needs the cryptography package)
"""
import hashlib
import hmac
import os
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Corpus", "fuzz-tls")
ZERO = bytes(32)


def record(content_type, fragment):
    return bytes([content_type, 3, 3]) + len(fragment).to_bytes(2, "big") + fragment


def handshake(msg_type, body):
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def vector(data, length_bytes):
    return len(data).to_bytes(length_bytes, "big") + data


def prf(secret, label, seed, count):  # TLS 1.2 P_SHA256 (RFC 5246 §5)
    out, a = b"", label + seed
    while len(out) < count:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + label + seed, hashlib.sha256).digest()
    return out[:count]


def expand_label(secret, label, length):  # HKDF-Expand-Label, SHA-256 (RFC 8446 §7.1)
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


class Sealer12:  # AES-128-GCM, explicit nonce = sequence number (RFC 5288)
    def __init__(self, key, salt):
        self.aead, self.salt, self.seq = AESGCM(key), salt, 0

    def seal(self, content_type, content):
        explicit = self.seq.to_bytes(8, "big")
        self.seq += 1
        aad = explicit + bytes([content_type, 3, 3]) + len(content).to_bytes(2, "big")
        return record(content_type, explicit + self.aead.encrypt(self.salt + explicit, content, aad))


class Sealer13:  # TLS_AES_128_GCM_SHA256 (RFC 8446 §5.2)
    def __init__(self, secret):
        self.aead = AESGCM(expand_label(secret, b"key", 16))
        self.iv, self.seq = expand_label(secret, b"iv", 12), 0

    def seal(self, content_type, content):
        nonce = (int.from_bytes(self.iv, "big") ^ self.seq).to_bytes(12, "big")
        self.seq += 1
        inner = content + bytes([content_type])
        header = bytes([23, 3, 3]) + (len(inner) + 16).to_bytes(2, "big")
        return header + self.aead.encrypt(nonce, inner, header)


def tls12_sealers(master, client_random, server_random):
    block = prf(master, b"key expansion", server_random + client_random, 2 * (16 + 4))
    return Sealer12(block[0:16], block[32:36]), Sealer12(block[16:32], block[36:40])


def seed(client, server):
    chunks, size = [], 128
    length = max(len(client), len(server))
    length += -length % size
    client, server = client.ljust(length, b"\x00"), server.ljust(length, b"\x00")
    for i in range(0, length, size):
        chunks += [client[i:i + size], server[i:i + size]]
    return bytes([0xFE]) + b"".join(chunks)


def renegotiation():
    master = bytes([0x11]) * 48
    first_server, second_server = bytes(range(1, 33)), bytes(range(33, 65))
    c1, s1 = tls12_sealers(master, ZERO, first_server)
    c2, s2 = tls12_sealers(master, ZERO, second_server)
    hello = lambda t, rnd: handshake(t, b"\x03\x03" + rnd + (b"\x00" + vector(b"\xc0\x2f", 2) + b"\x01\x00" if t == 1 else b"\x00\xc0\x2f\x00"))
    finished = handshake(20, bytes([0xEE]) * 12)
    client = (record(22, hello(1, ZERO)) + record(20, b"\x01") + c1.seal(22, finished)
              + c1.seal(23, b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
              + c1.seal(22, hello(1, ZERO)) + c1.seal(20, b"\x01") + c2.seal(22, finished)
              + c2.seal(23, b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n"))
    server = (record(22, hello(2, first_server)) + record(20, b"\x01") + s1.seal(22, finished)
              + s1.seal(23, b"HTTP/1.1 204 No Content\r\n\r\n") + s1.seal(22, handshake(0, b""))
              + s1.seal(22, hello(2, second_server)) + s1.seal(20, b"\x01") + s2.seal(22, finished)
              + s2.seal(23, b"HTTP/1.1 204 No Content\r\n\r\n"))
    return seed(client, server)


def early_data_without_key():
    client_hs, server_hs = Sealer13(bytes([0x22]) * 32), Sealer13(bytes([0x33]) * 32)
    client_app, server_app = Sealer13(bytes([0x44]) * 32), Sealer13(bytes([0x55]) * 32)
    early = Sealer13(bytes([0x66]) * 32)  # not in the target's log
    hello_body = (b"\x03\x03" + ZERO + b"\x00" + vector(b"\x13\x01", 2) + b"\x01\x00"
                  + vector(b"\x00\x2a\x00\x00", 2))  # early_data
    server_hello = handshake(2, b"\x03\x03" + bytes(range(1, 33)) + b"\x00\x13\x01\x00"
                             + vector(b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x29\x00\x02\x00\x00", 2))
    finished = handshake(20, bytes([0xAB]) * 32)
    client = (record(22, handshake(1, hello_body)) + early.seal(23, b"GET /early HTTP/1.1\r\nHost: a\r\n\r\n")
              + early.seal(22, handshake(5, b"")) + client_hs.seal(22, finished)
              + client_app.seal(23, b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n"))
    server = (record(22, server_hello) + record(20, b"\x01")
              + server_hs.seal(22, handshake(8, vector(b"\x00\x2a\x00\x00", 2)) + finished)
              + server_app.seal(23, b"HTTP/1.1 204 No Content\r\n\r\n"))
    return seed(client, server)


for name, data in [("tls12-renegotiation", renegotiation()), ("tls13-early-data-no-key", early_data_without_key())]:
    with open(os.path.join(CORPUS, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")
