#!/bin/sh
# pagoda's container entrypoint (the Dockerfile's ENTRYPOINT; the tests run
# this same script outside a container).
#
#   IMAGE --model hf:ORG/REPO:QUANT ...   serve (arguments are `pagoda serve` flags)
#   IMAGE pull|ls|rm|bench|generate-model ...   any other pagoda command
#
# Inside a container pagoda must listen on every interface, on vLLM's port:
# PAGODA_HOST and PAGODA_PORT default to 0.0.0.0 and 8000 here (the flags or
# the variables still override them). `exec` makes node PID 1's replacement,
# so SIGTERM from `docker stop` or Kubernetes reaches the server, which drains.
set -eu
app_dir=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
export PAGODA_HOST="${PAGODA_HOST:-0.0.0.0}"
export PAGODA_PORT="${PAGODA_PORT:-8000}"
case "${1:-}" in
  serve|pull|ls|rm|bench|generate-model|help|--help|-h|--version)
    exec node "$app_dir/bin/pagoda.cjs" "$@" ;;
  *)
    exec node "$app_dir/bin/pagoda.cjs" serve "$@" ;;
esac
