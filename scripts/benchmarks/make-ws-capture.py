#!/usr/bin/env python3
"""Writes a large classic pcap of WebSocket sessions for the capture benchmark.

Each session: TCP handshake, a login-like upgrade GET carrying a fresh HS256
JWT (Authorization: Bearer), the 101, then a mix of masked client text frames
and server text frames of 10 B to 70 KB, some binary frames, a close each way
and FINs. Segments are cut at 1448 bytes as on a real link. Deterministic
(seeded) so runs compare like with like.

Two shapes (issue 19 benchmarks both):
- default: 4-11 rounds of a client message and its reply (plus a binary
  frame every third round), cut into 1448-byte segments (an Ethernet link);
- --messages N --segment 65483: the loopback shape of a tcpdump on `lo`:
  rounds of one client message of 10 B to 70 KB answered by four small
  server events and a binary echo, about N messages per session in all,
  in segments of up to 65483 bytes (lo's MTU of 65536 less the headers).
The options are independent: --segment alone keeps the default rounds.

usage: make-ws-capture.py OUT.pcap [--sessions N] [--seed S] [--messages N] [--segment BYTES]
"""
import argparse, base64, hashlib, hmac, json, random, struct

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt(sub, iat, secret=b"staging-test-secret-0123456789abcdef"):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    c = b64u(json.dumps({"sub": sub, "iat": iat, "exp": iat + 3600, "iss": "bench"}, separators=(",", ":")).encode())
    s = b64u(hmac.new(secret, f"{h}.{c}".encode(), hashlib.sha256).digest())
    return f"{h}.{c}.{s}"

def ws_frame(opcode, payload, mask):
    head = bytes([0x80 | opcode])
    mbit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = mask.to_bytes(4, "big")
    # XOR with a repeated key via int arithmetic: fast enough for hundreds of MB.
    rep = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(rep, "big")).to_bytes(n, "big") if n else b""
    return head + key + masked

class Writer:
    def __init__(self, f):
        self.f = f
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_764_050_400_000_000

    def packet(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        self.t += 50
        ip_len = 40 + len(payload)
        eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 6, 0, src, dst)
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0)
        frame = eth + ip + tcp + payload
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10

def default_rounds(send, rng):
    """The original shape; its random draws are unchanged, so the default capture keeps its bytes."""
    for m in range(rng.randrange(4, 12)):
        size = rng.choice([10, 40, 200, 1500, 8000, 30000, 70000])
        text = (f'{{"type":"user_message","n":{m},"body":"' + "x" * size + '"}').encode()
        send(ws_frame(1, text, rng.randrange(1 << 32)), True)
        reply = (f'{{"type":"agent_completed","n":{m},"result":"' + "y" * rng.choice([10, 300, 5000, 70000]) + '"}').encode()
        send(ws_frame(1, reply, None), False)
        if m % 3 == 0:
            send(ws_frame(2, bytes(rng.getrandbits(8) for _ in range(64)) * 16, None), False)

def loopback_rounds(send, rng, messages):
    """About `messages` messages: the welcome and the two closes, then rounds of six
    (a client message of 10 B to 70 KB, four small server events, a binary echo)."""
    for m in range(max(1, (messages - 3) // 6)):
        size = rng.choice([10, 40, 200, 1500, 8000, 30000, 70000])
        text = (f'{{"type":"user_message","n":{m},"body":"' + "x" * size + '"}').encode()
        send(ws_frame(1, text, rng.randrange(1 << 32)), True)
        for event in ("agent_started", "agent_thinking", "tool_executing", "agent_completed"):
            send(ws_frame(1, json.dumps({"type": event, "n": m, "run_id": f"run-{m}"}).encode(), None), False)
        send(ws_frame(2, text, None), False)

def session(w, rng, i, messages=None, segment=1448):
    cip = bytes([10, 1, (i >> 8) & 0xFF, i & 0xFF])
    sip = bytes([10, 2, 0, 1])
    cport, sport = 20000 + (i % 40000), 8000
    cseq, sseq = rng.randrange(1 << 32), rng.randrange(1 << 32)
    w.packet(cip, sip, cport, sport, cseq, 0, SYN); cseq += 1
    w.packet(sip, cip, sport, cport, sseq, cseq, SYN | ACK); sseq += 1
    w.packet(cip, sip, cport, sport, cseq, sseq, ACK)

    def send(data, from_client):
        nonlocal cseq, sseq
        for off in range(0, len(data), segment):
            seg = data[off:off + segment]
            if from_client:
                w.packet(cip, sip, cport, sport, cseq, sseq, PSH | ACK, seg); cseq += len(seg)
            else:
                w.packet(sip, cip, sport, cport, sseq, cseq, PSH | ACK, seg); sseq += len(seg)
        if from_client:
            w.packet(sip, cip, sport, cport, sseq, cseq, ACK)
        else:
            w.packet(cip, sip, cport, sport, cseq, sseq, ACK)

    token = jwt(f"user-{i}", 1_764_050_400 + i)
    send((f"GET /ws HTTP/1.1\r\nHost: staging.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          f"Authorization: Bearer {token}\r\n\r\n").encode(), True)
    send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", False)
    send(ws_frame(1, json.dumps({"type": "connection_established", "user_id": f"user-{i}"}).encode(), None), False)
    if messages is not None:
        loopback_rounds(send, rng, messages)
    else:
        default_rounds(send, rng)
    send(ws_frame(8, struct.pack(">H", 1000) + b"bye", rng.randrange(1 << 32)), True)
    send(ws_frame(8, struct.pack(">H", 1000), None), False)
    w.packet(sip, cip, sport, cport, sseq, cseq, FIN | ACK); sseq += 1
    w.packet(cip, sip, cport, sport, cseq, sseq, FIN | ACK); cseq += 1
    w.packet(sip, cip, sport, cport, sseq, cseq, ACK)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--sessions", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--messages", type=int, default=None, help="about this many messages per session, in the loopback shape")
    p.add_argument("--segment", type=int, default=1448, help="largest TCP payload per packet (65483 on loopback)")
    a = p.parse_args()
    if not 1 <= a.segment <= 65483:
        p.error("--segment must be 1..65483 (an IPv4 packet holds at most 65535 bytes)")
    rng = random.Random(a.seed)
    with open(a.out, "wb") as f:
        w = Writer(f)
        for i in range(a.sessions):
            session(w, rng, i, a.messages, a.segment)

if __name__ == "__main__":
    main()
