#!/usr/bin/env python3
"""A staging-like auth service on aiohttp, for the differential tests.

Not written around authreplay: an ordinary aiohttp app with its own choices
(close codes 4401/4403, a ``bearer`` subprotocol, an ``access_token`` cookie,
first-message auth, fragmented frames written by hand, permessage-deflate
through aiohttp's own ``compress``, a server ping).

    python3 service.py --port 0 [--regression]

prints ``listening on http://127.0.0.1:PORT`` as its first stdout line.
The same API as ../node/service.js; the scenarios are in ../node/client.js
and client.py.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import struct
import sys
import time
import uuid

from aiohttp import WSMsgType, web

SECRET = b"peer-staging-secret-0123456789abcdef"
TOKEN_LIFETIME = 2  # seconds: the expired-token scenario waits it out
USERS = {"alice": "correct horse battery staple", "bob": "correct horse battery staple"}  # bob: a second client at once (socketio_client sio_polling_pair)
USER_CONTEXT_ERROR = "user_context must be a UserExecutionContext instance"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(sub: str) -> str:
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": sub, "iss": "peer-python", "iat": now, "exp": now + TOKEN_LIFETIME, "jti": str(uuid.uuid4())}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def verify(token):
    """The subject of a valid token, else (None, why)."""
    if not token:
        return None, "missing token"
    parts = token.split(".")
    if len(parts) != 3:
        return None, "malformed token"
    try:
        expected = hmac.new(SECRET, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, b64url_decode(parts[2])):
            return None, "bad signature"
        claims = json.loads(b64url_decode(parts[1]))
    except Exception:
        return None, "malformed token"
    if claims.get("exp", 0) <= time.time():
        return None, "token expired"
    return claims.get("sub"), None


class Service:
    def __init__(self, regression: bool):
        self.regression = regression
        self.refresh_tokens = {}  # refresh token -> user

    def issue(self, user):
        refresh = secrets.token_urlsafe(32)
        self.refresh_tokens[refresh] = user
        return {
            "access_token": mint(user),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
        }

    async def token(self, request):
        try:
            body = await request.json()
        except Exception:
            return web.json_response({"error": "invalid_request"}, status=400)
        user = body.get("username")
        if USERS.get(user) is None or USERS[user] != body.get("password"):
            return web.json_response({"error": "invalid_credentials", "message": "wrong username or password"}, status=401)
        return web.json_response(self.issue(user))

    async def refresh(self, request):
        try:
            body = await request.json()
        except Exception:
            return web.json_response({"error": "invalid_request"}, status=400)
        user = self.refresh_tokens.pop(body.get("refresh_token"), None)
        if user is None:
            return web.json_response({"error": "invalid_refresh_token"}, status=401)
        return web.json_response(self.issue(user))

    async def websocket(self, request):
        stream = request.query.get("stream", "default")
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        token, source = None, None
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            token, source = authorization[7:].strip(), "header"
        elif "token" in request.query:
            token, source = request.query["token"], "query"
        elif len(offered) >= 2 and offered[0] == "bearer":
            token, source = offered[1], "subprotocol"
        elif "access_token" in request.cookies:
            token, source = request.cookies["access_token"], "cookie"

        if source == "header":
            user, why = verify(token)
            if user is None and why != "token expired":
                # A bad Authorization header is refused before the upgrade.
                return web.json_response({"error": "invalid_token", "message": why}, status=401)

        ws = web.WebSocketResponse(protocols=("bearer",) if source == "subprotocol" else (), autoping=False, compress=True)
        await ws.prepare(request)

        if source is None:
            # First-message auth: {"type":"auth","token":...}.
            msg = await ws.receive(timeout=10)
            first = None
            if msg.type == WSMsgType.TEXT:
                try:
                    first = json.loads(msg.data)
                except ValueError:
                    first = None
            if isinstance(first, dict) and first.get("type") == "auth":
                token, source = first.get("token"), "message"
            else:
                return await self.refuse(ws, "first message must be an auth message")

        user, why = verify(token)
        if user is None:
            return await self.refuse(ws, why)
        if self.regression:
            return await self.refuse(ws, USER_CONTEXT_ERROR)

        await ws.send_json({"type": "auth_ok", "user": user, "via": source, "stream": stream,
                            "connection_id": str(uuid.uuid4()), "server_time": time.time()})
        if stream == "heartbeat":
            await ws.ping(b"hb")
        seq = 0
        async for msg in ws:
            if msg.type == WSMsgType.PING:
                await ws.pong(msg.data)
                continue
            if msg.type == WSMsgType.PONG:
                await ws.send_json({"type": "pong_received", "payload": msg.data.decode(errors="replace")})
                continue
            if msg.type == WSMsgType.BINARY:
                await ws.send_json({"type": "binary_received", "length": len(msg.data), "sha256": hashlib.sha256(msg.data).hexdigest()})
                continue
            if msg.type != WSMsgType.TEXT:
                break
            try:
                data = json.loads(msg.data)
            except ValueError:
                await ws.send_json({"type": "error_message", "error_code": "BAD_MESSAGE"})
                continue
            kind = data.get("type")
            if kind == "subscribe":
                channel = data.get("channel")
                if channel == "admin":
                    await ws.send_json({"type": "error_message", "error_code": "FORBIDDEN",
                                        "error_message": "not allowed on channel admin", "timestamp": time.time()})
                    await ws.close(code=4403, message=b"forbidden")
                    break
                seq += 1
                await ws.send_json({"type": "data", "channel": channel, "seq": seq, "price": 101.25, "ts": time.time()})
            elif kind == "bulk_request":
                count = int(data.get("count", 0))
                text = json.dumps({"type": "bulk", "items": [f"item-{i}" for i in range(count)]}, separators=(",", ":"))
                self.send_fragmented(ws, text, 3)
                await ws.send_bytes(bytes(range(256)))
            elif kind == "echo":
                await ws.send_json({"type": "echo", "text": data.get("text"), "length": len(msg.data)})
            else:
                await ws.send_json({"type": "error_message", "error_code": "UNKNOWN_TYPE", "received": kind})
        if not ws.closed:
            await ws.close()
        return ws

    @staticmethod
    def send_fragmented(ws, text, parts):
        """aiohttp has no API for fragments: write unmasked frames by hand (RFC 6455 §5.4)."""
        data = text.encode()
        size = -(-len(data) // parts)
        chunks = [data[i:i + size] for i in range(0, len(data), size)]
        frames = b""
        for index, chunk in enumerate(chunks):
            opcode = 0x1 if index == 0 else 0x0
            fin = 0x80 if index == len(chunks) - 1 else 0
            length = len(chunk)
            if length < 126:
                header = struct.pack("!BB", fin | opcode, length)
            else:
                header = struct.pack("!BBH", fin | opcode, 126, length)
            frames += header + chunk
        ws._writer.transport.write(frames)

    async def refuse(self, ws, why):
        await ws.send_json({
            "type": "error_message",
            "error_code": "AUTH_REQUIRED",
            "error_message": "Authentication failed: Valid JWT token required for WebSocket connection",
            "details": {"error": why},
            "timestamp": time.time(),
        })
        await ws.close(code=4401, message=b"auth required")
        return ws


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--regression", action="store_true", help="answer AUTH_REQUIRED to valid tokens")
    args = parser.parse_args()
    service = Service(args.regression)
    app = web.Application()
    app.router.add_post("/auth/token", service.token)
    app.router.add_post("/auth/refresh", service.refresh)
    app.router.add_get("/ws", service.websocket)
    serve(app, args.port)


def serve(app, port):
    """Runs `app` on 127.0.0.1:`port` (0: any), printing the listening line, until SIGINT/SIGTERM."""
    async def run():
        runner = web.AppRunner(app, access_log=None, handle_signals=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]
        print(f"listening on http://127.0.0.1:{bound}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(run())


if __name__ == "__main__":
    main()
