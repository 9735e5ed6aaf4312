#!/usr/bin/env bash
# Samples a running `fanfare serve` once a second while a benchmark drives it: CPU ticks per
# thread name gained in the last second (`/proc/<pid>/task/*/stat`, user + system), and the
# sizes of the SQLite WAL and its index. Stops when the process ends.
# Usage: bench/sample.sh PID DATABASE_FILE
# e.g. while `fanfare-bench redirect … --rounds 5` runs:
#   bench/sample.sh "$(pgrep -f 'fanfare .*serve --bind' | head -n1)" <the .db it opened>
set -euo pipefail
pid="$1"
db="$2"
declare -A before
while [ -d "/proc/$pid" ]; do
  declare -A now=()
  for task in /proc/"$pid"/task/*; do
    name=$(cat "$task/comm" 2>/dev/null) || continue
    ticks=$(awk '{print $14 + $15}' "$task/stat" 2>/dev/null) || continue
    now[$name]=$(( ${now[$name]:-0} + ticks ))
  done
  line="$(date +%T) wal=$(stat -c %s "$db-wal" 2>/dev/null || echo -) shm=$(stat -c %s "$db-shm" 2>/dev/null || echo -)"
  for name in "${!now[@]}"; do
    line+=" $name:+$(( ${now[$name]} - ${before[$name]:-${now[$name]}} ))"
    before[$name]=${now[$name]}
  done
  echo "$line"
  sleep 1
done
