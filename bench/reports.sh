#!/usr/bin/env bash
# Reports at scale: a million fans and ten million clicks loaded into the embedded default (and
# into PostgreSQL when FANFARE_BENCH_POSTGRES_URL names a server), then the stats, cascades and
# time series endpoints timed against /healthz on the same server.
# Usage: bench/reports.sh [FANS] [CLICKS_PER_FAN]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fanfare -p fanfare-bench
fans="${1:-1000000}"
clicks="${2:-10}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
echo "== SQLite (the embedded default)"
./target/release/fanfare-bench reports --fanfare ./target/release/fanfare \
  --database-url "sqlite://$dir/reports.db" --fans "$fans" --clicks-per-fan "$clicks"
ls -l "$dir"/reports.db | awk '{printf "database file: %.0f MB\n", $5 / 1048576}'
if [ -n "${FANFARE_BENCH_POSTGRES_URL:-}" ]; then
  echo "== PostgreSQL"
  db="fanfare_reports_$$"
  psql "$FANFARE_BENCH_POSTGRES_URL" -qc "CREATE DATABASE $db"
  trap 'psql "$FANFARE_BENCH_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$dir"' EXIT
  base="${FANFARE_BENCH_POSTGRES_URL%/*}"
  ./target/release/fanfare-bench reports --fanfare ./target/release/fanfare \
    --database-url "$base/$db" --fans "$fans" --clicks-per-fan "$clicks"
fi
