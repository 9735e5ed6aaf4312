#!/usr/bin/env bash
# Schemathesis (from PyPI) against a real server on loopback: every operation of
# /api/openapi.json, bounded examples, with an admin key; a seeded campaign whose landing page
# and webhook receiver are a loopback sink (the operator switch for private addresses on).
# Fails on any server error, undocumented status code, or response that breaks its schema.
# Usage: .ci/schemathesis.sh [FANFARE_BINARY]   (default: target/debug/fanfare)
set -euo pipefail
cd "$(dirname "$0")/.."
fanfare="$(realpath "${1:-target/debug/fanfare}")"
schemathesis_version=4.32.5

venv=target/schemathesis-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv" 2>/dev/null || {
    apt-get update -qq && apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  }
  "$venv/bin/pip" install -q "schemathesis==$schemathesis_version"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The sink: a small page for audits, 204 for any webhook delivery.
cat > "$work/sink.py" <<'PY'
import http.server, sys
PAGE = b"<!doctype html><html><head><title>Sink</title><meta property='og:title' content='Sink'></head><body>ok</body></html>"
class Sink(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$work/sink.py" > "$work/sink.port" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/sink.port" ] && break; sleep 0.1; done
sink="http://127.0.0.1:$(cat "$work/sink.port")"

db="sqlite://$work/fanfare.db"
key="$("$fanfare" --database-url "$db" admin create-key --name schemathesis | tail -n1)"
"$fanfare" --database-url "$db" --log warn --public-rate-limit 1000000000 \
  --join-burst-limit 1000000000 --allow-private-addresses true \
  serve --bind 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^listening on ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
base="$(sed -n 's/^listening on //p' "$work/server.out" | head -n1)"
[ -n "$base" ] || { cat "$work/server.err"; exit 1; }

api() { curl -fsS -H "Authorization: Bearer $key" -H 'content-type: application/json' "$@"; }
api -X POST "$base/api/v1/campaigns" \
  -d "{\"slug\":\"spring\",\"kind\":\"brand\",\"landing_url\":\"$sink/landing\",\"allowed_domains\":[\"127.0.0.1\"]}" > /dev/null
api -X POST "$base/api/v1/campaigns/spring/webhooks" \
  -d "{\"url\":\"$sink/hook\",\"events\":[\"fan.joined\"]}" > /dev/null
curl -fsS -H 'content-type: application/json' -H 'user-agent: Mozilla/5.0 (seed) Firefox/133.0' \
  -X POST "$base/api/public/campaigns/spring/fans" -d '{"name":"Ada"}' > /dev/null

# Every operation on the seeded campaign, except deleting it (which would leave the rest
# nothing to test); then that one, on generated slugs.
printf '[parameters]\n"path.slug" = "spring"\n' > "$work/seeded.toml"
run() {
  "$venv/bin/schemathesis" --config-file "$1" run "$base/api/openapi.json" "${@:2}" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing --max-examples 25 --workers 2 --seed 19 --no-color \
    --request-timeout 30
}
run "$work/seeded.toml" --exclude-path '/api/v1/campaigns/{slug}' --exclude-method DELETE
printf '' > "$work/generated.toml"
run "$work/generated.toml" --include-path '/api/v1/campaigns/{slug}' --include-method DELETE

if grep -q 'panicked' "$work/server.err"; then
  cat "$work/server.err"
  exit 1
fi
echo "schemathesis: every operation passed"
