#!/usr/bin/env bash
# Tunnel benchmark (issue 20): `authreplay import` of the same WebSocket
# capture plain and wrapped in VXLAN (as cloud traffic mirroring delivers
# it), in the same run. Prints best-of-5 wall times, peak RSS and the ratio;
# the bar is VXLAN within 10% of plain.
#
# usage: scripts/benchmarks/tunnels.sh [SESSIONS]   (default 1000 ≈ 290 MB)
#        AUTHREPLAY_BIN=path/to/authreplay scripts/benchmarks/tunnels.sh   (no build)
#        OUT_DIR=/dev/shm scripts/benchmarks/tunnels.sh   (outputs on tmpfs)
set -euo pipefail
cd "$(dirname "$0")/../.."
sessions=${1:-1000}
work=${BENCH_DIR:-/tmp/authreplay-bench}
out=${OUT_DIR:-$work}
mkdir -p "$work" "$out"
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null

if [ -n "${AUTHREPLAY_BIN:-}" ]; then
    bin=$AUTHREPLAY_BIN
else
    swift build -c release --product authreplay --scratch-path .build-release >/dev/null
    bin=.build-release/release/authreplay
fi

plain="$work/ws-$sessions.pcap"
wrapped="$work/ws-$sessions-vxlan.pcap"
[ -f "$plain" ] || python3 scripts/benchmarks/make-ws-capture.py "$plain" --sessions "$sessions"
[ -f "$wrapped" ] || python3 scripts/benchmarks/wrap-vxlan.py "$plain" "$wrapped"
echo "plain: $plain ($(( $(stat -c %s "$plain") / 1000000 )) MB); vxlan: $wrapped ($(( $(stat -c %s "$wrapped") / 1000000 )) MB)"

# measure NAME CAPTURE: best of 5 wall times (runs alternate with the other
# capture, so load on a shared machine falls on both), peak RSS of that run.
declare -A best rss
for _ in 1 2 3 4 5; do
    for name in plain vxlan; do
        capture=$plain; [ "$name" = vxlan ] && capture=$wrapped
        rm -f "$out/$name.json"; sync
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" import "$capture" --output "$out/$name.json" >/dev/null 2>"$work/stderr.txt" \
            || { cat "$work/stderr.txt"; exit 1; }
        read -r wall kb < "$work/time.txt"
        if [ -z "${best[$name]:-}" ] || awk "BEGIN{exit !($wall < ${best[$name]})}"; then best[$name]=$wall; rss[$name]=$kb; fi
    done
done

# The recordings must agree but for the outer path.
python3 - "$out/plain.json" "$out/vxlan.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s in b["sessions"]:
    assert s.pop("outerPath") == "vxlan vni=42"
assert a["sessions"] == b["sessions"], "VXLAN recording differs from the plain one"
PY

printf '%-6s %8s %10s\n' capture "wall s" "peak MiB"
for name in plain vxlan; do printf '%-6s %8s %10d\n' "$name" "${best[$name]}" $(( ${rss[$name]} / 1024 )); done
awk -v p="${best[plain]}" -v v="${best[vxlan]}" 'BEGIN { printf "vxlan/plain: %.3f (%+.1f%%; bar: within 10%%)\n", v / p, (v / p - 1) * 100 }'
