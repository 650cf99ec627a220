#!/usr/bin/env python3
"""Overload and abuse of a server on loopback (issue 8), while well-behaved
clients keep using it. The server must serve the echo recording of
make-echo-recording.py at /ws: handshake, six round trips
({"type":"msg","n":N} -> {"type":"echo","n":N}), close 1000 by the client.

All at once, for DURATION seconds:
  hold      SESSIONS concurrent well-behaved WebSocket sessions, one round trip
            every ~2 s, so they are all open together;
  probe     4 clients running whole sessions back to back, timed (success
            rate, p50/p99 of a whole session);
  slowloris 200 connections sending a request head one byte every 2 s, and
            200 upgraded connections sending a frame one byte every 2 s;
  garbage   random bytes, a bad request line, a huge header, a bad upgrade;
  oversized frames claiming 2^62 bytes and 16 MiB messages;
  vanish    clients that send half a frame and reset the connection.
Every loop is bounded by DURATION; every socket has a timeout.
Prints one line per group and the server's peak RSS (VmHWM of --pid).

usage: abuse.py --port P [--pid PID] [--sessions 2000] [--duration 20] [--json FILE]
"""
import argparse, asyncio, base64, json, os, random, resource, struct, time

REQUEST = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
TIMEOUT = 10


def frame(opcode, payload, mask=True, fin=True, length=None):
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


async def read_frame(reader):
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", await reader.readexactly(8))[0]
    return b0 & 0x0F, await reader.readexactly(n)


