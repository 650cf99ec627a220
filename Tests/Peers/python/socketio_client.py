#!/usr/bin/env python3
"""The Socket.IO scenarios' client on python-socketio's AsyncClient (over
aiohttp), for socketio_service.py.

    python3 socketio_client.py --base http://127.0.0.1:PORT [--scenario NAME]... [--list]

prints one normalized JSON line per event (the login, the connect or its
error, each event received, each ack), volatile values replaced by their
shape as in client.py. ``sio_websocket`` connects straight over WebSocket,
``sio_polling`` starts on long-polling and upgrades, ``sio_forged_token``
presents a token with a forged signature, ``sio_no_token`` none.

Named only: ``sio_polling_only`` and ``sio_polling_forged`` stay on
long-polling (``transports=['polling']``), with a valid and a forged token;
``sio_polling_pair`` runs two such clients at the same time (alice and bob, prompts
``plan`` and ``deploy``), each transcript printed whole, ``a`` then ``b``.
Named only (not in ``--list``; for a service with a short heartbeat,
``socketio_service.py --ping-interval``): ``sio_heartbeat`` (websocket) and
``sio_heartbeat_upgrade`` (polling, then websocket) and
``sio_heartbeat_polling`` (polling only) hold the session until
the server pinged ``HOLD_PINGS`` times (the client answers each, as
engine.io clients do), then run as ``sio_websocket``; ``sio_silent`` is a
raw WebSocket client (the ``websockets`` library) that connects, sends the
CONNECT and never answers a ping: its transcript says how many pings came
before the server closed the connection.
"""
import argparse
import asyncio
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import PASSWORD, USERNAME, Transcript, normalize, tamper  # noqa: E402

import engineio  # noqa: E402
import socketio  # noqa: E402
import websockets.asyncio.client  # noqa: E402
import websockets.exceptions  # noqa: E402

STEP_TIMEOUT = 5.0
SCENARIOS = ["sio_websocket", "sio_polling", "sio_forged_token", "sio_no_token"]
NAMED_ONLY = ["sio_polling_only", "sio_polling_forged", "sio_polling_pair", "sio_heartbeat", "sio_heartbeat_upgrade", "sio_heartbeat_polling", "sio_silent"]
HOLD_PINGS = 3
# Waits for a ping or the close: generous, the machine may be busy; never a sleep.
HOLD_TIMEOUT = 20.0


def login(base, t, username=USERNAME):
    request = urllib.request.Request(
        base + "/auth/token", data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as response:
        body = json.loads(response.read())
        t.emit("http", request="POST /auth/token", status=response.status, body=normalize(body))
    return body["access_token"]


class Buffered(Transcript):
    """A transcript held back and printed later: two sessions at once print in a fixed order."""

    def __init__(self, scenario, who):
        super().__init__(scenario)
        self.who = who
        self.lines = []

    def emit(self, event, **fields):
        self.lines.append((event, fields))

    def flush(self):
        for event, fields in self.lines:
            Transcript.emit(self, event, client=self.who, **fields)


async def session(base, t, transports, auth, hold_pings=0, prompt="plan"):
    client = socketio.AsyncClient(reconnection=False)
    received = asyncio.Queue()
    pings = asyncio.Queue()
    if hold_pings:
        # engine.io answers pings inside the client; count them on the way in.
        receive_packet = client.eio._receive_packet

        async def counting(pkt):
            if pkt.packet_type == engineio.packet.PING:
                pings.put_nowait(pkt)
            await receive_packet(pkt)

        client.eio._receive_packet = counting

    refused = []

    @client.on("*")
    async def any_event(event, data):
        await received.put((event, data))

    @client.event
    async def connect_error(data):
        refused.append(data)

    try:
        await client.connect(base, transports=transports, auth=auth, wait_timeout=STEP_TIMEOUT)
    except socketio.exceptions.ConnectionError as error:
        t.emit("connect_error", data=normalize(refused[0] if refused else str(error)))
        return
    # Which transport it is on now races the upgrade: not part of the transcript.
    t.emit("connected", transports=transports)
    event, data = await asyncio.wait_for(received.get(), STEP_TIMEOUT)
    t.emit("sio_event", name=event, data=normalize(data))
    if hold_pings:
        for _ in range(hold_pings):
            await asyncio.wait_for(pings.get(), HOLD_TIMEOUT)
        t.emit("held", pings=hold_pings, connected=client.connected)
    ack = await client.call("run", {"prompt": prompt}, timeout=STEP_TIMEOUT)
    t.emit("ack", data=normalize(ack))
    event, data = await asyncio.wait_for(received.get(), STEP_TIMEOUT)
    t.emit("sio_event", name=event, data=normalize(data))
    await client.disconnect()
    t.emit("disconnected")


async def silent(base, t, token):
    """Connects over WebSocket, sends the CONNECT, and never answers a ping."""
    url = base.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket&t=silent"  # t: the cache buster clients send
    pings = 0
    async with websockets.asyncio.client.connect(url, open_timeout=STEP_TIMEOUT) as ws:
        opened = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
        t.emit("open", ping_interval=json.loads(opened[1:])["pingInterval"])
        await ws.send("40" + json.dumps({"token": token}))
        try:
            while True:
                packet = await asyncio.wait_for(ws.recv(), HOLD_TIMEOUT)
                if packet == "2":
                    pings += 1
        except websockets.exceptions.ConnectionClosed as closed:
            t.emit("closed_by_server", pings=pings, code=closed.rcvd.code if closed.rcvd else None)


async def scenario(base, name):
    t = Transcript(name)
    if name == "sio_websocket":
        await session(base, t, ["websocket"], {"token": login(base, t)})
    elif name == "sio_polling":
        await session(base, t, ["polling", "websocket"], {"token": login(base, t)})
    elif name == "sio_forged_token":
        await session(base, t, ["websocket"], {"token": tamper(login(base, t))})
    elif name == "sio_no_token":
        await session(base, t, ["websocket"], {})
    elif name == "sio_polling_only":
        await session(base, t, ["polling"], {"token": login(base, t)})
    elif name == "sio_polling_forged":
        await session(base, t, ["polling"], {"token": tamper(login(base, t))})
    elif name == "sio_polling_pair":
        # Two users' clients polling at the same time; their prompts (and so their acks' steps) differ.
        tokens = [login(base, t), login(base, t, "bob")]
        a, b = Buffered(name, "a"), Buffered(name, "b")
        await asyncio.gather(
            session(base, a, ["polling"], {"token": tokens[0]}, prompt="plan"),
            session(base, b, ["polling"], {"token": tokens[1]}, prompt="deploy"),
        )
        a.flush()
        b.flush()
    elif name == "sio_heartbeat":
        await session(base, t, ["websocket"], {"token": login(base, t)}, hold_pings=HOLD_PINGS)
    elif name == "sio_heartbeat_polling":
        await session(base, t, ["polling"], {"token": login(base, t)}, hold_pings=HOLD_PINGS)
    elif name == "sio_heartbeat_upgrade":
        await session(base, t, ["polling", "websocket"], {"token": login(base, t)}, hold_pings=HOLD_PINGS)
    elif name == "sio_silent":
        await silent(base, t, login(base, t))
    else:
        raise SystemExit(f"unknown scenario {name}")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base")
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print("\n".join(SCENARIOS))
        return
    for name in args.scenario or SCENARIOS:
        try:
            await scenario(args.base, name)
        except Exception as error:  # a transcript line, not a crash: the diff shows it
            Transcript(name).emit("error", message=f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    asyncio.run(main())
