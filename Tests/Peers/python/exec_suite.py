#!/usr/bin/env python3
"""A client test suite as a user's CI runs it under `authreplay serve --exec`.

Reads the mock's address from AUTHREPLAY_URL and AUTHREPLAY_WS_URL (as
exported by --exec), logs in as alice, reads /api/me, opens the WebSocket
with the issued token, sends a user message and reads the agent's answer,
then closes: the session recorded in recordings/login-and-websocket.json.

--select NAME runs only the tests whose name contains NAME; a selection that
matches nothing runs nothing and still exits 0 ("0 passed, 0 failed"), the
way a misconfigured runner goes green without testing anything.
--ws-message TEXT sends TEXT instead of the recorded user message.
"""
import argparse
import json
import os
import sys
import urllib.request

from websockets.sync.client import connect


def login(base):
    body = json.dumps({"username": "alice", "password": "correct-horse-battery"}).encode()
    request = urllib.request.Request(base + "/auth/token", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


def test_login_me_and_websocket(base, ws_base, message):
    token = login(base)
    request = urllib.request.Request(base + "/api/me", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["user_id"] == "alice"
    with connect(ws_base + "/ws", additional_headers={"Authorization": "Bearer " + token}, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_established"
        ws.send(message)
        types = [json.loads(ws.recv(timeout=10))["type"] for _ in range(4)]
        assert types[-1] == "agent_completed", types
        ws.close(1000, "done")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--select", default="")
    parser.add_argument("--ws-message", default=json.dumps({"type": "user_message", "content": "hello"}, separators=(",", ":")))
    args = parser.parse_args()
    base, ws_base = os.environ["AUTHREPLAY_URL"], os.environ["AUTHREPLAY_WS_URL"]
    tests = {"test_login_me_and_websocket": lambda: test_login_me_and_websocket(base, ws_base, args.ws_message)}
    passed = failed = 0
    for name, test in tests.items():
        if args.select not in name:
            continue
        try:
            test()
            passed += 1
            print("PASS", name)
        except Exception as error:  # a test failure, reported like a runner does
            failed += 1
            print("FAIL", name, repr(error))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
