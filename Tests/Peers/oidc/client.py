#!/usr/bin/env python3
"""A relying party that trusts nothing it is handed, for the auth
virtualization tests: every token is verified with PyJWT's ``PyJWKClient``
against the JWK Set the discovery document names (signature, ``iss`` equal
to the discovery ``issuer``, ``aud``, ``exp``/``iat``/``nbf`` with no
leeway), over https/wss that must verify against ``--ca``.

    python3 client.py --base https://127.0.0.1:PORT --ca ca.pem --mint-key key.pem [--scenario NAME]... [--list]

``--mint-key`` is the issuer's signing key as a test suite holds it (the
service's key against the service, the mock's test key against the mock):
the wrong-audience and expired scenarios mint their own tokens with it.

Prints one JSON line per event, normalized (JWTs → ``<jwt>``, values that
differ per run left out), so a run against the service and one against a
mock can be compared line for line. A token that fails verification is an
``"event": "error"`` line and exit status 1.
"""
import argparse
import asyncio
import base64
import json
import ssl
import sys
import time
from urllib.parse import parse_qsl

import aiohttp
import jwt
from cryptography.hazmat.primitives import serialization

CLIENT_ID = "spa"
USER = "alice"
PASSWORD = "correct horse battery staple"
AUDIENCES = {"access_token": "api", "id_token": "spa", "refresh_token": "refresh"}

SCENARIOS = [
    "discovery", "login", "login_form", "refresh", "bad_password", "missing_token",
    "forged_token", "wrong_audience", "expired_token", "ws", "ws_forged", "ws_missing_token",
]


class Failure(Exception):
    pass


def is_jwt(text):
    return isinstance(text, str) and text.count(".") == 2 and text.startswith("eyJ")


def normalize(value):
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return "<jwt>" if is_jwt(value) else value


