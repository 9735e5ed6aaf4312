#!/usr/bin/env bash
# Joins per second through HTTP on the embedded default, against same-run baselines.
# Usage: bench/joins.sh [SECONDS_PER_PHASE] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fanfare -p fanfare-bench
./target/release/fanfare-bench joins --fanfare ./target/release/fanfare \
  --seconds "${1:-10}" --concurrency "${2:-16}"
