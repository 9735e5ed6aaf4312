#!/usr/bin/env bash
# kill -9 under click load: every click answered 302 must be in the database afterwards.
# Usage: bench/crash.sh [SECONDS_OF_LOAD] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fanfare -p fanfare-bench
./target/release/fanfare-bench crash --fanfare ./target/release/fanfare \
  --seconds "${1:-5}" --concurrency "${2:-64}"
