#!/usr/bin/env python3
"""The scenarios' client on Python's `websockets` (asyncio) and http.client,
for the Node service (ws): a client written with another library than the
service it drives. The same scenarios as ../node/client.js.

    python3 client.py --base http://127.0.0.1:PORT [--scenario NAME]... [--list]

prints one normalized JSON line per event (HTTP answers, WebSocket opens,
refusals, messages with their opcode, pings, the close): volatile values
(JWTs, UUIDs, random tokens, timestamps) are replaced by their shape, so two
runs against equivalent servers print the same lines.
"""
import argparse
import asyncio
import hashlib
import http.client
import json
import re
import sys
import urllib.parse

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Opcode

USERNAME = "alice"
PASSWORD = "correct horse battery staple"
STEP_TIMEOUT = 5.0

JWT = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
JWT_IN_TEXT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
OPAQUE = re.compile(r"^[A-Za-z0-9_-]{32,}$")
HEX = re.compile(r"^[0-9a-f]+$")  # digests are deterministic: kept
TIME_KEYS = {"ts", "timestamp", "server_time"}


def normalize(value, key=None):
    if isinstance(value, dict):
        return {k: normalize(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if key in TIME_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return "<time>"
    if isinstance(value, str):
        if JWT.match(value):
            return "<jwt>"
        if UUID.match(value):
            return "<uuid>"
        if OPAQUE.match(value) and not HEX.match(value):
            return "<opaque>"
    return value


def text_payload(text):
    try:
        return normalize(json.loads(text))
    except ValueError:
        return text


def tamper(token):
    """The token with a signature nobody made (32 zero bytes)."""
    return token.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


class Transcript:
    def __init__(self, scenario):
        self.scenario = scenario

    def emit(self, event, **fields):
        print(json.dumps({"scenario": self.scenario, "event": event, **fields}, sort_keys=True), flush=True)


class Client:
    def __init__(self, base):
        parsed = urllib.parse.urlparse(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.ws_base = f"ws://{self.host}:{self.port}"

    def post(self, t, path, body):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=STEP_TIMEOUT)
        try:
            conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read().decode()
        finally:
            conn.close()
        try:
            data = json.loads(raw)
        except ValueError:
            data = raw
        t.emit("http", request=f"POST {path}", status=response.status, body=normalize(data))
        return data if isinstance(data, dict) else {}

    def login(self, t, password=PASSWORD):
        return self.post(t, "/auth/token", {"username": USERNAME, "password": password})

    async def websocket(self, t, target, steps, headers=None, protocols=None, deflate=False):
        """Opens `target`, then runs `steps`: ("expect", n) receives n data
        messages, ("send", obj), ("send_fragments", obj, parts), ("send_binary",
        bytes), ("close",) closes 1000 "bye", ("await_close",) waits for the
        server's close."""
        events = []  # (data messages before, ping payload): pings are not surfaced by recv()

        class Recording(ClientConnection):
            seen = 0

            def process_event(self, event):
                opcode = getattr(event, "opcode", None)  # the handshake's Response comes through here too
                if opcode is Opcode.PING:
                    events.append((Recording.seen, event.data.decode(errors="replace")))
                elif opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT) and event.fin:
                    Recording.seen += 1
                super().process_event(event)

        received = 0
        pings_emitted = 0

        def flush_pings(upto):
            nonlocal pings_emitted
            while pings_emitted < len(events) and events[pings_emitted][0] <= upto:
                t.emit("ping", data=events[pings_emitted][1])
                pings_emitted += 1

        try:
            ws = await asyncio.wait_for(connect(
                self.ws_base + target, additional_headers=headers or {}, subprotocols=protocols,
                compression="deflate" if deflate else None, create_connection=Recording,
                open_timeout=STEP_TIMEOUT, ping_interval=None, close_timeout=STEP_TIMEOUT,
            ), STEP_TIMEOUT)
        except InvalidStatus as refused:
            body = refused.response.body.decode(errors="replace") if refused.response.body else ""
            t.emit("ws_refused", target=JWT_IN_TEXT.sub("<jwt>", target), status=refused.response.status_code, body=text_payload(body))
            return
        extensions = [e.name for e in ws.protocol.extensions]
        t.emit("ws_open", target=JWT_IN_TEXT.sub("<jwt>", target), protocol=ws.subprotocol or "", extensions=extensions)
        try:
            for step in steps:
                kind = step[0]
                if kind == "expect":
                    for _ in range(step[1]):
                        message = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
                        flush_pings(received)
                        received += 1
                        if isinstance(message, bytes):
                            t.emit("recv", opcode="binary", length=len(message), sha256=hashlib.sha256(message).hexdigest())
                        else:
                            t.emit("recv", opcode="text", data=text_payload(message))
                elif kind == "send":
                    await ws.send(json.dumps(step[1], separators=(",", ":")))
                elif kind == "send_fragments":
                    text = json.dumps(step[1], separators=(",", ":"))
                    size = -(-len(text) // step[2])
                    await ws.send([text[i:i + size] for i in range(0, len(text), size)])
                elif kind == "send_binary":
                    await ws.send(step[1])
                elif kind == "close":
                    await asyncio.wait_for(ws.close(1000, "bye"), STEP_TIMEOUT)
                elif kind == "await_close":
                    await asyncio.wait_for(ws.wait_closed(), STEP_TIMEOUT)
        except ConnectionClosed:
            pass
        except asyncio.TimeoutError:
            t.emit("timeout", waiting_for=step[0])
            await ws.close(1000, "bye")
        await asyncio.wait_for(ws.wait_closed(), STEP_TIMEOUT)
        flush_pings(received + 1000)
        code = ws.close_code
        reason = ws.close_reason or ""
        # A connection dropped without a close frame: websockets reports 1006.
        t.emit("close", code=code, reason=reason)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def scenario(client, name):
    t = Transcript(name)
    c = client
    if name == "login_bad":
        c.login(t, password="wrong password")
    elif name == "login_refresh":
        first = c.login(t)
        second = c.post(t, "/auth/refresh", {"refresh_token": first.get("refresh_token")})
        c.post(t, "/auth/refresh", {"refresh_token": first.get("refresh_token")})
        c.post(t, "/auth/refresh", {"refresh_token": second.get("refresh_token")})
    elif name == "ws_header":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=prices", [("expect", 1), ("send", {"type": "subscribe", "channel": "prices"}), ("expect", 1), ("close",)], headers=bearer(token))
    elif name == "ws_query":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=quotes&token=" + urllib.parse.quote(token), [("expect", 1), ("send", {"type": "subscribe", "channel": "quotes"}), ("expect", 1), ("close",)])
    elif name == "ws_subprotocol":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=trades", [("expect", 1), ("send", {"type": "subscribe", "channel": "trades"}), ("expect", 1), ("close",)], protocols=["bearer", token])
    elif name == "ws_cookie":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=news", [("expect", 1), ("send", {"type": "subscribe", "channel": "news"}), ("expect", 1), ("close",)], headers={"Cookie": f"theme=dark; access_token={token}"})
    elif name == "ws_first_message":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=events", [("send", {"type": "auth", "token": token}), ("expect", 1), ("send", {"type": "subscribe", "channel": "events"}), ("expect", 1), ("close",)])
    elif name == "ws_first_message_bad":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=events", [("send", {"type": "auth", "token": tamper(token)}), ("expect", 1), ("await_close",)])
    elif name == "ws_no_token":
        await c.websocket(t, "/ws?stream=orders", [("send", {"type": "subscribe", "channel": "orders"}), ("expect", 1), ("await_close",)])
    elif name == "ws_forbidden":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=admin", [("expect", 1), ("send", {"type": "subscribe", "channel": "admin"}), ("expect", 1), ("await_close",)], headers=bearer(token))
    elif name == "ws_rejected":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=prices", [("expect", 1), ("close",)], headers=bearer(tamper(token)))
    elif name == "ws_fragmented":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=bulk", [
            ("expect", 1), ("send_fragments", {"type": "bulk_request", "count": 40}, 3), ("expect", 2),
            ("send_binary", bytes(range(100))), ("expect", 1), ("close",)], headers=bearer(token))
    elif name == "ws_deflate":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=compressed", [("expect", 1), ("send", {"type": "echo", "text": "compress me " * 50}), ("expect", 1), ("close",)], headers=bearer(token), deflate=True)
    elif name == "ws_ping":
        token = c.login(t).get("access_token", "")
        await c.websocket(t, "/ws?stream=heartbeat", [("expect", 2), ("close",)], headers=bearer(token))
    elif name == "ws_expired":
        token = c.login(t).get("access_token", "")
        await asyncio.sleep(2.5)
        await c.websocket(t, "/ws?stream=prices", [("expect", 1), ("await_close",)], headers=bearer(token))
    else:
        raise SystemExit(f"unknown scenario {name}")


SCENARIOS = [
    "login_bad", "login_refresh", "ws_header", "ws_query", "ws_subprotocol", "ws_cookie",
    "ws_first_message", "ws_first_message_bad", "ws_no_token", "ws_forbidden", "ws_rejected",
    "ws_fragmented", "ws_deflate", "ws_ping", "ws_expired",
]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=False)
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print("\n".join(SCENARIOS))
        return
    client = Client(args.base)
    for name in args.scenario or SCENARIOS:
        try:
            await scenario(client, name)
        except Exception as error:  # a transcript line, not a crash: the diff shows it
            Transcript(name).emit("error", message=f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    asyncio.run(main())
