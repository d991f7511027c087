#!/usr/bin/env bash
# `bun run node:dev`: a Bronze node on this host, in container mode (docs/design.md §7): machined as an
# ordinary root process sandboxed under _out/node-dev/root, with a real containerd, and apid and
# trustd in containers. Builds the node binary and osctl when missing or older than the sources,
# generates a control-plane config into _out/node-dev/, and prints how to reach the node.
# Ctrl-C (or SIGTERM) shuts the node down cleanly.
#
# Environment: APID_PORT (default 50000), TRUSTD_PORT (default 50001).
set -euo pipefail
cd "$(dirname "$0")/.."
out=_out/node-dev
apid_port=${APID_PORT:-50000}
trustd_port=${TRUSTD_PORT:-50001}

if [ "$(id -u)" != 0 ]; then
  echo "node:dev starts containerd and containers: run it as root" >&2
  exit 1
fi

stale() { # stale BINARY DIR...: missing, or older than a source file under DIR
  local binary=$1
  shift
  [ ! -x "$binary" ] || [ -n "$(find "$@" -name '*.ts' -newer "$binary" -not -path '*/node_modules/*' -print -quit)" ]
}
if stale dist/bronze-node apps/machined/src apps/apid/src apps/trustd/src libs; then
  echo "node:dev: building dist/bronze-node"
  bun run build:node
fi
if stale dist/osctl apps/osctl/src libs; then
  echo "node:dev: building dist/osctl"
  (cd apps/osctl && bun run build)
fi

mkdir -p "$out"
./dist/osctl gen config node-dev https://127.0.0.1:6443 -o "$out" --force >/dev/null
endpoint=127.0.0.1
[ "$apid_port" = 50000 ] || endpoint="127.0.0.1:$apid_port"

cat <<INFO
node:dev: a control-plane node in container mode, root $out/root (logs in $out/root/var/log)
node:dev: once apid is up, reach it with:

    dist/osctl --osconfig $out/osconfig -e $endpoint version
    dist/osctl --osconfig $out/osconfig -e $endpoint services

node:dev: Ctrl-C stops the node.
INFO

exec bun apps/machined/src/main.ts --platform container --root "$out/root" --config "$out/controlplane.yaml" \
  --node-binary dist/bronze-node --apid-port "$apid_port" --trustd-port "$trustd_port"
