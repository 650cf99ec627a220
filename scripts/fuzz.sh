#!/usr/bin/env bash
# Runs the libFuzzer targets in Fuzz/ (issue 8) with AddressSanitizer.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 600)
# TARGETS="fuzz-http fuzz-packet" limits the run. Seeds: Fuzz/Corpus/<target>/ (read only);
# new inputs go to Fuzz/.build/corpus/<target>/; crashes, leaks, timeouts and OOMs to
# Fuzz/Crashes/<target>-*. Exits non-zero if any target failed.
set -uo pipefail
SECONDS_PER_TARGET="${1:-600}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/Fuzz"
TARGETS="${TARGETS:-fuzz-packet fuzz-reassembly fuzz-http fuzz-websocket fuzz-recording fuzz-har fuzz-sse fuzz-socketio fuzz-tls}"
FLAGS=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

cd "$FUZZ"
echo "building fuzz targets (ASan + libFuzzer)..."
if ! swift build "${FLAGS[@]}" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" ; then :; fi
BIN="$(swift build "${FLAGS[@]}" --show-bin-path)"
for t in $TARGETS; do
    [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: build failed" >&2; exit 2; }
done

mkdir -p "$FUZZ/Crashes" "$FUZZ/.build/fuzz-logs"
failed=0
rows=()
for t in $TARGETS; do
    work="$FUZZ/.build/corpus/$t"
    log="$FUZZ/.build/fuzz-logs/$t.log"
    mkdir -p "$work"
    echo "running $t for ${SECONDS_PER_TARGET}s..."
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$BIN/$t" "$work" "$FUZZ/Corpus/$t" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$FUZZ/Crashes/$t-" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    runs="$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+')"
    [[ -n "$runs" ]] || runs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)"
    cov="$(grep -Eo '#[0-9]+.*cov: [0-9]+' "$log" | tail -1 | grep -Eo 'cov: [0-9]+' | grep -Eo '[0-9]+')"
    if [[ $rc -eq 0 ]]; then
        result="ok"
    else
        failed=1
        artifact="$(grep -Eo "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')"
        kind="$(grep -Eo 'ERROR: (libFuzzer|AddressSanitizer): [a-zA-Z-]+' "$log" | head -1 | sed 's/ERROR: //')"
        result="FAILED (${kind:-exit $rc}) ${artifact:+-> ${artifact#"$ROOT"/}} (log: ${log#"$ROOT"/})"
    fi
    rows+=("$(printf '%-16s %10s %6s  %s' "$t" "${runs:-?}" "${cov:-?}" "$result")")
done

echo
printf '%-16s %10s %6s  %s\n' "target" "runs" "cov" "result (${SECONDS_PER_TARGET}s each)"
for r in "${rows[@]}"; do echo "$r"; done
exit $failed
