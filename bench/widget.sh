#!/usr/bin/env bash
# The widget's weight as served, each script raw and gzipped against its budget (fanfare.js, which
# every page embeds: 6 KB gzipped; each part it fetches only where its placeholder is: 4 KB), and
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
for script in fanfare.js:6144 progress.js:4096 wall.js:4096; do
  name=${script%%:*} budget=${script##*:}
  raw=$(curl -s "$url/w/$name" | wc -c)
  gz=$(curl -s -H 'Accept-Encoding: gzip' "$url/w/$name" | wc -c)
  printf '%s: %d bytes raw, %d bytes gzipped as served (budget %d: %s)\n' \
    "$name" "$raw" "$gz" "$budget" "$([ "$gz" -le "$budget" ] && echo within || echo OVER)"
done
if [ -d e2e/node_modules ] && command -v chromium >/dev/null 2>&1; then
  cargo build -q -p fanfare
  (cd e2e && node --test --test-name-pattern='live count' tests/ 2>&1 | grep 'page load with the widget' | sed 's/^# //' || true)
fi
