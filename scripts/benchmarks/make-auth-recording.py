#!/usr/bin/env python3
"""The recording of issue 19's server benchmarks, and the token to send it.

Writes OUT_DIR/auth-session.json: one WebSocket session opened with
`Authorization: Bearer <JWT>` (HS256), three client messages
{"type":"msg","n":N} each answered by {"type":"ack","n":N} then
{"type":"echo","n":N} (six server messages), close 1000 by the client; and
OUT_DIR/health.json: GET /health answered 200 {"status":"ok"}.
The recording is written as `import` would write it: redacted (the JWT keeps
header and claims, its signature becomes REDACTED...).

Prints on stdout a live JWT for the load generator: the same claims with
iat = now and exp = now + 1 h, signed with BENCH_JWT_SECRET (the peers verify
it with that secret; the mock judges its class, unknown, as recorded). The
secret is a benchmark constant, not a credential, and the token is never
written to disk.

usage: make-auth-recording.py OUT_DIR"""
import base64, hashlib, hmac, json, os, sys, time

# 32+ bytes: jwt-kit traps on shorter HMAC keys in debug builds (DESIGN.md).
BENCH_JWT_SECRET = "authreplay-bench-secret-0123456789abcdef"
CAPTURED_AT = "2026-11-25T06:00:00.000000Z"
CAPTURED_EPOCH = 1795586400  # CAPTURED_AT in seconds since the epoch


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, signature: str | None = None) -> str:
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    if signature is None:
        signature = b64url(hmac.new(BENCH_JWT_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{signature}"


def write(path: str, recording: dict) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(recording, f, indent=2)
    os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file


def recording(name: str, session: dict, counts: dict) -> dict:
    return {"format": "authreplay/1", "source": {"kind": "hand-written", "name": name, "tool": "scripts/benchmarks"},
            "capturedAt": CAPTURED_AT, "sessions": [session], "redaction": {"enabled": True, "counts": counts}}


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    claims = {"sub": "bench-user", "scope": "chat", "iat": CAPTURED_EPOCH, "exp": CAPTURED_EPOCH + 3600}
    # A redacted HS256 signature: base64url of the same length (43), starting with REDACTED.
    recorded_token = jwt(claims, signature="REDACTED" + "x" * 35)

    msgs, t = [], 0.002
    for n in range(3):
        msgs.append({"direction": "client", "at": round(t, 6), "opcode": "text", "text": json.dumps({"type": "msg", "n": n}, separators=(",", ":"))})
        for kind in ("ack", "echo"):
            t += 0.0005
            msgs.append({"direction": "server", "at": round(t, 6), "opcode": "text", "text": json.dumps({"type": kind, "n": n}, separators=(",", ":"))})
        t += 0.001
    msgs.append({"direction": "client", "at": round(t, 6), "opcode": "close", "code": 1000})
    msgs.append({"direction": "server", "at": round(t + 0.0005, 6), "opcode": "close", "code": 1000})
    ws = {"id": "ws1", "client": "127.0.0.1:50000", "server": "127.0.0.1:8000", "start": 0.0,
          "exchanges": [{"request": {"at": 0.001, "method": "GET", "target": "/ws", "version": "HTTP/1.1",
                                     "headers": [["Host", "127.0.0.1:8000"], ["Upgrade", "websocket"], ["Connection", "Upgrade"],
                                                 ["Authorization", f"Bearer {recorded_token}"],
                                                 ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="], ["Sec-WebSocket-Version", "13"]]},
                         "response": {"at": 0.0015, "version": "HTTP/1.1", "status": 101, "reason": "Switching Protocols",
                                      "headers": [["Upgrade", "websocket"], ["Connection", "Upgrade"],
                                                  ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]]}}],
          "websocket": {"messages": msgs}, "end": {"kind": "closed", "at": round(t + 0.001, 6), "by": "client"}}
    write(f"{out}/auth-session.json", recording("bench bearer session", ws, {"jwt-signature": 1}))

    body = '{"status":"ok"}'
    health = {"id": "h1", "client": "127.0.0.1:50001", "server": "127.0.0.1:8000", "start": 0.0,
              "exchanges": [{"request": {"at": 0.001, "method": "GET", "target": "/health", "version": "HTTP/1.1",
                                         "headers": [["Host", "127.0.0.1:8000"]]},
                             "response": {"at": 0.0015, "version": "HTTP/1.1", "status": 200, "reason": "OK",
                                          "headers": [["Content-Type", "application/json"], ["Content-Length", str(len(body))]],
                                          "body": {"text": body}, "framing": "content-length"}}],
              "end": {"kind": "closed", "at": 0.002, "by": "client"}}
    write(f"{out}/health.json", recording("bench health", health, {}))

    now = int(time.time())
    print(jwt({"sub": "bench-user", "scope": "chat", "iat": now, "exp": now + 3600}))


if __name__ == "__main__":
    main()
