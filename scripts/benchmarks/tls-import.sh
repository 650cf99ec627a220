#!/usr/bin/env bash
# Import speed of a TLS capture (decrypted with its key log) against the same
# traffic in plaintext (issue 17). Captures N rounds of Tests/Peers/python/tls_session.py
# (a login + a wss session each) with dumpcap on lo, once over TLS 1.3 and once
# in plaintext, then times `authreplay import` on each, best of 3.
#   sudo scripts/benchmarks/tls-import.sh [ROUNDS] [AUTHREPLAY]   (default 100, .build/release/authreplay)
# Needs root, dumpcap (Debian: tshark's dumpcap), openssl, python3 with aiohttp and websockets.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-100}
bin=${2:-.build/release/authreplay}
work=$(mktemp -d /tmp/tls-import-bench.XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
script=Tests/Peers/python/tls_session.py
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null

capture() {  # name, then serve arguments
    local name=$1; shift
    python3 $script serve --port 0 "$@" > "$work/$name.serve" 2>&1 &
    local server=$!
    for _ in $(seq 100); do grep -q listening "$work/$name.serve" && break; sleep 0.1; done
    local base; base=$(sed -n 's/^listening on //p' "$work/$name.serve")
    local port=${base##*:}
    dumpcap -q -P -i lo -f "tcp port $port" -w "$work/$name.pcap" 2>/dev/null &
    local dump=$!
    sleep 1
    : > "$work/$name.keylog"
    for _ in $(seq "$rounds"); do
        if [ "$name" = tls ]; then
            python3 $script client --base "$base" --cafile "$work/cert.pem" --keylog "$work/$name.keylog" > /dev/null
        else
            python3 $script client --base "$base" > /dev/null
        fi
    done
    sleep 1
    kill -INT $dump; wait $dump || true
    kill $server; wait $server 2>/dev/null || true
}

capture plain
capture tls --cert "$work/cert.pem" --key "$work/key.pem"

best() {  # prints the best wall time of 3 imports, in seconds
    local best=999999
    for _ in 1 2 3; do
        local start end
        start=$(date +%s.%N)
        "$bin" import "$@" -o "$work/out.json" > /dev/null 2>&1
        end=$(date +%s.%N)
        best=$(echo "$end - $start" | bc -l | awk -v b="$best" '{ print ($1 < b) ? $1 : b }')
    done
    echo "$best"
}
plain=$(best "$work/plain.pcap")
tls=$(best "$work/tls.pcap" --keylog "$work/tls.keylog")
"$bin" import "$work/tls.pcap" --keylog "$work/tls.keylog" -o "$work/out.json" | head -1
printf 'plaintext: %s bytes, %.3f s\n' "$(stat -c %s "$work/plain.pcap")" "$plain"
printf 'tls 1.3:   %s bytes, %.3f s (%.2fx plaintext)\n' "$(stat -c %s "$work/tls.pcap")" "$tls" "$(echo "$tls / $plain" | bc -l)"
