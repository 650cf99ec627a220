#!/usr/bin/env python3
"""A staging-like Socket.IO service (python-socketio's AsyncServer on aiohttp),
for the Socket.IO differential test. Same login as service.py.

    python3 socketio_service.py --port 0 [--regression]

prints ``listening on http://127.0.0.1:PORT`` as its first stdout line.

The CONNECT auth payload ``{"token": <jwt>}`` is checked: a missing, forged
or expired token is refused (CONNECT_ERROR with ``{"error_code":
"AUTH_REQUIRED", "details": {"error": why}}``). Connected, the client gets
``agent_started``; its ``run`` event is acknowledged with
``{"status": "ok", "steps": N}`` and followed by ``agent_completed``.
``--regression`` refuses valid tokens with the user_context error.
``--ping-interval``/``--ping-timeout`` (seconds, default 5 and 5) set the
Engine.IO heartbeat the ``open`` packet negotiates: the heartbeat tests use
short ones so a session outlives several pings.
"""
import argparse
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service import USER_CONTEXT_ERROR, Service, serve, verify  # noqa: E402

import socketio  # noqa: E402
from aiohttp import web  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--regression", action="store_true", help="refuse valid tokens with the user_context error")
    parser.add_argument("--ping-interval", type=float, default=5)
    parser.add_argument("--ping-timeout", type=float, default=5)
    args = parser.parse_args()
    service = Service(args.regression)
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=args.ping_interval, ping_timeout=args.ping_timeout)

    @sio.event
    async def connect(sid, environ, auth):
        user, why = verify((auth or {}).get("token"))
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("AUTH_REQUIRED", {"error": why})
        if args.regression:
            raise socketio.exceptions.ConnectionRefusedError("AUTH_REQUIRED", {"error": USER_CONTEXT_ERROR})
        await sio.save_session(sid, {"user": user, "run_id": str(uuid.uuid4())})
        session = await sio.get_session(sid)
        await sio.emit("agent_started", {"type": "agent_started", "run_id": session["run_id"], "timestamp": time.time()}, to=sid)

    @sio.event
    async def run(sid, data):
        session = await sio.get_session(sid)
        steps = len((data or {}).get("prompt", ""))
        await sio.emit("agent_completed", {"type": "agent_completed", "run_id": session["run_id"], "steps": steps}, to=sid)
        return {"status": "ok", "steps": steps}

    app = web.Application()
    app.router.add_post("/auth/token", service.token)
    sio.attach(app)
    serve(app, args.port)


if __name__ == "__main__":
    main()
