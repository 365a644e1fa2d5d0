#!/usr/bin/env bash
# Prepares a fresh machine: bun, the locked dependencies, and (for the tests) PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v bun >/dev/null 2>&1; then
  echo "Installing bun (npm package)..."
  npm install -g bun@1.4.5 >/dev/null
fi
bun install --frozen-lockfile

# Logic functions' sandbox (services/logic-functions/sandbox): setpriv, unshare and prlimit, from util-linux.
if ! command -v setpriv >/dev/null 2>&1 || ! command -v unshare >/dev/null 2>&1 || ! command -v prlimit >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "Installing util-linux (logic functions' sandbox)..."
    apt-get install -y --no-install-recommends util-linux >/dev/null
  else
    echo "setpriv, unshare or prlimit missing: logic functions will run less isolated (the server log says how)" >&2
  fi
fi

# Redis for the tests below, and test/redis-cluster.test.ts's own cluster (redis-server 7+, redis-cli --cluster).
if [ "${1:-}" = "--services" ] || [ "${CI:-}" = "true" ]; then
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
      echo "Installing redis-server and redis-tools..."
      apt-get install -y --no-install-recommends redis-server redis-tools >/dev/null
    else
      echo "redis-server or redis-cli missing: the Redis tests cannot run" >&2
    fi
  fi
fi

# The tests use the machine's PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); start them if down.
if [ "${1:-}" = "--services" ] || [ "${CI:-}" = "true" ]; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "Starting Redis..."
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/redis-ci.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
fi

# Servers the tests and the topology start themselves (own config, temp dir, free ports), from Debian's packages;
# the packages' own system services are never used. One apt transaction for whatever is missing:
#   dovecot-imapd (mail sync), radicale (calendar sync), clickhouse-server 18.16 (audit log),
#   nginx and pgbouncer (`bun run topology`, bench/chaos.ts, test/deploy.test.ts, test/pgbouncer.test.ts).
if [ "${1:-}" = "--services" ] || [ "${CI:-}" = "true" ]; then
  missing=""
  [ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null 2>&1 || missing="$missing dovecot-imapd"
  [ -x /usr/bin/radicale ] || command -v radicale >/dev/null 2>&1 || missing="$missing radicale"
  [ -x /usr/bin/clickhouse ] || [ -x /usr/sbin/clickhouse-server ] || command -v clickhouse-server >/dev/null 2>&1 || missing="$missing clickhouse-server"
  [ -x /usr/sbin/nginx ] || missing="$missing nginx"
  [ -x /usr/sbin/pgbouncer ] || missing="$missing pgbouncer"
  if [ -n "$missing" ]; then
    echo "Installing$missing..."
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing >/dev/null
    for service in dovecot radicale clickhouse-server nginx pgbouncer; do
      $SUDO service "$service" stop >/dev/null 2>&1 || true
    done
  fi
fi
