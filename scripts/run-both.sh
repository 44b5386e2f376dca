#!/usr/bin/env bash
# Runs the API and the worker in the foreground; Ctrl-C (or either one exiting) stops both.
set -uo pipefail
api=$1 worker=$2

"$api" serve &
api_pid=$!
# In a session of its own, so that its low CPU priority counts against the API's (the worker
# sets its session's niceness; see jobs.nice). Stopped by this script, not by the terminal.
setsid "$worker" &
worker_pid=$!

stop() {
  trap - INT TERM
  kill -TERM "$api_pid" "$worker_pid" 2>/dev/null
  wait "$api_pid" "$worker_pid" 2>/dev/null
  exit 0
}
trap stop INT TERM

cat >&2 <<MSG

  backbeat is starting: API on ${APP_SERVER__PUBLIC_BASE_URL:-http://127.0.0.1:${PORT:-5000}}
  (OpenAPI docs at /docs, readiness at /health/ready). Ctrl-C stops the API and the worker.

MSG
wait -n "$api_pid" "$worker_pid"
status=$?
echo "a process exited (status $status); stopping the other" >&2
kill -TERM "$api_pid" "$worker_pid" 2>/dev/null
wait 2>/dev/null
exit "$status"
