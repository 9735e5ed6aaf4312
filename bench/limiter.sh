#!/usr/bin/env bash
# Public requests per second from one visitor, then from many distinct visitors (rotating user
# agents): the rate limiter's work must not grow with the number of visitors it remembers.
# Usage: bench/limiter.sh [VISITORS] [SECONDS_PER_PHASE] [CONCURRENCY] [FANFARE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fanfare -p fanfare-bench
./target/release/fanfare-bench limiter --fanfare "${4:-./target/release/fanfare}" \
  --visitors "${1:-100000}" --seconds "${2:-10}" --concurrency "${3:-16}"
