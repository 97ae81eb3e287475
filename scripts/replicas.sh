#!/bin/sh
# N pagoda replicas on loopback behind HAProxy, with health checks and retries.
#
#   scripts/replicas.sh --replicas 2 --port 8400 [--threads 1] [-- <pagoda serve flags>]
#
# Replicas listen on 127.0.0.1, ports --first-replica-port (default: --port + 1)
# upward, or the ones --replica-ports P1,P2,... lists. HAProxy (installed with
# apt-get when missing and run as root; otherwise the script says so and exits
# 3) listens on --port and:
#   - sends each request to the replica with the fewest open connections;
#   - checks GET /health every second: a replica that is down, or draining
#     (503), leaves the rotation at once and returns after 2 good checks;
#   - retries a request on another replica when the connection fails, the
#     replica dies before answering, or it answers 503 (queue full, draining);
#   - when it cannot (no replica left, retries used up), answers 503 with
#     Retry-After: 1 and an OpenAI-shaped error, so SDKs retry.
# A streamed response whose headers were sent cannot be moved to another
# replica: if its replica dies, the client sees the stream end without
# [DONE] (the failover test counts those).
#
# Ctrl-C or SIGTERM stops HAProxy and drains the replicas (SIGTERM to each).
# Logs and the generated haproxy.cfg go to --log-dir (default: a temp dir).
set -eu

replicas=2
port=8400
first_replica_port=""
replica_ports=""
threads=1
log_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --first-replica-port) first_replica_port=$2; shift 2 ;;
    --replica-ports) replica_ports=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --log-dir) log_dir=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "replicas.sh: unknown flag $1 (--help)" >&2; exit 2 ;;
  esac
done

app_dir=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
[ -n "$log_dir" ] || log_dir=$(mktemp -d "${TMPDIR:-/tmp}/pagoda-replicas.XXXXXX")
mkdir -p "$log_dir"
if [ -z "$replica_ports" ]; then
  p=${first_replica_port:-$((port + 1))}
  i=0
  while [ "$i" -lt "$replicas" ]; do replica_ports="$replica_ports${replica_ports:+,}$((p + i))"; i=$((i + 1)); done
fi

if ! command -v haproxy >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "replicas: installing haproxy (apt-get install haproxy)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >"$log_dir/apt.log" 2>&1 || true
  fi
  if ! command -v haproxy >/dev/null 2>&1; then
    echo "replicas: skipped: haproxy is not installed and cannot be installed here (run as root with apt-get, or install haproxy)" >&2
    exit 3
  fi
fi

pids=""
stop_all() {
  trap - INT TERM EXIT
  [ -n "${proxy_pid:-}" ] && kill -TERM "$proxy_pid" 2>/dev/null || true
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids ${proxy_pid:-}; do wait "$pid" 2>/dev/null || true; done
  echo "replicas: stopped"
}
trap 'stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

i=1
for replica_port in $(echo "$replica_ports" | tr ',' ' '); do
  node "$app_dir/bin/pagoda.cjs" serve --host 127.0.0.1 --port "$replica_port" --threads "$threads" "$@" >"$log_dir/replica-$i.log" 2>&1 &
  pids="$pids $!"
  echo "replicas: replica $i pid $! http://127.0.0.1:$replica_port (log $log_dir/replica-$i.log)"
  i=$((i + 1))
done

# Each replica listens once its model is loaded, and /health is 200 once it serves.
for replica_port in $(echo "$replica_ports" | tr ',' ' '); do
  until PAGODA_PORT=$replica_port node "$app_dir/scripts/container/healthcheck.mjs"; do
    for pid in $pids; do
      kill -0 "$pid" 2>/dev/null || { echo "replicas: a replica exited during start; see $log_dir" >&2; exit 1; }
    done
    sleep 0.5
  done
done

# What HAProxy answers when it has no replica to give a request to: a 503 the OpenAI SDKs retry.
error_body='{"error":{"message":"No replica could take the request; retry shortly.","type":"server_error","param":null,"code":"service_unavailable"}}'
for status in 502 503 504; do
  printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Length: %s\r\n\r\n%s' \
    "$(printf '%s' "$error_body" | wc -c | tr -d ' ')" "$error_body" >"$log_dir/$status.http"
done

{
  cat <<EOF
global
  maxconn 4096

defaults
  mode http
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  timeout http-request 30s
  # A request is retried on another replica (redispatch) when the connection
  # fails, the replica closes without answering, or it answers 503.
  retries 3
  option redispatch 1
  option http-buffer-request
  retry-on conn-failure empty-response 503
  errorfile 502 $log_dir/502.http
  errorfile 503 $log_dir/503.http
  errorfile 504 $log_dir/504.http

frontend pagoda
  bind 127.0.0.1:$port
  default_backend replicas

backend replicas
  balance leastconn
  option httpchk GET /health
  http-check expect status 200
  default-server inter 1s fall 1 rise 2 observe layer4 error-limit 1 on-error mark-down
EOF
  i=1
  for replica_port in $(echo "$replica_ports" | tr ',' ' '); do
    echo "  server replica$i 127.0.0.1:$replica_port check"
    i=$((i + 1))
  done
} >"$log_dir/haproxy.cfg"

haproxy -c -q -f "$log_dir/haproxy.cfg"
haproxy -db -f "$log_dir/haproxy.cfg" >"$log_dir/haproxy.log" 2>&1 &
proxy_pid=$!
until node -e "fetch('http://127.0.0.1:$port/health').then(r => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"; do
  kill -0 "$proxy_pid" 2>/dev/null || { echo "replicas: haproxy exited; see $log_dir/haproxy.log" >&2; exit 1; }
  sleep 0.2
done
echo "replicas: proxy pid $proxy_pid"
echo "replicas: ready: http://127.0.0.1:$port/v1 -> $replicas replicas ($replica_ports)"

# Until a signal: if HAProxy dies, stop everything.
wait "$proxy_pid" || true
echo "replicas: haproxy exited" >&2
exit 1
