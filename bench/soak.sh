#!/usr/bin/env bash
# Thirty minutes of mixed load (joins, clicks, views, shares, stats, an audit a second) on the
# embedded default: resident memory and each route's p99 over time, errors, and a plot of memory
# (bench/soak-rss.svg).
# Usage: bench/soak.sh [MINUTES] [SAMPLE_EVERY_SECONDS] [WARM_UP_MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fanfare -p fanfare-bench
./target/release/fanfare-bench soak --fanfare ./target/release/fanfare \
  --minutes "${1:-30}" --every "${2:-30}" --warm-up-minutes "${3:-10}"
