#!/usr/bin/env python3
"""The "typical staging stack" peer for the server benchmarks (issue 19): an
aiohttp service doing what the mock replays from auth-session.json and
health.json (make-auth-recording.py):

- GET /ws: the handshake must carry `Authorization: Bearer <JWT>`, verified
  with PyJWT (HS256, the benchmark secret, `exp` required), as a staging
  service checks its tokens; else 401 before the upgrade. Each text message
  {"type":"msg","n":N} is answered by {"type":"ack","n":N} then
  {"type":"echo","n":N}; a close is answered by a close.
- GET /health: 200 {"status":"ok"} (application/json).

Prints `listening on http://127.0.0.1:PORT`. usage: aiohttp_server.py [PORT]"""
import socket, sys

import jwt
from aiohttp import web, WSMsgType

# The same benchmark constant make-auth-recording.py signs with (not a credential).
BENCH_JWT_SECRET = "authreplay-bench-secret-0123456789abcdef"
HEALTH = b'{"status":"ok"}'


async def ws(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme != "Bearer":
            raise jwt.InvalidTokenError("no bearer token")
        jwt.decode(token, BENCH_JWT_SECRET, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.InvalidTokenError:
        return web.json_response({"error": "invalid_token"}, status=401, headers={"WWW-Authenticate": "Bearer"})
    sock = web.WebSocketResponse(autoping=True)
    await sock.prepare(request)
    async for msg in sock:
        if msg.type == WSMsgType.TEXT:
            await sock.send_str(msg.data.replace('"msg"', '"ack"'))
            await sock.send_str(msg.data.replace('"msg"', '"echo"'))
    return sock


async def health(request):
    return web.Response(body=HEALTH, content_type="application/json")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    print(f"listening on http://127.0.0.1:{s.getsockname()[1]}", flush=True)
    app = web.Application()
    app.router.add_get("/ws", ws)
    app.router.add_get("/health", health)
    web.run_app(app, sock=s, print=None, access_log=None)


if __name__ == "__main__":
    main()
