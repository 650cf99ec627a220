#!/usr/bin/env bash
# Import speed of TLS captures decrypted with their key logs against the same
# traffic in plaintext (issue 17). Makes three captures on lo with dumpcap,
# each of ROUNDS rounds of Tests/Peers/python/tls_session.py (a login, then a
# wss session of MESSAGES round trips of BYTES-byte random text each way),
# run by 4 clients at once:
#   plain.pcap                   the traffic in plaintext
#   tls13.pcap + tls13.keylog    TLS 1.3 (TLS_AES_256_GCM_SHA384)
#   tls12.pcap + tls12.keylog    TLS 1.2 (ECDHE-ECDSA-AES128-GCM-SHA256)
# then times `authreplay import` on each (best wall time of 3, with its CPU
# time) and prints the TLS/plaintext ratios, a one-line summary last.
#
# usage: sudo scripts/benchmarks/tls-import.sh [ROUNDS] [MESSAGES] [BYTES]   (defaults 400 100 512: ~45 MB a capture)
#   TLS_CAPTURES=DIR   keep the captures in DIR and reuse them when there (make a large capture once, time it often;
#                      reused files keep the size they were made with, whatever ROUNDS says)
#   AUTHREPLAY=PATH    time this binary instead of building release into .build-release (e.g. .build/debug/authreplay)
#   BENCH_SUMMARY=F    append a row to F (scripts/bench's table)
# Needs root, dumpcap (Debian: tshark's dumpcap), GNU time, openssl, python3 with aiohttp and websockets.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-400}
messages=${2:-100}
bytes=${3:-512}
clients=4
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
command -v dumpcap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark >/dev/null
python3 -c 'import aiohttp, websockets.asyncio.client' 2>/dev/null || pip install -q aiohttp websockets
if [ -n "${AUTHREPLAY:-}" ]; then
    bin=$AUTHREPLAY
else
    swift build -c release --product authreplay --scratch-path .build-release >/dev/null
    bin=.build-release/release/authreplay
fi
scratch=$(mktemp -d /tmp/tls-import-bench.XXXX)
captures=${TLS_CAPTURES:-$scratch}
mkdir -p "$captures"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$scratch"' EXIT
script=Tests/Peers/python/tls_session.py

