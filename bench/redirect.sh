#!/usr/bin/env bash
# Redirects per second with wrk against a bare in-memory 302 server, on SQLite (and on
# PostgreSQL when FANFARE_BENCH_POSTGRES_URL is set), with a million fans' links seeded.
# Usage: bench/redirect.sh [FANS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q -p fanfare -p fanfare-bench
./target/release/fanfare-bench redirect --fanfare ./target/release/fanfare \
  --fans "${1:-1000000}" --seconds "${2:-10}"
if [ -n "${FANFARE_BENCH_POSTGRES_URL:-}" ]; then
  ./target/release/fanfare-bench redirect --fanfare ./target/release/fanfare \
    --fans "${1:-1000000}" --seconds "${2:-10}" --postgres "$FANFARE_BENCH_POSTGRES_URL"
fi
