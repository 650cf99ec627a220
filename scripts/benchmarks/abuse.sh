#!/usr/bin/env bash
# Overload and abuse (issue 8): scripts/benchmarks/abuse.py against `authreplay
# serve` and against `authreplay record` (the recording proxy) in front of
# it, on loopback. Prints each run's table; with BENCH_SUMMARY set, appends
# the well-behaved clients' success rate, p99 and the server's peak RSS.
#
# usage: scripts/benchmarks/abuse.sh [SESSIONS] [SECONDS]   (defaults 2000, 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
sessions=${1:-2000}
seconds=${2:-20}
work=${BENCH_DIR:-/tmp/authreplay-bench}
mkdir -p "$work"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
swift build -c release --product authreplay --scratch-path .build-release >/dev/null
bin=.build-release/release/authreplay
python3 scripts/benchmarks/make-echo-recording.py "$work/echo.json"

wait_port() { # FILE → prints the port of its "listening on" line
    for _ in $(seq 100); do
        local p; p=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$1" | head -1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.1
    done
    echo "no listening line in $1" >&2; return 1
}

row() { # NAME JSON
    [ -n "${BENCH_SUMMARY:-}" ] || return 0
    python3 - "$1" "$2" "$sessions" >> "$BENCH_SUMMARY" <<'PY'
import json, sys
name, r, n = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
p = r["probe"]; total = p["ok"] + p["failed"]
h = r["hold"]
print(f"abuse\t{name}: well-behaved sessions during abuse\t{100 * p['ok'] / max(total, 1):.1f}% ok, p99 {p.get('p99ms', '?')} ms\t{n} held sessions: {100 * h['ok'] / max(h['ok'] + h['failed'], 1):.1f}% ok\tpeak RSS {r['peakRSSMB']} MB")
PY
}

: > "$work/abuse-mock.out"
"$bin" serve "$work/echo.json" --port 0 --max-connections $((sessions + 1000)) > "$work/abuse-mock.out" 2> "$work/abuse-mock.err" &
mock=$!
mport=$(wait_port "$work/abuse-mock.out")
echo "== authreplay serve (pid $mock, port $mport)"
python3 scripts/benchmarks/abuse.py --port "$mport" --pid "$mock" --sessions "$sessions" --duration "$seconds" --json "$work/abuse-mock.json"
row "authreplay serve" "$(cat "$work/abuse-mock.json")"
echo "mock log: $(grep -c 'head not complete' "$work/abuse-mock.err" || true) slow heads cut off, $(grep -c 'refused' "$work/abuse-mock.err" || true) connections refused over the limit"

: > "$work/abuse-proxy.out"
"$bin" record --upstream "http://127.0.0.1:$mport" --listen 127.0.0.1:0 --max-connections $((sessions + 1000)) --output "$work/abuse-recorded.json" > "$work/abuse-proxy.out" 2> "$work/abuse-proxy.err" &
proxy=$!
pport=$(wait_port "$work/abuse-proxy.out")
echo "== authreplay record (pid $proxy, port $pport) in front of the mock"
python3 scripts/benchmarks/abuse.py --port "$pport" --pid "$proxy" --sessions "$sessions" --duration "$seconds" --json "$work/abuse-proxy.json"
row "authreplay record (proxy)" "$(cat "$work/abuse-proxy.json")"
kill -INT "$proxy"; wait "$proxy" 2>/dev/null || true
kill -INT "$mock"; wait "$mock" 2>/dev/null || true
