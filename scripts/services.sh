# Makes sure PostgreSQL, Redis and RabbitMQ listen on their local ports: starts the ones that are
# installed but stopped, and says what to install when one is missing. Sourced by ./dev.

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2 seconds=$3
  for _ in $(seq "$seconds"); do
    listening "$port" && return 0
    sleep 1
  done
  echo "error: $name did not start listening on 127.0.0.1:$port within ${seconds}s" >&2
  return 1
}

missing() {
  cat >&2 <<MSG
error: $1 is not listening on 127.0.0.1:$2 and is not installed here.
  Install it (Debian/Ubuntu: apt-get install $3), or run the whole stack in containers
  instead with: docker compose up
MSG
  exit 1
}

ensure_postgres() {
  listening 5432 && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL..." >&2
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL 5432 30
  else
    missing PostgreSQL 5432 postgresql
  fi
}

ensure_redis() {
  listening 6379 && return 0
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis..." >&2
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis 6379 15
  else
    missing Redis 6379 redis-server
  fi
}

ensure_rabbitmq() {
  listening 5672 && return 0
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "starting RabbitMQ (this takes a few seconds)..." >&2
    rabbitmq-server -detached || true
    wait_for RabbitMQ 5672 90
  else
    missing RabbitMQ 5672 rabbitmq-server
  fi
}

ensure_services() {
  ensure_postgres
  ensure_redis
  ensure_rabbitmq
}

# Test databases are dropped by the tests themselves; a killed run can leave some behind.
drop_stale_test_databases() {
  command -v psql >/dev/null 2>&1 || return 0
  psql -h 127.0.0.1 -U "${PGUSER:-postgres}" -d postgres -Atqc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'backbeat\_test\_%'" 2>/dev/null |
    while read -r db; do
      psql -h 127.0.0.1 -U "${PGUSER:-postgres}" -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
}
