#!/bin/sh
# Builds the Dockerfile with buildah and smoke-tests the image, on a machine
# with no container registry (only Debian's mirror and npm): the `node:20-slim`
# base is stood in for by a debootstrapped Debian bookworm with this host's
# Node 20 and npm copied in, tagged docker.io/library/node:20-slim so the
# Dockerfile builds unchanged (--pull=never). Run as root (chroot isolation,
# vfs storage: no kernel features a nested container lacks).
#
#   scripts/container/buildah-smoke.sh [WORK_DIR]
#
# Where a registry is reachable, `docker build -t pagoda .` is all it takes.
set -eu
app_dir=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
work=${1:-/tmp/pagoda-buildah}
mkdir -p "$work"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
command -v buildah >/dev/null && command -v debootstrap >/dev/null || apt-get install -y -q --no-install-recommends buildah debootstrap

if ! buildah inspect --type image docker.io/library/node:20-slim >/dev/null 2>&1; then
  rootfs="$work/rootfs"
  [ -x "$rootfs/bin/sh" ] || debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian
  node_bin=$(command -v node)
  case "$("$node_bin" --version)" in v20.*) ;; *) echo "needs Node 20 on the host" >&2; exit 1 ;; esac
  cp "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$(npm root -g)/npm" "$rootfs/usr/local/lib/node_modules/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # node:20-slim's user.
  chroot "$rootfs" sh -c 'getent passwd node >/dev/null || (groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node)'
  rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
  # A host behind a TLS-inspecting proxy trusts it through NODE_EXTRA_CA_CERTS; the stand-in base
  # carries the same bundle, or npm ci inside the build cannot reach the registry.
  extra_ca=""
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    cp "$NODE_EXTRA_CA_CERTS" "$rootfs/usr/local/share/host-ca.crt"
    extra_ca="--env NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca.crt"
  fi
  container=$(buildah from scratch)
  buildah copy "$container" "$rootfs" / >/dev/null
  # shellcheck disable=SC2086
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin $extra_ca --cmd node "$container"
  buildah commit --quiet "$container" docker.io/library/node:20-slim
  buildah rm "$container" >/dev/null
fi

cd "$app_dir"
buildah bud --pull=never --layers=false -t localhost/pagoda:smoke -f Dockerfile .

# Smoke test: the image's entrypoint, user, port and health check, on the built-in model.
container=$(buildah from localhost/pagoda:smoke)
trap 'buildah rm "$container" >/dev/null 2>&1 || true' EXIT
echo "image user: $(buildah inspect --format '{{.OCIv1.Config.User}}' localhost/pagoda:smoke), entrypoint: $(buildah inspect --format '{{.OCIv1.Config.Entrypoint}}' localhost/pagoda:smoke)"
buildah run --user node --env PAGODA_PORT=18399 "$container" sh -c '
  /app/scripts/container/entrypoint.sh --max-model-len 256 > /tmp/serve.log 2>&1 &
  pid=$!
  for i in $(seq 1 120); do node /app/scripts/container/healthcheck.mjs && break; sleep 1; done
  node /app/scripts/container/healthcheck.mjs || { cat /tmp/serve.log; exit 1; }
  node -e "fetch(\"http://127.0.0.1:18399/v1/completions\", {method: \"POST\", headers: {\"content-type\": \"application/json\"}, body: JSON.stringify({prompt: \"Hello\", max_tokens: 8})}).then(r => r.json()).then(b => { console.log(\"completion:\", JSON.stringify(b.usage)); process.exit(b.usage.completion_tokens > 0 ? 0 : 1); })"
  kill -TERM $pid; wait $pid; code=$?
  grep -E "listening on|shut" /tmp/serve.log
  echo "exit after SIGTERM: $code"
  test $code = 0'
echo "smoke test passed"
