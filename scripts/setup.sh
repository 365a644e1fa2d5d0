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

# The mail-sync tests start their own Dovecot (IMAP) on a free port; install it when missing.
if [ "${1:-}" = "--services" ] || [ "${CI:-}" = "true" ]; then
  if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    echo "Installing dovecot-imapd..."
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
    # the package's own service is not used: each test runs its own dovecot with its own config
    $SUDO service dovecot stop >/dev/null 2>&1 || true
  fi
fi

# The audit-log tests start their own ClickHouse (Debian's 18.16) on free ports; install it when missing.
# Only the binaries are used: the package's system service is never started.
if [ "${1:-}" = "--services" ] || [ "${CI:-}" = "true" ]; then
  if ! command -v clickhouse-server >/dev/null 2>&1 && [ ! -x /usr/sbin/clickhouse-server ] && [ ! -x /usr/bin/clickhouse ]; then
    echo "Installing clickhouse-server..."
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold clickhouse-server >/dev/null
    $SUDO service clickhouse-server stop >/dev/null 2>&1 || true
  fi
fi