async def handshake(port):
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(REQUEST.format(port=port, key=key).encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise RuntimeError(head.split(b"\r\n")[0].decode(errors="replace"))
    return reader, writer


async def session(port, pause=0.0):
    """One whole echo session; raises on any deviation, naming the step."""
    try:
        reader, writer = await handshake(port)
    except Exception as e:
        raise RuntimeError(f"handshake: {type(e).__name__} {e}".strip())
    try:
        for n in range(6):
            if pause:
                await asyncio.sleep(pause * random.random())
            writer.write(frame(1, json.dumps({"type": "msg", "n": n}, separators=(",", ":")).encode()))
            try:
                opcode, payload = await asyncio.wait_for(read_frame(reader), TIMEOUT + pause)
            except Exception as e:
                raise RuntimeError(f"reply {n}: {type(e).__name__} {e}".strip())
            if opcode != 1 or json.loads(payload) != {"type": "echo", "n": n}:
                raise RuntimeError(f"unexpected frame {opcode} {payload[:60]!r}")
        writer.write(frame(8, struct.pack(">H", 1000)))
        opcode, _ = await asyncio.wait_for(read_frame(reader), TIMEOUT)
        if opcode != 8:
            raise RuntimeError("no close reply")
    finally:
        writer.close()


class Stats:
    def __init__(self):
        self.ok, self.failed, self.latencies, self.errors = 0, 0, [], {}

    def fail(self, error):
        self.failed += 1
        key = type(error).__name__ + (f": {error}" if str(error) else "")
        self.errors[key[:80]] = self.errors.get(key[:80], 0) + 1

    def line(self, name):
        total = self.ok + self.failed
        rate = 100.0 * self.ok / total if total else 0.0
        text = f"{name:<10} {self.ok:>6} ok {self.failed:>5} failed ({rate:5.1f}% ok)"
        if self.latencies:
            s = sorted(self.latencies)
            pct = lambda p: s[min(len(s) - 1, int(p * len(s)))] * 1000
            text += f"  session p50 {pct(0.5):.1f} ms p99 {pct(0.99):.1f} ms"
        if self.errors:
            text += "  e.g. " + "; ".join(f"{k} x{v}" for k, v in sorted(self.errors.items(), key=lambda kv: -kv[1])[:2])
        return text


async def hold(port, stats, deadline):
    await asyncio.sleep(random.random() * 2)
    try:
        await session(port, pause=2.0)
        stats.ok += 1
    except Exception as e:
        stats.fail(e)


async def probe(port, stats, deadline):
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            await session(port)
            stats.latencies.append(time.perf_counter() - start)
            stats.ok += 1
        except Exception as e:
            stats.fail(e)
            await asyncio.sleep(0.05)


async def slow_head(port, stats, deadline):
    """Counts as ok when the server closes the connection before the deadline."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    except Exception as e:
        return stats.fail(e)
    data = REQUEST.format(port=port, key="dGhlIHNhbXBsZSBub25jZQ==").encode()
    try:
        for b in data[:-2]:
            if time.monotonic() > deadline:
                break
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(2)
            if reader.at_eof():
                break
        closed = reader.at_eof() or await _closed(reader)
        stats.ok += closed
        if not closed:
            stats.fail(RuntimeError("still open at the end"))
    except (ConnectionError, OSError):
        stats.ok += 1
    finally:
        writer.close()


async def _closed(reader):
    try:
        return await asyncio.wait_for(reader.read(1), 0.2) == b""
    except asyncio.TimeoutError:
        return False
    except (ConnectionError, OSError):
        return True


async def slow_frame(port, stats, deadline):
    try:
        reader, writer = await handshake(port)
    except Exception as e:
        return stats.fail(e)
    data = frame(1, b'{"type":"msg","n":0}')
    try:
        for b in data[:-1]:
            if time.monotonic() > deadline:
                break
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(2)
        stats.ok += 1  # the server kept serving others meanwhile; nothing to assert per connection
    except (ConnectionError, OSError):
        stats.ok += 1
    finally:
        writer.close()


async def expect_rejection(port, payload, stats, upgrade=False):
    """Sends `payload` (after a handshake when `upgrade`); ok when the server answers
    with an HTTP error or a close frame, or closes the connection, within the timeout."""
    try:
        if upgrade:
            reader, writer = await handshake(port)
        else:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        writer.write(payload)
        data = await asyncio.wait_for(reader.read(4096), TIMEOUT)
        ok = data == b"" or data.startswith(b"HTTP/1.1 4") or (upgrade and data[:1] == b"\x88")
        if ok:
            stats.ok += 1
        else:
            stats.fail(RuntimeError(f"answered {data[:40]!r}"))
        writer.close()
    except (ConnectionError, OSError, asyncio.IncompleteReadError):
        stats.ok += 1
    except Exception as e:
        stats.fail(e)


async def garbage(port, stats, deadline):
    payloads = [
        lambda: os.urandom(random.randint(1, 2048)),
        lambda: b"GET /ws HTTP/9.9\r\n\r\n",
        lambda: b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n",
        lambda: b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
        lambda: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),
    ]
    i = 0
    while time.monotonic() < deadline:
        await expect_rejection(port, payloads[i % len(payloads)](), stats)
        i += 1


async def oversized(port, stats, deadline):
    while time.monotonic() < deadline:
        await expect_rejection(port, frame(1, b"", length=1 << 62)[:14], stats, upgrade=True)
        # A 16 MiB masked message: masked random bytes are random bytes, so skip the XOR.
        head = frame(2, b"", length=16 << 20)[:10]
        await expect_rejection(port, head + os.urandom(4) + os.urandom(16 << 20), stats, upgrade=True)


async def vanish(port, stats, deadline):
    while time.monotonic() < deadline:
        try:
            reader, writer = await handshake(port)
            writer.write(frame(1, b'{"type":"msg","n":0}' * 50)[:300])
            await writer.drain()
            sock = writer.get_extra_info("socket")
            sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            stats.ok += 1
        except Exception as e:
            stats.fail(e)
        await asyncio.sleep(0.01)


def peak_rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    random.seed(8)
    deadline = time.monotonic() + args.duration
    groups = {name: Stats() for name in ["probe", "hold", "slow-head", "slow-frame", "garbage", "oversized", "vanish"]}
    tasks = [probe(args.port, groups["probe"], deadline) for _ in range(4)]
    tasks += [hold(args.port, groups["hold"], deadline) for _ in range(args.sessions)]
    tasks += [slow_head(args.port, groups["slow-head"], deadline) for _ in range(200)]
    tasks += [slow_frame(args.port, groups["slow-frame"], deadline) for _ in range(200)]
    tasks += [garbage(args.port, groups["garbage"], deadline) for _ in range(2)]
    tasks += [oversized(args.port, groups["oversized"], deadline)]
    tasks += [vanish(args.port, groups["vanish"], deadline)]
    await asyncio.wait_for(asyncio.gather(*tasks), args.duration + 4 * TIMEOUT + 30)
    rss = peak_rss_mb(args.pid) if args.pid else None
    if args.json:
        result = {name: {"ok": s.ok, "failed": s.failed} for name, s in groups.items()}
        lat = sorted(groups["probe"].latencies)
        if lat:
            result["probe"] |= {"p50ms": round(lat[len(lat) // 2] * 1000, 1), "p99ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000, 1)}
        with open(args.json, "w") as f:
            json.dump(result | {"peakRSSMB": rss}, f)
    print(f"abuse for {args.duration:.0f} s on port {args.port}: {args.sessions} concurrent sessions held, 400 slow clients")
    for name, s in groups.items():
        print(s.line(name))
    if rss is not None:
        print(f"server peak RSS: {rss} MB")


asyncio.run(main())
