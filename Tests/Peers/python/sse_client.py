#!/usr/bin/env python3
"""The SSE scenarios' client on httpx and httpx-sse, for sse_service.py: a
client library that server was not written with.

    python3 sse_client.py --base http://127.0.0.1:PORT [--scenario NAME]... [--list] [--timings]

prints one normalized JSON line per event (HTTP answers; each Server-Sent
Event with its type, id, retry and data; the stream's end), volatile values
replaced by their shape as in client.py. ``--timings`` prints instead, per
event of each stream, its arrival in seconds after the response head.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import PASSWORD, USERNAME, Transcript, normalize, tamper, text_payload  # noqa: E402

import httpx  # noqa: E402
from httpx_sse import connect_sse  # noqa: E402

STEP_TIMEOUT = 5.0
SCENARIOS = ["sse_stream", "sse_no_token", "sse_forged_token", "sse_resume"]


class Client:
    def __init__(self, base, timings):
        self.http = httpx.Client(base_url=base, timeout=STEP_TIMEOUT)
        self.timings = timings

    def login(self, t):
        response = self.http.post("/auth/token", json={"username": USERNAME, "password": PASSWORD})
        body = response.json()
        if not self.timings:
            t.emit("http", request="POST /auth/token", status=response.status_code, body=normalize(body))
        return body.get("access_token", "")

    def stream(self, t, headers):
        with connect_sse(self.http, "GET", "/events?run=agent", headers=headers) as source:
            response = source.response
            if response.headers.get("content-type", "").split(";")[0] != "text/event-stream":
                response.read()
                if not self.timings:
                    t.emit("http", request="GET /events?run=agent", status=response.status_code, body=text_payload(response.text))
                return
            head = time.monotonic()
            if not self.timings:
                t.emit("stream_open", status=response.status_code)
            for sse in source.iter_sse():
                if self.timings:
                    print(json.dumps({"scenario": t.scenario, "id": sse.id, "at": round(time.monotonic() - head, 4)}), flush=True)
                else:
                    t.emit("sse", type=sse.event, id=sse.id, retry=sse.retry, data=text_payload(sse.data))
            if not self.timings:
                t.emit("stream_end")


def scenario(client, name):
    t = Transcript(name)
    if name == "sse_stream":
        client.stream(t, {"Authorization": f"Bearer {client.login(t)}"})
    elif name == "sse_no_token":
        client.stream(t, {})
    elif name == "sse_forged_token":
        client.stream(t, {"Authorization": f"Bearer {tamper(client.login(t))}"})
    elif name == "sse_resume":
        client.stream(t, {"Authorization": f"Bearer {client.login(t)}", "Last-Event-ID": "2"})
    else:
        raise SystemExit(f"unknown scenario {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base")
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--timings", action="store_true")
    args = parser.parse_args()
    if args.list:
        print("\n".join(SCENARIOS))
        return
    client = Client(args.base, args.timings)
    for name in args.scenario or SCENARIOS:
        try:
            scenario(client, name)
        except Exception as error:  # a transcript line, not a crash: the diff shows it
            Transcript(name).emit("error", message=f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
