#!/usr/bin/env python3
"""The server benchmarks' recording: one WebSocket session, handshake, six
round trips ({"type":"msg","n":N} → {"type":"echo","n":N}), close 1000 by the
client. usage: make-echo-recording.py OUT.json"""
import json, sys
msgs = []
t = 0.002
for n in range(6):
    msgs.append({"direction": "client", "at": t, "opcode": "text", "text": json.dumps({"type": "msg", "n": n}, separators=(",", ":"))}); t += 0.001
    msgs.append({"direction": "server", "at": t, "opcode": "text", "text": json.dumps({"type": "echo", "n": n}, separators=(",", ":"))}); t += 0.001
msgs.append({"direction": "client", "at": t, "opcode": "close", "code": 1000})
msgs.append({"direction": "server", "at": t + 0.001, "opcode": "close", "code": 1000})
rec = {"format": "authreplay/1", "source": {"kind": "hand-written", "name": "bench echo", "tool": "scripts/bench"},
       "capturedAt": "2026-11-25T06:00:00.000000Z",
       "sessions": [{"id": "s1", "client": "127.0.0.1:50000", "server": "127.0.0.1:8000", "start": 0.0,
                     "exchanges": [{"request": {"at": 0.001, "method": "GET", "target": "/ws", "version": "HTTP/1.1",
                                                "headers": [["Host", "127.0.0.1:8000"], ["Upgrade", "websocket"], ["Connection", "Upgrade"],
                                                            ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="], ["Sec-WebSocket-Version", "13"]]},
                                    "response": {"at": 0.0015, "version": "HTTP/1.1", "status": 101, "reason": "Switching Protocols",
                                                 "headers": [["Upgrade", "websocket"], ["Connection", "Upgrade"], ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]]}}],
                     "websocket": {"messages": msgs}, "end": {"kind": "closed", "at": t + 0.002, "by": "client"}}]}
json.dump(rec, open(sys.argv[1], "w"), indent=2)
