#!/usr/bin/env python3
"""A staging-like Server-Sent Events service on aiohttp (web.StreamResponse),
for the SSE differential test. Same login as service.py (whose token code it
reuses); not written around authreplay.

    python3 sse_service.py --port 0 [--regression]

prints ``listening on http://127.0.0.1:PORT`` as its first stdout line.

``GET /events?run=NAME`` needs ``Authorization: Bearer <jwt>`` (401 JSON
otherwise) and streams an agent run: a ``retry`` and a comment first, then
``agent_started`` (id 1), ``agent_thinking`` (id 2, multi-line data),
``agent_completed`` (id 3), at gaps of GAPS seconds, then ends the response.
``Last-Event-ID: N`` resumes after event N. ``--regression`` answers valid
tokens with one ``error`` event carrying AUTH_REQUIRED and the user_context
error, the founding bug's symptom over SSE.
"""
import argparse
import asyncio
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service import USER_CONTEXT_ERROR, Service, serve, verify  # noqa: E402

from aiohttp import web  # noqa: E402

# Seconds before each event, after the head: long enough that a pacing error shows.
GAPS = [0.15, 0.3, 0.2]


def block(event=None, data=None, id=None, retry=None, comment=None):
    lines = []
    if comment is not None:
        lines.append(f": {comment}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    if id is not None:
        lines.append(f"id: {id}")
    if event is not None:
        lines.append(f"event: {event}")
    if data is not None:
        lines += [f"data: {line}" for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


class SSEService(Service):
    async def events(self, request):
        authorization = request.headers.get("Authorization", "")
        token = authorization[7:] if authorization.startswith("Bearer ") else None
        user, why = verify(token)
        if user is None:
            return web.json_response({"error_code": "AUTH_REQUIRED", "details": {"error": why}}, status=401)
        run_id = str(uuid.uuid4())
        events = [
            dict(id="1", event="agent_started", data=json.dumps({"type": "agent_started", "run_id": run_id, "timestamp": time.time()})),
            dict(id="2", event="agent_thinking", data="thinking about it\nstill thinking"),
            dict(id="3", event="agent_completed", data=json.dumps({"type": "agent_completed", "run_id": run_id, "result": "ok"})),
        ]
        last = request.headers.get("Last-Event-ID")
        if last is not None:
            ids = [e["id"] for e in events]
            events = events[ids.index(last) + 1:] if last in ids else events
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        await response.write(block(retry=2000, comment="connected"))
        if self.regression:
            await asyncio.sleep(GAPS[0])
            error = {"error_code": "AUTH_REQUIRED", "details": {"error": USER_CONTEXT_ERROR}}
            await response.write(block(event="error", data=json.dumps(error, separators=(",", ":"))))
        else:
            for gap, event in zip(GAPS[-len(events):] if events else [], events):
                await asyncio.sleep(gap)
                await response.write(block(**event))
        await response.write_eof()
        return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--regression", action="store_true", help="answer valid tokens with an AUTH_REQUIRED error event")
    args = parser.parse_args()
    service = SSEService(args.regression)
    app = web.Application()
    app.router.add_post("/auth/token", service.token)
    app.router.add_get("/events", service.events)
    serve(app, args.port)


if __name__ == "__main__":
    main()
