#!/usr/bin/env python3
"""WebSocket handshake latency on loopback: CONCURRENCY threads each open a
TCP connection, send the upgrade request, time until the `101` status line,
then close. Prints count, p50 and p99 in milliseconds.
usage: handshake_latency.py PORT [HANDSHAKES] [CONCURRENCY]"""
import socket, sys, threading, time

port = int(sys.argv[1])
total = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 64
request = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
samples, failures, lock = [], [0], threading.Lock()
remaining = [total]

def worker():
    while True:
        with lock:
            if remaining[0] == 0:
                return
            remaining[0] -= 1
        try:
            start = time.perf_counter()
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(request)
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
            elapsed = time.perf_counter() - start
            s.close()
            with lock:
                if head.startswith(b"HTTP/1.1 101"):
                    samples.append(elapsed)
                else:
                    failures[0] += 1
        except OSError:
            with lock:
                failures[0] += 1

threads = [threading.Thread(target=worker) for _ in range(concurrency)]
for t in threads: t.start()
for t in threads: t.join()
samples.sort()
def pct(p): return samples[min(len(samples) - 1, int(p * len(samples)))] * 1000
print(f"{len(samples)} handshakes, {failures[0]} failed, p50 {pct(0.50):.2f} ms, p99 {pct(0.99):.2f} ms")
