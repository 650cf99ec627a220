#!/usr/bin/env python3
"""A client on Python's `websockets` and http.client that walks the shipped
login-and-websocket recording's client side against a mock serving it, and
prints what it saw, one JSON line per event, for the fault-injection tests:

    python3 fault_client.py --base http://127.0.0.1:PORT

{"http": "POST /auth/token", "status": 200}
{"open": true}
{"message": 1, "type": "connection_established", "frames": [93], "after": 0.001}
...
{"close": 1000, "reason": "", "after": 0.002}

`frames` are the payload sizes of the message's frames as the client read
them (recv_streaming); `after` is the seconds since the client's previous
send (or the open), for delay faults.
"""
import argparse
import asyncio
import http.client
import json
import time
import urllib.parse

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

STEP_TIMEOUT = 10.0


def emit(**event):
    print(json.dumps(event), flush=True)


def post_login(base):
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=STEP_TIMEOUT)
    body = json.dumps({"username": "alice", "password": "correct-horse-battery"})
    conn.request("POST", "/auth/token", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    emit(http="POST /auth/token", status=response.status)
    conn.close()
    if response.status != 200:
        return None
    return json.loads(data)["access_token"]


async def websocket(base, token):
    uri = base.replace("http://", "ws://") + "/ws"
    async with connect(uri, additional_headers={"Authorization": f"Bearer {token}"}, compression=None,
                       open_timeout=STEP_TIMEOUT, close_timeout=STEP_TIMEOUT) as ws:
        emit(open=True)
        mark = time.monotonic()
        count = 0
        sent = False
        try:
            while True:
                sizes = []
                parts = []
                async with asyncio.timeout(STEP_TIMEOUT):
                    async for fragment in ws.recv_streaming():
                        sizes.append(len(fragment))
                        parts.append(fragment)
                text = "".join(parts) if parts and isinstance(parts[0], str) else b"".join(parts).decode()
                count += 1
                kind = json.loads(text).get("type")
                emit(message=count, type=kind, frames=sizes, after=round(time.monotonic() - mark, 3))
                if kind == "connection_established" and not sent:
                    sent = True
                    await ws.send(json.dumps({"type": "user_message", "content": "hello"}))
                    mark = time.monotonic()
                if kind == "agent_completed":
                    await ws.close(1000, "done")
        except ConnectionClosed as closed:
            received = closed.rcvd
            emit(close=received.code if received else 1006, reason=received.reason if received else "",
                 after=round(time.monotonic() - mark, 3))


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    args = parser.parse_args()
    token = post_login(args.base)
    if token is None:
        return
    await websocket(args.base, token)


asyncio.run(main())
