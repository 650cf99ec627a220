#!/usr/bin/env python3
"""The "typical staging stack" peer for the server benchmarks: an aiohttp
WebSocket server doing the benchmark exchange ({"type":"msg","n":N} answered
by {"type":"echo","n":N}; a close answered by a close).
Prints `listening on http://127.0.0.1:PORT`. usage: aiohttp_server.py [PORT]"""
import asyncio, socket, sys
from aiohttp import web, WSMsgType

async def ws(request):
    sock = web.WebSocketResponse(autoping=True)
    await sock.prepare(request)
    async for msg in sock:
        if msg.type == WSMsgType.TEXT:
            await sock.send_str(msg.data.replace('"msg"', '"echo"'))
    return sock

def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    print(f"listening on http://127.0.0.1:{s.getsockname()[1]}", flush=True)
    app = web.Application()
    app.router.add_get("/ws", ws)
    web.run_app(app, sock=s, print=None, access_log=None)

if __name__ == "__main__":
    main()