capture() {  # NAME, then serve arguments; writes $captures/NAME.pcap (and NAME.keylog over TLS)
    local name=$1; shift
    if [ -s "$captures/$name.pcap" ]; then echo "$name: reusing $captures/$name.pcap"; return; fi
    python3 $script serve --port 0 "$@" > "$scratch/$name.serve" 2>&1 &
    local server=$!
    for _ in $(seq 100); do grep -q listening "$scratch/$name.serve" && break; sleep 0.1; done
    local base; base=$(sed -n 's/^listening on //p' "$scratch/$name.serve")
    [ -n "$base" ] || { echo "$name: the server did not start"; cat "$scratch/$name.serve"; exit 1; }
    local port=${base##*:}
    # -B: a 64 MiB kernel buffer, so four busy clients do not make dumpcap drop packets.
    dumpcap -q -B 64 -i lo -f "tcp port $port" -w "$captures/$name.pcap" -P 2> "$scratch/$name.dumpcap" &
    local dump=$!
    for _ in $(seq 100); do [ -s "$captures/$name.pcap" ] && break; sleep 0.1; done
    local tls=()
    [ "$name" = plain ] || { : > "$captures/$name.keylog"; tls=(--cafile "$scratch/cert.pem" --keylog "$captures/$name.keylog"); }
    local pids=()
    for c in $(seq $clients); do
        python3 $script client --base "$base" "${tls[@]}" --repeat $(( (rounds + clients - c) / clients )) \
            --messages "$messages" --message-bytes "$bytes" > /dev/null &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    sleep 1  # the last FINs reach dumpcap
    kill -INT $dump; wait $dump || true
    # "Packets received/dropped on interface 'Loopback: lo': 2680/0 (...)": a capture with drops does not decrypt whole.
    local dropped; dropped=$(sed -n "s/.*received\/dropped on interface.*: [0-9]*\/\([0-9]*\) .*/\1/p" "$scratch/$name.dumpcap")
    [ "${dropped:-0}" = 0 ] || echo "WARNING: dumpcap dropped $dropped packets of the $name capture; remove $captures/$name.pcap and run again"
    kill $server; wait $server 2>/dev/null || true
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$scratch/key.pem" -out "$scratch/cert.pem" \
    -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
capture plain
capture tls13 --cert "$scratch/cert.pem" --key "$scratch/key.pem"
capture tls12 --cert "$scratch/cert.pem" --key "$scratch/key.pem" --max-version 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256

measure() {  # NAME, then import arguments; prints "wall cpu sessions anomalies", the best wall of 3 with its CPU
    local name=$1; shift
    local best="" best_cpu=""
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %U %S" -o "$scratch/time.txt" "$bin" import "$@" -o "$scratch/$name.json" > "$scratch/$name.out" 2> "$scratch/$name.err" \
            || { echo "import of $name failed:"; cat "$scratch/$name.err"; exit 1; }
        read -r wall user sys < "$scratch/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; best_cpu=$(awk "BEGIN{print $user + $sys}"); fi
    done
    # "wrote F: N sessions, N HTTP exchanges, N WebSocket messages, N anomalies"
    local counts; counts=$(sed -n 's/.*: \([0-9]*\) sessions, [0-9]* HTTP exchanges, \([0-9]*\) WebSocket messages, \([0-9]*\) anomalies.*/\1 \2 \3/p' "$scratch/$name.out")
    echo "$best $best_cpu $counts"
}

read -r pw pc ps pm pa <<< "$(measure plain "$captures/plain.pcap")"
read -r t3w t3c t3s t3m t3a <<< "$(measure tls13 "$captures/tls13.pcap" --keylog "$captures/tls13.keylog")"
read -r t2w t2c t2s t2m t2a <<< "$(measure tls12 "$captures/tls12.pcap" --keylog "$captures/tls12.keylog")"
mb() { awk "BEGIN{printf \"%.1f\", $(stat -c %s "$captures/$1.pcap") / 1048576}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
echo
echo "authreplay import, best wall of 3 (CPU = user + sys of that run), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $bin"
printf '%-10s %8s %9s %8s %9s %9s %10s  %s\n' capture MB sessions messages anomalies "wall s" "CPU s" "vs plaintext (wall, CPU)"
printf '%-10s %8s %9s %8s %9s %9s %10s  %s\n' plaintext "$(mb plain)" "$ps" "$pm" "$pa" "$pw" "$pc" -
printf '%-10s %8s %9s %8s %9s %9s %10s  %s\n' tls1.3 "$(mb tls13)" "$t3s" "$t3m" "$t3a" "$t3w" "$t3c" "$(ratio "$t3w" "$pw")x, $(ratio "$t3c" "$pc")x"
printf '%-10s %8s %9s %8s %9s %9s %10s  %s\n' tls1.2 "$(mb tls12)" "$t2s" "$t2m" "$t2a" "$t2w" "$t2c" "$(ratio "$t2w" "$pw")x, $(ratio "$t2c" "$pc")x"
# Decryption must be whole: the TLS recordings hold the plaintext's messages.
[ "$t3m" = "$pm" ] && [ "$t2m" = "$pm" ] || echo "WARNING: message counts differ (plaintext $pm, tls1.3 $t3m, tls1.2 $t2m): a capture dropped packets or did not decrypt"
summary="TLS import ($rounds rounds of login + wss with $messages round trips of $bytes B): plaintext $(mb plain) MB in ${pw} s; tls1.3 ${t3w} s ($(ratio "$t3w" "$pw")x wall, $(ratio "$t3c" "$pc")x CPU); tls1.2 ${t2w} s ($(ratio "$t2w" "$pw")x wall, $(ratio "$t2c" "$pc")x CPU)"
echo "$summary"
if [ -n "${BENCH_SUMMARY:-}" ]; then
    printf 'import\tTLS capture + key log vs plaintext, %s sessions, %s MB plaintext\ttls1.3 %s s (%.1f MB/s), tls1.2 %s s\tplaintext %s s (%.1f MB/s)\ttls1.3 %sx, tls1.2 %sx plaintext wall; CPU %sx, %sx\n' \
        "$ps" "$(mb plain)" "$t3w" "$(awk "BEGIN{print $(mb tls13) / $t3w}")" "$t2w" "$pw" "$(awk "BEGIN{print $(mb plain) / $pw}")" \
        "$(ratio "$t3w" "$pw")" "$(ratio "$t2w" "$pw")" "$(ratio "$t3c" "$pc")" "$(ratio "$t2c" "$pc")" >> "$BENCH_SUMMARY"
fi
