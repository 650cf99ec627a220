#!/usr/bin/env bash
# Capture benchmark (issues 3 and 19): `authreplay import` with one decoding
# thread (--jobs 1) and one per core (--jobs $(nproc)), against tcpflow (TCP
# reassembly only) and tshark (WebSocket dissection) on the same capture, in
# the same run, for both capture shapes:
#   ethernet  1448-byte segments, 4-11 message rounds per session (SESSIONS sessions)
#   loopback  65483-byte segments as tcpdump sees them on lo, ~33 messages of
#             10 B-70 KB per session (2 x SESSIONS sessions, as in issue 19)
# Prints wall time, CPU time (user + system), peak RSS and ratios.
#
# usage: scripts/benchmarks/capture.sh [SESSIONS]   (default 1000: ≈ 290 MB and ≈ 330 MB)
#        AUTHREPLAY_BIN=path/to/authreplay scripts/benchmarks/capture.sh 1000   (no build)
#        OUT_DIR=/dev/shm scripts/benchmarks/capture.sh 1000   (outputs on tmpfs)
#        SHAPES=loopback scripts/benchmarks/capture.sh   (one shape only)
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
shapes=${SHAPES:-ethernet loopback}
cores=$(nproc)
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

# measure NAME COMMAND...: best of 3 wall times, with that run's CPU time and peak RSS.
# Every run writes to a fresh place: the previous run's output is deleted
# and flushed outside the timing (deleting 280 MB on ext4 costs ~0.4 s,
# which would otherwise land in whichever tool replaces its old output).
measure() {
    local name=$1; shift
    local best="" cpu="" rss=""
    for _ in 1 2 3; do
        rm -rf "$out/tcpflow-out" "$out/out.json"; mkdir -p "$out/tcpflow-out"; sync
        /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || { cat "$work/stderr.txt"; exit 1; }
        read -r wall user sys kb < "$work/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
            best=$wall; cpu=$(awk "BEGIN{printf \"%.2f\", $user + $sys}"); rss=$kb
        fi
    done
    printf '%s %s %s %s\n' "$name" "$best" "$cpu" "$rss" >> "$work/results.txt"
}

field() { awk -v n="$1" -v c="$2" '$1==n{print $c}' "$work/results.txt"; }

for shape in $shapes; do
    case $shape in
        ethernet) n=$sessions; capture="$work/ws-$n.pcap"; make=(--sessions "$n") ;;
        loopback) n=$((sessions * 2)); capture="$work/ws-lo-$n.pcap"; make=(--sessions "$n" --messages 33 --segment 65483) ;;
        *) echo "unknown shape $shape (ethernet, loopback)" >&2; exit 2 ;;
    esac
    [ -f "$capture" ] || python3 scripts/benchmarks/make-ws-capture.py "$capture" "${make[@]}"
    size_mb=$(( $(stat -L -c %s "$capture") / 1000000 ))
    echo "capture ($shape): $capture ($size_mb MB, $n WebSocket sessions); outputs in $out; load $(cut -d' ' -f1-3 /proc/loadavg)"

    rm -f "$work/results.txt"
    measure jobs1 "$bin" import "$capture" --output "$out/out.json" --jobs 1
    measure jobsN "$bin" import "$capture" --output "$out/out.json" --jobs "$cores"
    measure tcpflow tcpflow -r "$capture" -o "$out/tcpflow-out"
    measure tshark tshark -r "$capture" -Y websocket -T fields -e websocket.opcode

    # Outputs on a separate (tmpfs) place are not kept: they would hold the memory.
    [ -n "${OUT_DIR:-}" ] && rm -rf "$out/tcpflow-out" "$out/out.json"

    echo
    printf '%-22s %10s %10s %12s %10s\n' tool "wall (s)" "CPU (s)" "peak RSS MB" "MB/s"
    while read -r name wall cpu kb; do
        label=$name
        [ "$name" = jobs1 ] && label="authreplay --jobs 1"
        [ "$name" = jobsN ] && label="authreplay --jobs $cores"
        printf '%-22s %10s %10s %12d %10.0f\n' "$label" "$wall" "$cpu" $((kb / 1024)) "$(awk "BEGIN{print $size_mb / $wall}")"
    done < "$work/results.txt"
    a1=$(field jobs1 2); an=$(field jobsN 2); t=$(field tcpflow 2); s=$(field tshark 2)
    echo
    echo "--jobs $cores vs --jobs 1: $(awk "BEGIN{printf \"%.2f\", $a1 / $an}")x faster"
    echo "authreplay (--jobs $cores) vs tcpflow: $(awk "BEGIN{printf \"%.2f\", $t / $an}")x (>= 1.00 means authreplay is no slower)"
    echo "authreplay (--jobs $cores) vs tshark:  $(awk "BEGIN{printf \"%.1f\", $s / $an}")x faster (target >= 15)"
    if [ -n "${BENCH_SUMMARY:-}" ]; then
        mb() { awk -v k="$1" 'BEGIN{print int(k / 1024)}'; }
        peers="tcpflow $t s, CPU $(field tcpflow 3) s ($(mb "$(field tcpflow 4)") MB), tshark $s s, CPU $(field tshark 3) s ($(mb "$(field tshark 4)") MB)"
        for run in jobs1 jobsN; do
            jobs=1; [ $run = jobsN ] && jobs=$cores
            w=$(field $run 2)
            printf 'capture\timport --jobs %s, %s MB %s shape, %s WebSocket sessions\t%s s, CPU %s s, peak RSS %s MB\t%s\t%.2fx tcpflow (target >= 1), %.1fx tshark (target >= 15)\n' \
                "$jobs" "$size_mb" "$shape" "$n" "$w" "$(field $run 3)" "$(mb "$(field $run 4)")" "$peers" \
                "$(awk "BEGIN{print $t / $w}")" "$(awk "BEGIN{print $s / $w}")" >> "$BENCH_SUMMARY"
        done
    fi
    echo
done
