#!/usr/bin/env bash
# The widget's weight as served: fanfare.js raw and gzipped (the budget is 5 KB gzipped), and
# what a page load costs, from the browser test that counts it.
# Usage: bench/widget.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fanfare
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
./target/release/fanfare serve --bind 127.0.0.1:0 --database-url "sqlite://$dir/bench.db" --log warn \
  >"$dir/out" &
pid=$!
for _ in $(seq 1 50); do grep -q 'listening on' "$dir/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$dir/out" | head -n1)
raw=$(curl -s "$url/w/fanfare.js" | wc -c)
gz=$(curl -s -H 'Accept-Encoding: gzip' "$url/w/fanfare.js" | wc -c)
printf 'fanfare.js: %d bytes raw, %d bytes gzipped as served (budget 5120: %s)\n' \
  "$raw" "$gz" "$([ "$gz" -le 5120 ] && echo within || echo OVER)"
if [ -d e2e/node_modules ] && command -v chromium >/dev/null 2>&1; then
  cargo build -q -p fanfare
  (cd e2e && node --test --test-name-pattern='live count' tests/ 2>&1 | grep 'page load with the widget' | sed 's/^# //' || true)
fi
