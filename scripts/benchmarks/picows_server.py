#!/usr/bin/env python3
"""A bare Python peer for the server benchmarks (issue 19): picows (a
WebSocket library in Cython), no matching and no JWT verification: the
handshake must carry `Authorization: Bearer ...` (else 401), each text message
{"type":"msg","n":N} is answered by {"type":"ack","n":N} then
{"type":"echo","n":N}, a close by a close. The floor a Python service can
reach; the mock is meant to cost less CPU per session than this.

Prints `listening on http://127.0.0.1:PORT`. usage: picows_server.py [PORT]"""
import asyncio, sys

from picows import WSListener, WSMsgType, WSUpgradeResponse, WSUpgradeResponseWithListener, ws_create_server


class Session(WSListener):
    def on_ws_frame(self, transport, frame):
        if frame.msg_type == WSMsgType.TEXT:
            text = frame.get_payload_as_bytes()
            transport.send(WSMsgType.TEXT, text.replace(b'"msg"', b'"ack"'))
            transport.send(WSMsgType.TEXT, text.replace(b'"msg"', b'"echo"'))
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()


def listener(request):
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        refusal = WSUpgradeResponse.create_error_response(401, b'{"error":"invalid_token"}', {"WWW-Authenticate": "Bearer"})
        return WSUpgradeResponseWithListener(refusal, None)
    return Session()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await ws_create_server(listener, "127.0.0.1", port)
    print(f"listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
