#!/usr/bin/env bash
# The benchmark harness (bench/harness.py) on a release build: relayd beside a private
# Postfix and beside the ceiling (smtp-sink), accepted and delivered msgs/s at 10 to
# 1,000,000 entries in both connection modes, change-to-effective, memory; then
# bench/report.py writes bench/RESULTS.md and its plots. Pass --quick for tiny counts.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p relayd -p relayctl
out=${RESULTS:-bench/results.json}
python3 bench/harness.py --out "$out" "$@"
python3 bench/report.py "$out" --out-dir "$(dirname "$out")"
