#!/usr/bin/env python3
"""One login and one wss session, over TLS or in plaintext, for the TLS
capture tests (Tests/CaptureTests/TLSCaptureTests.swift).

The content is fixed (the same JWT, bodies and messages every run), so a
capture of the TLS run, decrypted with the client's key log, can be compared
with a capture of the plaintext run.

    python3 tls_session.py serve --port 0 [--cert F --key F] [--max-version 1.2] [--ciphers LIST]
                                 [--tls13-ciphersuites LIST] [--groups LIST] [--no-tickets] [--no-encrypt-then-mac]
                                 [--client-ca F [--post-handshake-auth]]
        prints ``listening on http(s)://127.0.0.1:PORT`` first
    python3 tls_session.py client --base URL [--cafile F --keylog F] [--ciphers LIST]
                                  [--resume] [--then-me] [--cert F --key F] [--repeat N] [--messages M] [--message-bytes B]
        POST /auth/token, then GET /ws with the token (permessage-deflate offered),
        one message each way, the server closes 4401.
        --client-ca: client certificates required in the handshake, or with
        --post-handshake-auth asked for after it, with the login's answer (TLS 1.3).
        --then-me: GET /me after the login on the same connection.
        --resume: POST /auth/token, then GET /me with the token on a second
        connection that resumes the first one's TLS session (exit 3 if it did not).
        --repeat/--messages/--message-bytes (benchmarks): N rounds in one process,
        M-1 padded messages echoed before the one that gets the error.

Python's ``ssl`` cannot choose TLS 1.3 suites or key-exchange groups;
``--tls13-ciphersuites`` and ``--groups`` run the server again with an
OpenSSL config that sets them (``OPENSSL_CONF``).

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
import os
import random
import ssl
import sys
import tempfile

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
    if request.app["post_handshake_auth"]:
        # TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2): the
        # CertificateRequest goes out with this answer, the client's reply before its next request.
        request.transport.get_extra_info("ssl_object").verify_client_post_handshake()
    body = await request.json()
    if body.get("username") != "alice" or body.get("password") != "correct horse battery staple":
        return web.json_response({"error": "invalid_grant"}, status=401)
    return web.json_response({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})


async def me(request):
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        return web.json_response({"error": "invalid_token"}, status=401)
    return web.json_response({"sub": "alice", "iss": "tls-test"})


async def ws(request):
    socket = web.WebSocketResponse(compress=True)
    await socket.prepare(request)
    await socket.send_str(json.dumps({"type": "welcome", "server": "tls-test"}))
    message = await socket.receive()
    while message.type == web.WSMsgType.TEXT and json.loads(message.data).get("type") == "data":
        await socket.send_str(message.data.replace('"data"', '"echo"', 1))
        message = await socket.receive()
    if message.type == web.WSMsgType.TEXT:
        await socket.send_str(json.dumps({
            "type": "error_message", "error_code": "AUTH_REQUIRED",
            "details": {"error": "user_context must be a UserExecutionContext instance"},
            "echo": json.loads(message.data),
        }))
    await socket.close(code=4401, message=b"auth required")
    return socket


def with_openssl_config(settings):
    """Runs this process again under an OpenSSL config with `settings` (name -> value)
    in its system_default section: what Python's ssl cannot set (TLS 1.3 suites, groups)."""
    lines = "".join(f"{name} = {value}\n" for name, value in settings.items())
    if os.environ.get("TLS_SESSION_OPENSSL") == lines:
        return
    config = tempfile.NamedTemporaryFile("w", prefix="tls-session-", suffix=".cnf", delete=False)
    config.write("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = default\n[default]\n" + lines)
    config.close()
    env = dict(os.environ, OPENSSL_CONF=config.name, TLS_SESSION_OPENSSL=lines)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def serve(args):
    settings = {}
    if args.tls13_ciphersuites:
        settings["Ciphersuites"] = args.tls13_ciphersuites
    if args.groups:
        settings["Groups"] = args.groups  # a group the client sent no key share for: a HelloRetryRequest
    if settings:
        with_openssl_config(settings)
        os.unlink(os.environ["OPENSSL_CONF"])  # read when ssl was imported
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        if args.max_version == "1.2":
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        if args.ciphers:
            context.set_ciphers(args.ciphers)
        if args.client_ca:
            context.load_verify_locations(args.client_ca)
            if args.post_handshake_auth:
                context.verify_mode = ssl.CERT_OPTIONAL
                context.post_handshake_auth = True
            else:
                context.verify_mode = ssl.CERT_REQUIRED
        if args.no_tickets:
            context.options |= ssl.OP_NO_TICKET  # TLS 1.2 resumes by session ID instead
        if args.no_encrypt_then_mac:
            context.options |= 1 << 19  # SSL_OP_NO_ENCRYPT_THEN_MAC: CBC records MAC-then-encrypt (RFC 5246)
    app = web.Application()
    app["post_handshake_auth"] = bool(args.post_handshake_auth)
    app.router.add_post("/auth/token", login)
    app.router.add_get("/ws", ws)
    app.router.add_get("/me", me)

    async def main():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"listening on {'https' if context else 'http'}://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


class ResumingHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection that offers `session` (a previous connection's) for resumption."""

    def __init__(self, *args, session=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host, session=self.session)


def close(connection):
    # A TLS 1.2 session is resumable only after a clean shutdown (close_notify).
    if isinstance(connection.sock, ssl.SSLSocket):
        try:
            connection.sock.unwrap()
        except (OSError, ssl.SSLError):
            pass
    connection.close()


def resume(args, host, port, context):
    body = json.dumps({"username": "alice", "password": "correct horse battery staple"})
    headers = {"Content-Type": "application/json"}
    if context:
        first = ResumingHTTPSConnection(host, port, context=context, timeout=10)
    else:
        first = http.client.HTTPConnection(host, port, timeout=10)
    first.request("POST", "/auth/token", body=body, headers=headers)
    response = first.getresponse()
    # Reading the answer also reads TLS 1.3's NewSessionTicket, sent after the handshake.
    token = json.loads(response.read())["access_token"]
    session = first.sock.session if context else None
    close(first)
    if context:
        second = ResumingHTTPSConnection(host, port, context=context, timeout=10, session=session)
    else:
        second = http.client.HTTPConnection(host, port, timeout=10)
    second.request("GET", "/me", headers={"Authorization": f"Bearer {token}"})
    answer = second.getresponse()
    print(json.dumps({"me": answer.status, "body": json.loads(answer.read())}), flush=True)
    resumed = bool(context) and second.sock.session_reused
    close(second)
    print(json.dumps({"resumed": resumed}), flush=True)
    if context and not resumed:
        sys.exit(3)


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
        if args.cert:
            context.load_cert_chain(args.cert, args.key)
            context.post_handshake_auth = True
    host, port = hostport.rsplit(":", 1)
    if args.resume:
        return resume(args, host, int(port), context)
    for _ in range(args.repeat):
        round_trip(args, https, hostport, host, port, context)


def round_trip(args, https, hostport, host, port, context):
    if https:
        connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"username": "alice", "password": "correct horse battery staple"})
    connection.request("POST", "/auth/token", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    token = json.loads(response.read())["access_token"]
    print(json.dumps({"login": response.status}), flush=True)
    if args.then_me:
        # The same connection again (keep-alive): after a post-handshake authentication, if the server asked.
        connection.request("GET", "/me", headers={"Authorization": f"Bearer {token}"})
        answer = connection.getresponse()
        print(json.dumps({"me": answer.status, "body": json.loads(answer.read())}), flush=True)
    connection.close()

    async def session():
        uri = ("wss" if https else "ws") + f"://{hostport}/ws"
        async with websockets.asyncio.client.connect(
            uri, ssl=context, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10, close_timeout=10,
        ) as socket:
            print(json.dumps({"received": json.loads(await socket.recv())}), flush=True)
            for i in range(args.messages - 1):
                # Seeded random text: the same every run, and not squeezed away by permessage-deflate.
                padding = base64.b64encode(random.Random(i).randbytes(args.message_bytes * 3 // 4 + 3)).decode()[:args.message_bytes]
                await socket.send(json.dumps({"type": "data", "seq": i, "padding": padding}))
                await socket.recv()
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
    s.add_argument("--tls13-ciphersuites")
    s.add_argument("--groups")
    s.add_argument("--no-tickets", action="store_true")
    s.add_argument("--client-ca")
    s.add_argument("--post-handshake-auth", action="store_true")
    s.add_argument("--no-encrypt-then-mac", action="store_true")
    c = sub.add_parser("client")
    c.add_argument("--base", required=True)
    c.add_argument("--cafile")
    c.add_argument("--keylog")
    c.add_argument("--ciphers")
    c.add_argument("--resume", action="store_true")
    c.add_argument("--then-me", action="store_true")
    c.add_argument("--cert")
    c.add_argument("--key")
    c.add_argument("--repeat", type=int, default=1)
    c.add_argument("--messages", type=int, default=1)
    c.add_argument("--message-bytes", type=int, default=0)
    args = parser.parse_args()
    serve(args) if args.command == "serve" else client(args)


if __name__ == "__main__":
    sys.exit(main())
