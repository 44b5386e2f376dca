#!/usr/bin/env bash
# The OpenAPI fuzzer: schemathesis (installed from PyPI into target/) sends requests generated
# from the served document to a real API and worker, on a database, queues and Redis keys of
# their own, signed in as a super admin, and fails on a server error, a schema-valid request refused,
# a schema-violating request accepted, or a response the document does not describe.
#   scripts/openapi-fuzz.sh [--plain] [schemathesis run options]   (./dev fuzz-api; CI runs both)
# --plain runs it as a generated client or another fuzzer would: no hooks, no chosen parameters
# or cursors (plain.toml), so the document alone must say what the server accepts.
set -euo pipefail
cd "$(dirname "$0")/.."
here=scripts/openapi-fuzz
config=$here/schemathesis.toml
if [ "${1:-}" = --plain ]; then
  config=$here/plain.toml
  shift
fi
version=4.32.5
venv=target/schemathesis-$version

if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "installing schemathesis $version into $venv..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi
cargo build --quiet --bin backbeat-api --bin backbeat-worker

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
db=backbeat_test_fuzz_$$
port=$(free_port)
export APP_DATABASE__NAME=$db PORT=$port APP_WORKER__HTTP_PORT=$(free_port) \
  APP_RABBITMQ__PREFIX=fuzz$$ APP_RABBITMQ__QUEUE_EXPIRES_MS=600000 APP_CACHE__PREFIX="fuzz$$:" \
  APP_STORAGE__ROOT=$work/storage APP_DISTRIBUTION__DELIVERY_ROOT=$work/deliveries \
  APP_LOG__FILTER=warn
for rule in LOGIN_PER_ADDRESS LOGIN_PER_USERNAME SIGNUP_PER_ADDRESS WRITES_PER_CALLER READS_PER_CALLER; do
  export "APP_RATE_LIMITS__${rule}__LIMIT=1000000"
done
psql -h 127.0.0.1 -U "${PGUSER:-postgres}" -d postgres -qc "CREATE DATABASE $db" >/dev/null
pids=()
cleanup() {
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null && wait "${pids[@]}" 2>/dev/null
  psql -h 127.0.0.1 -U "${PGUSER:-postgres}" -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
./target/debug/backbeat-api migrate >/dev/null
./target/debug/backbeat-api serve >"$work/api.log" 2>&1 & pids+=($!)
./target/debug/backbeat-worker >"$work/worker.log" 2>&1 & pids+=($!)
api=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$api/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$api/health/ready" >/dev/null || { cat "$work/api.log" >&2; exit 1; }

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
call() { local method=$1 path=$2; shift 2; curl -sf -X "$method" "$api$path" -H 'Content-Type: application/json' "$@"; }
export BACKBEAT_PASSWORD=fuzz-password-1 BACKBEAT_OTHER_USER BACKBEAT_API_KEY
call POST /users -d "{\"username\":\"fuzzer\",\"password\":\"$BACKBEAT_PASSWORD\",\"fullname\":\"Fuzzer\"}" >/dev/null
BACKBEAT_OTHER_USER=$(call POST /users -d '{"username":"changed","password":"changed-password","fullname":"Changed"}' | json '["data"]["userId"]')
# A super admin, so that every operation is open to it.
./target/debug/backbeat-api admin promote fuzzer --role super_admin >/dev/null
token=$(call POST /authentications -d "{\"username\":\"fuzzer\",\"password\":\"$BACKBEAT_PASSWORD\"}" | json '["data"]["accessToken"]')
auth=(-H "Authorization: Bearer $token")
scopes=$(call GET /openapi.json | json '["components"]["schemas"]["ApiKeyRequest"]["properties"]["scopes"]["items"]["enum"]' | tr "'" '"')
BACKBEAT_API_KEY=$(call POST /api-keys "${auth[@]}" -d "{\"name\":\"fuzzer\",\"scopes\":$scopes}" | json '["data"]["key"]')
# Two of each so that a first page has a next one: real cursors of both kinds.
for n in 1 2; do
  call POST /artists "${auth[@]}" -d "{\"name\":\"Artist $n\"}" >/dev/null
  call POST /api-keys "${auth[@]}" -d "{\"name\":\"key $n\",\"scopes\":[\"catalog:read\"]}" >/dev/null
done
export BACKBEAT_CURSOR BACKBEAT_NUMBER_CURSOR
BACKBEAT_CURSOR=$(call GET '/artists?limit=1' "${auth[@]}" | json '["meta"]["nextCursor"]')
BACKBEAT_NUMBER_CURSOR=$(call GET '/admin/audit?limit=1' "${auth[@]}" | json '["meta"]["nextCursor"]')

status=0
# One worker: CPython 3.11's parser is not safe across hypothesis's threads ("AST constructor
# recursion depth mismatch").
PYTHONPATH=$here "$venv/bin/schemathesis" --config-file "$config" run "$api/openapi.json" \
  --checks all --workers 1 --max-time 600 "$@" || status=$?
if [ $status -ne 0 ] && grep -q "panicked" "$work/api.log"; then grep -A5 "panicked" "$work/api.log" >&2; fi
exit $status
