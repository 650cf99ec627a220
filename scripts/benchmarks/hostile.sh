#!/usr/bin/env bash
# Hostile capture (issue 8): N TCP connections that open, send half a
# request head and never end, all open at once. Prints the import's wall time
# and peak RSS (the bound is the reassembler's connection cap, 100,000 by
# default, and its byte caps); with BENCH_SUMMARY set, appends a row.
#
# usage: scripts/benchmarks/hostile.sh [CONNECTIONS]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
work=${BENCH_DIR:-/tmp/authreplay-bench}
mkdir -p "$work"
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
swift build -c release --product authreplay --scratch-path .build-release >/dev/null
capture="$work/half-open-$n.pcap"
[ -f "$capture" ] || python3 scripts/benchmarks/make-half-open-capture.py "$capture" --connections "$n"
/usr/bin/time -f "%e %M" -o "$work/time.txt" .build-release/release/authreplay import "$capture" --output "$work/half-open.json" >/dev/null
read -r wall kb < "$work/time.txt"
echo "$n half-open connections ($(( $(stat -c %s "$capture") / 1000000 )) MB): import $wall s, peak RSS $((kb / 1024)) MB"
[ -z "${BENCH_SUMMARY:-}" ] || printf 'hostile\timport of %s half-open connections\t%s s, peak RSS %s MB\t-\tbounded by the 100k-connection cap\n' "$n" "$wall" "$((kb / 1024))" >> "$BENCH_SUMMARY"
