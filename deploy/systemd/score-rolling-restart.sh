#!/bin/sh
# Restarts the API servers one port at a time without failing a request (README "Zero-downtime rolling
# restart"): the port's other slot starts beside the running one (SERVER_REUSE_PORT) and listens, then the old
# one drains (SHUTDOWN_DRAIN), hands the connections queued at it to the new one (net.ipv4.tcp_migrate_req) and exits.
#   score-rolling-restart.sh 3001 3002 3003
set -eu
for port in "$@"; do
  if systemctl is-active --quiet "score-api@$port-a"; then old=a new=b; else old=b new=a; fi
  systemctl start "score-api@$port-$new" # returns once the new process listens (ExecStartPost)
  systemctl enable --quiet "score-api@$port-$new"
  systemctl disable --quiet "score-api@$port-$old" "score-api@$port"
  systemctl stop "score-api@$port-$old" "score-api@$port" # returns once it has exited
  echo "port $port: slot $new"
done