def tamper(token):
    """The same signature over other claims: sub becomes admin."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


class Client:
    def __init__(self, base, ca, mint_key, session, scenario):
        self.base = base.rstrip("/")
        self.ssl = ssl.create_default_context(cafile=ca)
        with open(mint_key, "rb") as f:
            self.mint_key = serialization.load_pem_private_key(f.read(), password=None)
        self.session = session
        self.scenario = scenario
        self.discovery = None
        self.keys = None

    def emit(self, event, **fields):
        print(json.dumps({"scenario": self.scenario, "event": event, **fields}, sort_keys=True), flush=True)

    async def discover(self):
        async with self.session.get(f"{self.base}/.well-known/openid-configuration", ssl=self.ssl) as response:
            if response.status != 200:
                raise Failure(f"discovery answered {response.status}")
            self.discovery = await response.json()
        # A fresh client per scenario: the JWKS is fetched (and cached) by PyJWT itself.
        self.keys = jwt.PyJWKClient(self.discovery["jwks_uri"], cache_keys=True, ssl_context=self.ssl)

    def verify(self, name, token, audience):
        """The claims of `token`, verified against the issuer's JWKS; raises Failure."""
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=["RS256", "ES256", "ES384", "ES512", "EdDSA", "PS256"],
                              audience=audience, issuer=self.discovery["issuer"], leeway=0,
                              options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWTError as error:
            raise Failure(f"{name} does not verify: {type(error).__name__}: {error}")

    def verify_rejects(self, token, audience):
        """How the local verification refuses a token the scenario made bad."""
        try:
            self.verify("token", token, audience)
        except Failure as failure:
            return str(failure).split(":")[1].strip()
        raise Failure("a bad token verified locally")

    def mint(self, **claims):
        now = int(time.time())
        published = self.keys.get_jwk_set().keys[0]
        body = {"iss": self.discovery["issuer"], "sub": USER, "aud": "api", "iat": now, "exp": now + 300, **claims}
        # The algorithm the issuer publishes for its key (RS256, ES256/384/512, EdDSA).
        return jwt.encode(body, self.mint_key, algorithm=published.algorithm_name, headers={"kid": published.key_id, "typ": "at+jwt"})

    async def login(self, form=False):
        headers = {"Accept": "application/x-www-form-urlencoded" if form else "application/json"}
        data = {"grant_type": "password", "username": USER, "password": PASSWORD, "client_id": CLIENT_ID}
        async with self.session.post(self.discovery["token_endpoint"], data=data, headers=headers, ssl=self.ssl) as response:
            text = await response.text()
            if response.status != 200:
                raise Failure(f"login answered {response.status}: {text}")
            tokens = dict(parse_qsl(text)) if form else json.loads(text)
            cookie = response.cookies.get("id_token")
        verified = []
        for name in ("access_token", "id_token", "refresh_token"):
            if name in tokens:
                claims = self.verify(name, tokens[name], AUDIENCES[name])
                verified.append(name)
        if cookie is not None:
            self.verify("the id_token cookie", cookie.value, CLIENT_ID)
            verified.append("cookie:id_token")
        access = jwt.get_unverified_header(tokens["access_token"])
        self.emit("login", form=form, verified=verified, access_typ=access.get("typ"),
                  expires_in=int(tokens["expires_in"]), sub=claims["sub"])
        return tokens

    async def userinfo(self, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.get(self.discovery["userinfo_endpoint"], headers=headers, ssl=self.ssl) as response:
            body = await response.json()
            self.emit("userinfo", status=response.status, body=normalize(body),
                      challenge=response.headers.get("WWW-Authenticate"))

    def ws_url(self):
        return self.base.replace("https://", "wss://", 1) + "/ws"

    async def websocket(self, first):
        async with self.session.ws_connect(self.ws_url(), ssl=self.ssl) as ws:
            self.emit("ws_open")
            await ws.send_json(first)
            reply = await ws.receive(timeout=10)
            if reply.type == aiohttp.WSMsgType.TEXT:
                message = json.loads(reply.data)
                self.emit("ws_message", message=normalize(message))
                if message.get("type") == "auth_ok":
                    for seq in (1, 2):
                        await ws.send_json({"type": "ping", "seq": seq})
                        pong = await ws.receive(timeout=10)
                        self.emit("ws_message", message=json.loads(pong.data))
                    await ws.send_json({"type": "bye"})
            closing = await ws.receive(timeout=10)
            if closing.type == aiohttp.WSMsgType.CLOSE:
                self.emit("ws_close", code=closing.data, reason=closing.extra)
            else:
                self.emit("ws_close", code=ws.close_code, reason=None)


async def scenario(client, name):
    await client.discover()
    if name == "discovery":
        jwks = client.keys.get_jwk_set()
        client.emit("discovery", members=sorted(client.discovery), keys=len(jwks.keys),
                    key_types=[key.key_type for key in jwks.keys], jwks_path=client.discovery["jwks_uri"].split("/", 3)[3],
                    issuer_is_base=client.discovery["issuer"] == client.base)
    elif name == "login":
        tokens = await client.login()
        await client.userinfo(tokens["access_token"])
    elif name == "login_form":
        tokens = await client.login(form=True)
        await client.userinfo(tokens["access_token"])
    elif name == "refresh":
        tokens = await client.login()
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": CLIENT_ID}
        async with client.session.post(client.discovery["token_endpoint"], data=data, ssl=client.ssl) as response:
            fresh = await response.json()
        for name_ in ("access_token", "id_token", "refresh_token"):
            client.verify(f"refreshed {name_}", fresh[name_], AUDIENCES[name_])
        client.emit("refreshed", status=response.status, verified=True)
        await client.userinfo(fresh["access_token"])
    elif name == "bad_password":
        data = {"grant_type": "password", "username": USER, "password": "wrong", "client_id": CLIENT_ID}
        async with client.session.post(client.discovery["token_endpoint"], data=data, ssl=client.ssl) as response:
            client.emit("login_refused", status=response.status, body=await response.json())
    elif name == "missing_token":
        await client.userinfo(None)
    elif name == "forged_token":
        tokens = await client.login()
        forged = tamper(tokens["access_token"])
        client.emit("local_check", rejected=client.verify_rejects(forged, "api"))
        await client.userinfo(forged)
    elif name == "wrong_audience":
        token = client.mint(aud="billing")
        client.emit("local_check", rejected=client.verify_rejects(token, "api"))
        await client.userinfo(token)
    elif name == "expired_token":
        now = int(time.time())
        token = client.mint(iat=now - 360, exp=now - 60)
        client.emit("local_check", rejected=client.verify_rejects(token, "api"))
        await client.userinfo(token)
    elif name == "ws":
        tokens = await client.login()
        await client.websocket({"type": "auth", "token": tokens["access_token"]})
    elif name == "ws_forged":
        tokens = await client.login()
        await client.websocket({"type": "auth", "token": tamper(tokens["access_token"])})
    elif name == "ws_missing_token":
        await client.websocket({"type": "auth"})
    else:
        raise Failure(f"unknown scenario {name}")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base")
    parser.add_argument("--ca")
    parser.add_argument("--mint-key")
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print("\n".join(SCENARIOS))
        return 0
    if not (args.base and args.ca and args.mint_key):
        parser.error("--base, --ca and --mint-key are required")
    status = 0
    for name in args.scenario or SCENARIOS:
        # A fresh HTTP session (cookies, connections) per scenario, as separate test cases have.
        async with aiohttp.ClientSession() as session:
            client = Client(args.base, args.ca, args.mint_key, session, name)
            try:
                await asyncio.wait_for(scenario(client, name), timeout=30)
            except (Failure, aiohttp.ClientError, asyncio.TimeoutError, KeyError, ValueError) as error:
                client.emit("error", error=f"{type(error).__name__}: {error}")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
