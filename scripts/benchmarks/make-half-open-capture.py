#!/usr/bin/env python3
"""Writes a hostile capture: N TCP connections that open, send half an HTTP
request head and never finish (no FIN, no RST), all open at once. Used to
measure the importer's memory bound (issue 8).

usage: make-half-open-capture.py OUT.pcap [--connections N]
"""
import argparse, struct

def checksum_free_ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--connections", type=int, default=100_000)
    args = parser.parse_args()
    head = b"GET /api/session HTTP/1.1\r\nHost: staging\r\nAuthorization: Bearer eyJhbGciOi"
    server = [10, 9, 0, 1]
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_764_050_400 * 1_000_000
        for i in range(args.connections):
            client = [10, 8 + (i >> 16) % 200, (i >> 8) & 0xFF, i & 0xFF]
            port = 1024 + i % 60000
            for frame in (
                checksum_free_ipv4_tcp(client, server, port, 8000, 1000, 0, 0x02, b""),
                checksum_free_ipv4_tcp(server, client, 8000, port, 5000, 1001, 0x12, b""),
                checksum_free_ipv4_tcp(client, server, port, 8000, 1001, 5001, 0x18, head),
            ):
                t += 10
                f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)) + frame)

main()
