#!/usr/bin/env bash
# Regenerates the captured recordings under recordings/ from the example
# staging service: live libpcap capture on lo (needs root), redacted, linted.
# Review the diff before committing: timestamps, ids and tokens change.
set -euo pipefail
cd "$(dirname "$0")/.."
AUTHREPLAY_RECORD_EXAMPLES=1 swift test --filter ShippedRecordingsCaptureTests
swift build --product authreplay
.build/debug/authreplay lint recordings/*.json
