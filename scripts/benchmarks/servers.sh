#!/usr/bin/env bash
# Server benchmarks (issues 4 and 5): WebSocket sessions per second (handshake,
# six round trips, close) with 64 concurrent clients on loopback, driven by
# `authreplay replay --concurrency 64`, against
#   (a) bench-ws-server: bare SwiftNIO, no matching (the ceiling),
#   (b) authreplay serve: the mock, matching and scripting the recording,
#   (c) aiohttp: a typical Python staging stack,
# all in the same run, plus the replay client's own CPU time. Then peak RSS of
# the mock holding IDLE idle WebSocket connections.
#
# usage: scripts/benchmarks/servers.sh [SESSIONS] [IDLE]   (defaults 20000, 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
sessions=${1:-20000}
idle=${2:-10000}
work=${BENCH_DIR:-/tmp/authreplay-bench}
mkdir -p "$work"
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
python3 -c 'import aiohttp' 2>/dev/null || pip install -q aiohttp
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

swift build -c release --product authreplay --scratch-path .build-release >/dev/null
swift build -c release --product bench-ws-server --scratch-path .build-release >/dev/null
bin=.build-release/release
python3 scripts/benchmarks/make-echo-recording.py "$work/echo.json"

start_server() { # NAME COMMAND... → sets $port and $pid
    local name=$1; shift
    : > "$work/$name.out"
    "$@" > "$work/$name.out" 2> "$work/$name.err" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/$name.out" | head -1)
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "$name did not start"; cat "$work/$name.err"; exit 1
}

run_load() { # NAME → appends "name sessions wall cpu_client passed" to results
    local name=$1
    /usr/bin/time -f "%e %U %S" -o "$work/time.txt" \
        "$bin/authreplay" replay "$work/echo.json" --target "http://127.0.0.1:$port" \
        --concurrency 64 --repeat "$sessions" --timeout 30 > "$work/$name.replay" 2>&1 || true
    read -r wall user sys < "$work/time.txt"
    local summary; summary=$(tail -1 "$work/$name.replay")
    # utime + stime of the server process (and its children: aiohttp's workers), in seconds.
    local ticks; ticks=$(getconf CLK_TCK)
    local server_cpu; server_cpu=$(awk -v t="$ticks" '{printf "%.2f", ($14 + $15 + $16 + $17) / t}' "/proc/$pid/stat")
    echo "$name $wall $user $sys $server_cpu \"$summary\"" >> "$work/servers.txt"
}

rm -f "$work/servers.txt"
start_server bare "$bin/bench-ws-server"; run_load bare-swift; kill "$pid"; wait "$pid" 2>/dev/null || true
start_server mock "$bin/authreplay" serve "$work/echo.json" --port 0; run_load authreplay-serve; kill -INT "$pid"; wait "$pid" 2>/dev/null || true
start_server aiohttp python3 scripts/benchmarks/aiohttp_server.py; run_load aiohttp; kill "$pid"; wait "$pid" 2>/dev/null || true

echo "WebSocket sessions (handshake + 6 round trips + close), $sessions sessions, 64 concurrent, loopback, 2 cores"
printf '%-18s %9s %12s %14s %14s %18s  %s\n' server "wall (s)" "sessions/s" "client CPU s" "server CPU s" "sessions/CPU-s" result
while read -r name wall user sys server_cpu summary; do
    printf '%-18s %9s %12.0f %14.1f %14s %18.0f  %s\n' "$name" "$wall" "$(awk "BEGIN{print $sessions / $wall}")" "$(awk "BEGIN{print $user + $sys}")" \
        "$server_cpu" "$(awk "BEGIN{print $sessions / $server_cpu}")" "$summary"
done < "$work/servers.txt"
echo "sessions/CPU-s: sessions per second of the server's own CPU time, a comparison that holds even where the load generator is the bottleneck"
b=$(awk '$1=="bare-swift"{print $2}' "$work/servers.txt")
m=$(awk '$1=="authreplay-serve"{print $2}' "$work/servers.txt")
a=$(awk '$1=="aiohttp"{print $2}' "$work/servers.txt")
echo "mock vs bare Swift: $(awk "BEGIN{printf \"%.0f\", 100 * $b / $m}")% of the ceiling (target >= 70%)"
echo "mock vs aiohttp:    $(awk "BEGIN{printf \"%.1f\", $a / $m}")x (target >= 5x)"
bc=$(awk '$1=="bare-swift"{print $5}' "$work/servers.txt")
mc=$(awk '$1=="authreplay-serve"{print $5}' "$work/servers.txt")
ac=$(awk '$1=="aiohttp"{print $5}' "$work/servers.txt")
echo "per server CPU second: mock $(awk "BEGIN{printf \"%.0f\", 100 * $bc / $mc}")% of bare Swift, $(awk "BEGIN{printf \"%.1f\", $ac / $mc}")x aiohttp"
if [ -n "${BENCH_SUMMARY:-}" ]; then
    cpu=$(awk '$1=="bare-swift"{print $3 + $4}' "$work/servers.txt")
    printf 'mock	WebSocket sessions/s (handshake, 6 round trips, close), 64 concurrent	%.0f/s	bare SwiftNIO %.0f/s, aiohttp %.0f/s	%.0f%% of bare (target >= 70%%), %.1fx aiohttp (target >= 5)\n' \
        "$(awk "BEGIN{print $sessions / $m}")" "$(awk "BEGIN{print $sessions / $b}")" "$(awk "BEGIN{print $sessions / $a}")" \
        "$(awk "BEGIN{print 100 * $b / $m}")" "$(awk "BEGIN{print $a / $m}")" >> "$BENCH_SUMMARY"
    printf 'mock	sessions per second of server CPU (holds even where the client is the bottleneck)	%.0f	bare SwiftNIO %.0f, aiohttp %.0f	%.0f%% of bare, %.1fx aiohttp\n' \
        "$(awk "BEGIN{print $sessions / $mc}")" "$(awk "BEGIN{print $sessions / $bc}")" "$(awk "BEGIN{print $sessions / $ac}")" \
        "$(awk "BEGIN{print 100 * $bc / $mc}")" "$(awk "BEGIN{print $ac / $mc}")" >> "$BENCH_SUMMARY"
    printf 'replay	authreplay replay --concurrency 64 against bare SwiftNIO	%.0f sessions/s, %.1f s client CPU for %s sessions	-	target >= 1000/s\n' \
        "$(awk "BEGIN{print $sessions / $b}")" "$cpu" "$sessions" >> "$BENCH_SUMMARY"
fi

# Idle connections: open IDLE WebSocket connections to the mock and hold them.
start_server mock-idle "$bin/authreplay" serve "$work/echo.json" --port 0 --max-connections $((idle + 100)) --idle-timeout 600
python3 - "$port" "$idle" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
req = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
socks, ok = [], 0
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
for s in socks:
    s.settimeout(10)
    if s.recv(4096).startswith(b"HTTP/1.1 101"): ok += 1
print(f"{ok} of {n} idle WebSocket connections upgraded", flush=True)
time.sleep(2)
PY
rss=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
echo "mock peak RSS with $idle idle WebSocket connections: $((rss / 1024)) MB (target <= 500 MB)"
[ -z "${BENCH_SUMMARY:-}" ] || printf 'mock\t%s idle WebSocket connections\tpeak RSS %s MB\t-\ttarget <= 500 MB\n' "$idle" "$((rss / 1024))" >> "$BENCH_SUMMARY"
kill -INT "$pid"; wait "$pid" 2>/dev/null || true
