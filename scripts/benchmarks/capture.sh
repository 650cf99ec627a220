#!/usr/bin/env bash
# Capture benchmark (issue 3): `authreplay import` against tcpflow (TCP
# reassembly only) and tshark (WebSocket dissection) on the same large
# capture, in the same run. Prints wall time, peak RSS and ratios.
#
# usage: scripts/benchmarks/capture.sh [SESSIONS]   (default 1000 ≈ 290 MB)
#        AUTHREPLAY_BIN=path/to/authreplay scripts/benchmarks/capture.sh 1000   (no build)
#        OUT_DIR=/dev/shm scripts/benchmarks/capture.sh 1000   (outputs on tmpfs)
#
# Where the outputs go matters for tcpflow: it writes one file per flow
# (2000 here), and on ext4 creating them right after the previous run's
# were deleted costs it 0.5-1 s of kernel time (ext4 skips recently freed
# inodes), so its time on disk swings between 0.5 and 1.5 s. On tmpfs
# (OUT_DIR=/dev/shm) both tools are measured doing their own work only.
set -euo pipefail
cd "$(dirname "$0")/../.."
sessions=${1:-1000}
work=${BENCH_DIR:-/tmp/authreplay-bench}
out=${OUT_DIR:-$work}
mkdir -p "$work" "$out"

need=()
for tool in tcpflow tshark; do command -v "$tool" >/dev/null || need+=("$tool"); done
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# AUTHREPLAY_BIN: measure that binary instead (a before/after comparison), without building.
if [ -n "${AUTHREPLAY_BIN:-}" ]; then
    bin=$AUTHREPLAY_BIN
else
    swift build -c release --product authreplay --scratch-path .build-release >/dev/null
    bin=.build-release/release/authreplay
fi

capture="$work/ws-$sessions.pcap"
[ -f "$capture" ] || python3 scripts/benchmarks/make-ws-capture.py "$capture" --sessions "$sessions"
size_mb=$(( $(stat -c %s "$capture") / 1000000 ))
echo "capture: $capture ($size_mb MB, $sessions WebSocket sessions); outputs in $out"

# measure NAME COMMAND...: best of 3 wall times, peak RSS of that run.
# Every run writes to a fresh place: the previous run's output is deleted
# and flushed outside the timing (deleting 280 MB on ext4 costs ~0.4 s,
# which would otherwise land in whichever tool replaces its old output).
measure() {
    local name=$1; shift
    local best="" rss=""
    for _ in 1 2 3; do
        rm -rf "$out/tcpflow-out" "$out/out.json"; mkdir -p "$out/tcpflow-out"; sync
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || { cat "$work/stderr.txt"; exit 1; }
        read -r wall kb < "$work/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; rss=$kb; fi
    done
    printf '%s %s %s\n' "$name" "$best" "$rss" >> "$work/results.txt"
}

rm -f "$work/results.txt"
measure authreplay "$bin" import "$capture" --output "$out/out.json"
measure tcpflow tcpflow -r "$capture" -o "$out/tcpflow-out"
measure tshark tshark -r "$capture" -Y websocket -T fields -e websocket.opcode

# Outputs on a separate (tmpfs) place are not kept: they would hold the memory.
[ -n "${OUT_DIR:-}" ] && rm -rf "$out/tcpflow-out" "$out/out.json"

echo
printf '%-12s %10s %12s %10s\n' tool "wall (s)" "peak RSS MB" "MB/s"
while read -r name wall kb; do
    printf '%-12s %10s %12d %10.0f\n' "$name" "$wall" $((kb / 1024)) "$(awk "BEGIN{print $size_mb / $wall}")"
done < "$work/results.txt"
a=$(awk '$1=="authreplay"{print $2}' "$work/results.txt")
t=$(awk '$1=="tcpflow"{print $2}' "$work/results.txt")
s=$(awk '$1=="tshark"{print $2}' "$work/results.txt")
echo
echo "authreplay vs tcpflow: $(awk "BEGIN{printf \"%.2f\", $t / $a}")x (>= 1.00 means authreplay is no slower)"
echo "authreplay vs tshark:  $(awk "BEGIN{printf \"%.1f\", $s / $a}")x faster (target >= 15)"
if [ -n "${BENCH_SUMMARY:-}" ]; then
    ar=$(awk '$1=="authreplay"{print int($3/1024)}' "$work/results.txt")
    tr=$(awk '$1=="tcpflow"{print int($3/1024)}' "$work/results.txt")
    sr=$(awk '$1=="tshark"{print int($3/1024)}' "$work/results.txt")
    printf 'capture\timport %s MB, %s WebSocket sessions\t%s s, peak RSS %s MB\ttcpflow %s s (%s MB), tshark %s s (%s MB)\t%.2fx tcpflow (target >= 1), %.1fx tshark (target >= 15)\n' \
        "$size_mb" "$sessions" "$a" "$ar" "$t" "$tr" "$s" "$sr" "$(awk "BEGIN{print $t / $a}")" "$(awk "BEGIN{print $s / $a}")" >> "$BENCH_SUMMARY"
fi
