#!/usr/bin/env bash
# Audit throughput, parse and rules only, on a generated corpus of real-looking pages (offline):
# fanfare-smo against the npm package open-graph-scraper under Node, same files, same run, one
# thread each.
# Usage: bench/audit.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
command -v node >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
cargo build --release -q -p fanfare-bench
(cd bench/audit-peer && npm ci --no-audit --no-fund --silent)
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
./target/release/fanfare-bench audit-corpus --out "$corpus" --pages 24
ours=$(./target/release/fanfare-bench audit --corpus "$corpus" --seconds "$seconds")
peer=$(node bench/audit-peer/run.mjs "$corpus" "$seconds")
echo "$ours"
echo "$peer"
rate() { sed -n 's/.*: \([0-9.]*\) pages\/s.*/\1/p' <<<"$1"; }
awk -v a="$(rate "$ours")" -v b="$(rate "$peer")" 'BEGIN { printf "ratio: %.1fx the peer (target: at least 20x)\n", a / b }'
