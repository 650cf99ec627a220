#!/usr/bin/env python3
"""An OIDC-style identity provider and resource server on aiohttp, over TLS,
for the auth virtualization tests (Tests/DifferentialTests/OIDCVirtualizationTests).

Not written around authreplay: RS256 tokens made with PyJWT, a discovery
document and a JWK Set, an OAuth 2.0 token endpoint (password and
refresh_token grants, JSON or form-encoded answers, the ID token also in a
Set-Cookie), a userinfo endpoint and a WebSocket that authenticates by its
first message. The issuer is ``--issuer`` (the public URL, e.g. the
recording proxy's), else the URL the client used (``https://`` + Host).

    python3 service.py --port 0 --tls-cert server.pem --tls-key server.key --signing-key rsa.pem [--issuer URL]

prints ``listening on https://127.0.0.1:PORT`` as its first stdout line.
"""
import argparse
import asyncio
import json
import ssl
import sys
import time
import uuid
from urllib.parse import urlencode

import jwt
from aiohttp import WSMsgType, web
from cryptography.hazmat.primitives import serialization

USERS = {"alice": "correct horse battery staple"}
CLIENT_ID = "spa"
API_AUDIENCE = "api"
REFRESH_AUDIENCE = "refresh"
KEY_ID = "staging-2026"
ACCESS_LIFETIME = 300


class Provider:
    def __init__(self, private_pem: bytes, issuer=None):
        self.configured_issuer = issuer
        self.private_key = serialization.load_pem_private_key(private_pem, password=None)
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        self.jwk = {**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}
        self.used_refresh = set()

    def issuer(self, request):
        return self.configured_issuer or f"https://{request.host}"

    def sign(self, claims, typ="JWT"):
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": KEY_ID, "typ": typ})

    def tokens(self, request, sub):
        now = int(time.time())
        iss = self.issuer(request)
        common = {"iss": iss, "sub": sub, "iat": now, "nbf": now}
        return {
            "access_token": self.sign({**common, "aud": API_AUDIENCE, "client_id": CLIENT_ID, "scope": "openid profile",
                                       "exp": now + ACCESS_LIFETIME, "jti": str(uuid.uuid4())}, typ="at+jwt"),
            "id_token": self.sign({**common, "aud": CLIENT_ID, "exp": now + ACCESS_LIFETIME, "name": sub.title()}),
            "refresh_token": self.sign({**common, "aud": REFRESH_AUDIENCE, "exp": now + 3600, "jti": str(uuid.uuid4())}),
            "token_type": "Bearer",
            "expires_in": ACCESS_LIFETIME,
        }

    def verify(self, request, token, audience):
        """The claims of a valid token, else (None, why) as an OAuth error description."""
        try:
            return jwt.decode(token, self.private_key.public_key(), algorithms=["RS256"], audience=audience,
                              issuer=self.issuer(request), options={"require": ["exp", "iat", "iss", "aud", "sub"]}), None
        except jwt.ExpiredSignatureError:
            return None, "token expired"
        except jwt.InvalidAudienceError:
            return None, "wrong audience"
        except jwt.InvalidIssuerError:
            return None, "wrong issuer"
        except jwt.InvalidSignatureError:
            return None, "bad signature"
        except jwt.InvalidTokenError as error:
            return None, f"invalid token ({type(error).__name__})"


def oauth_error(status, error, description=None):
    body = {"error": error}
    if description:
        body["error_description"] = description
    challenge = f'Bearer error="{error}"' if status == 401 and error != "invalid_request" else 'Bearer realm="api"'
    headers = {"WWW-Authenticate": challenge} if status == 401 else {}
    return web.json_response(body, status=status, headers=headers)


def make_app(provider: Provider):
    routes = web.RouteTableDef()

    @routes.get("/.well-known/openid-configuration")
    async def discovery(request):
        iss = provider.issuer(request)
        return web.json_response({
            "issuer": iss,
            "jwks_uri": f"{iss}/oauth/jwks",
            "token_endpoint": f"{iss}/oauth/token",
            "userinfo_endpoint": f"{iss}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "grant_types_supported": ["password", "refresh_token"],
        }, headers={"Cache-Control": "public, max-age=300"})

    @routes.get("/oauth/jwks")
    async def jwks(request):
        return web.json_response({"keys": [provider.jwk]}, headers={"Cache-Control": "public, max-age=300"})

    @routes.post("/oauth/token")
    async def token(request):
        form = await request.post()
        grant = form.get("grant_type")
        if grant == "password":
            user = form.get("username", "")
            if USERS.get(user) != form.get("password") or form.get("client_id") != CLIENT_ID:
                return oauth_error(400, "invalid_grant", "bad credentials")
            sub = user
        elif grant == "refresh_token":
            claims, why = provider.verify(request, form.get("refresh_token", ""), REFRESH_AUDIENCE)
            if claims is None or claims["jti"] in provider.used_refresh:
                return oauth_error(400, "invalid_grant", why or "refresh token already used")
            provider.used_refresh.add(claims["jti"])
            sub = claims["sub"]
        else:
            return oauth_error(400, "unsupported_grant_type")
        tokens = provider.tokens(request, sub)
        headers = {"Cache-Control": "no-store"}
        if "application/x-www-form-urlencoded" in request.headers.get("Accept", ""):
            # The form answer some providers give (GitHub's), RFC 6749 style names.
            response = web.Response(text=urlencode(tokens), content_type="application/x-www-form-urlencoded", headers=headers)
        else:
            response = web.json_response(tokens, headers=headers)
        response.set_cookie("id_token", tokens["id_token"], path="/", secure=True, httponly=True, samesite="Lax")
        return response

    def bearer(request):
        header = request.headers.get("Authorization", "")
        return header[7:] if header.lower().startswith("bearer ") else None

    @routes.get("/userinfo")
    async def userinfo(request):
        token = bearer(request)
        if token is None:
            return oauth_error(401, "invalid_request", "no access token")
        claims, why = provider.verify(request, token, API_AUDIENCE)
        if claims is None:
            return oauth_error(401, "invalid_token", why)
        return web.json_response({"sub": claims["sub"], "name": claims["sub"].title(), "scope": claims.get("scope")})

    @routes.get("/ws")
    async def websocket(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        first = await ws.receive()
        if first.type != WSMsgType.TEXT:
            await ws.close(code=4400, message=b"expected an auth message")
            return ws
        try:
            message = json.loads(first.data)
        except ValueError:
            message = {}
        token = message.get("token") if message.get("type") == "auth" else None
        claims, why = provider.verify(request, token, API_AUDIENCE) if token else (None, "no access token")
        if claims is None:
            await ws.send_json({"type": "error", "error": "invalid_token", "error_description": why})
            await ws.close(code=4401, message=b"unauthorized")
            return ws
        await ws.send_json({"type": "auth_ok", "sub": claims["sub"]})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data.get("type") == "ping":
                await ws.send_json({"type": "pong", "seq": data.get("seq")})
            elif data.get("type") == "bye":
                await ws.close(code=1000, message=b"bye")
                break
        return ws

    app = web.Application()
    app.add_routes(routes)
    return app


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert", required=True)
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--signing-key", required=True, help="PEM RSA private key the tokens are signed with")
    parser.add_argument("--issuer", help="the issuer URL (default: https:// + the request's Host)")
    args = parser.parse_args()
    with open(args.signing_key, "rb") as f:
        provider = Provider(f.read(), args.issuer)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    runner = web.AppRunner(make_app(provider), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening on https://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
