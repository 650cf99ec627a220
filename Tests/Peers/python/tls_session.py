#!/usr/bin/env python3
"""One login and one wss session, over TLS or in plaintext, for the TLS
capture tests (Tests/CaptureTests/TLSCaptureTests.swift).

The content is fixed (the same JWT, bodies and messages every run), so a
capture of the TLS run, decrypted with the client's key log, can be compared
with a capture of the plaintext run.

    python3 tls_session.py serve --port 0 [--cert F --key F] [--max-version 1.2] [--ciphers LIST] [--no-encrypt-then-mac]
        prints ``listening on http(s)://127.0.0.1:PORT`` first
    python3 tls_session.py client --base URL [--cafile F --keylog F] [--ciphers LIST]
        POST /auth/token, then GET /ws with the token (permessage-deflate offered),
        one message each way, the server closes 4401

The client writes its TLS secrets with ``SSLContext.keylog_filename`` (an NSS
key log, the format of SSLKEYLOGFILE).
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import ssl
import sys

from aiohttp import web
import websockets.asyncio.client

SECRET = b"tls-capture-test-secret-0123456789abcdef"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fixed_token() -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": "alice", "iss": "tls-test", "iat": 1767225600, "exp": 4102444800}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


TOKEN = fixed_token()


async def login(request):
    body = await request.json()
    if body.get("username") != "alice" or body.get("password") != "correct horse battery staple":
        return web.json_response({"error": "invalid_grant"}, status=401)
    return web.json_response({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})


async def ws(request):
    socket = web.WebSocketResponse(compress=True)
    await socket.prepare(request)
    await socket.send_str(json.dumps({"type": "welcome", "server": "tls-test"}))
    message = await socket.receive()
    if message.type == web.WSMsgType.TEXT:
        await socket.send_str(json.dumps({
            "type": "error_message", "error_code": "AUTH_REQUIRED",
            "details": {"error": "user_context must be a UserExecutionContext instance"},
            "echo": json.loads(message.data),
        }))
    await socket.close(code=4401, message=b"auth required")
    return socket


def serve(args):
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        if args.max_version == "1.2":
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        if args.ciphers:
            context.set_ciphers(args.ciphers)
        if args.no_encrypt_then_mac:
            context.options |= 1 << 19  # SSL_OP_NO_ENCRYPT_THEN_MAC: CBC records MAC-then-encrypt (RFC 5246)
    app = web.Application()
    app.router.add_post("/auth/token", login)
    app.router.add_get("/ws", ws)

    async def main():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"listening on {'https' if context else 'http'}://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def client(args):
    https = args.base.startswith("https://")
    hostport = args.base.split("://", 1)[1]
    context = None
    if https:
        context = ssl.create_default_context(cafile=args.cafile)
        if args.keylog:
            context.keylog_filename = args.keylog
        if args.ciphers:
            context.set_ciphers(args.ciphers)  # Python's default list leaves out the SHA-1 CBC suites
    host, port = hostport.rsplit(":", 1)
    if https:
        connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"username": "alice", "password": "correct horse battery staple"})
    connection.request("POST", "/auth/token", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    token = json.loads(response.read())["access_token"]
    print(json.dumps({"login": response.status}), flush=True)
    connection.close()

    async def session():
        uri = ("wss" if https else "ws") + f"://{hostport}/ws"
        async with websockets.asyncio.client.connect(
            uri, ssl=context, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10, close_timeout=10,
        ) as socket:
            print(json.dumps({"received": json.loads(await socket.recv())}), flush=True)
            await socket.send(json.dumps({"type": "subscribe", "stream": "prices"}))
            try:
                async for message in socket:
                    print(json.dumps({"received": json.loads(message)}), flush=True)
            except websockets.exceptions.ConnectionClosed:
                pass
            print(json.dumps({"close": socket.close_code}), flush=True)

    asyncio.run(session())


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--max-version", choices=["1.2", "1.3"], default="1.3")
    s.add_argument("--ciphers")
    s.add_argument("--no-encrypt-then-mac", action="store_true")
    c = sub.add_parser("client")
    c.add_argument("--base", required=True)
    c.add_argument("--cafile")
    c.add_argument("--keylog")
    c.add_argument("--ciphers")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else client(args)


if __name__ == "__main__":
    sys.exit(main())
