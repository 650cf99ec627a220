#!/usr/bin/env python3
"""Wraps every Ethernet frame of a classic pcap in Ethernet/IPv4/UDP 4789/VXLAN,
as AWS VPC traffic mirroring delivers it (50 bytes more per packet), for the
tunnel benchmark. Timestamps are kept.

usage: wrap-vxlan.py IN.pcap OUT.pcap [--vni N]
"""
import argparse, struct

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--vni", type=int, default=42)
    args = parser.parse_args()
    outer_eth = bytes([0x02, 0, 0, 0, 0, 0xC8, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00])
    vxlan = bytes([0x08, 0, 0, 0]) + struct.pack(">I", args.vni << 8)
    with open(args.input, "rb") as f, open(args.output, "wb") as out:
        header = f.read(24)
        magic, = struct.unpack("<I", header[:4])
        if magic != 0xA1B2C3D4 or struct.unpack("<I", header[20:24])[0] != 1:
            raise SystemExit("expected a little-endian microsecond pcap of Ethernet frames")
        out.write(header[:16] + struct.pack("<I", 262144) + header[20:24])
        while True:
            record = f.read(16)
            if len(record) < 16:
                break
            sec, usec, incl, orig = struct.unpack("<IIII", record)
            frame = f.read(incl)
            udp_len = 8 + len(vxlan) + len(frame)
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                             bytes([192, 0, 2, 1]), bytes([192, 0, 2, 200]))
            udp = struct.pack(">HHHH", 49152, 4789, udp_len, 0)
            wrapped = outer_eth + ip + udp + vxlan + frame
            out.write(struct.pack("<IIII", sec, usec, len(wrapped), orig + 50) + wrapped)

if __name__ == "__main__":
    main()
