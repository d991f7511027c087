#!/usr/bin/env bash
# The main job: build osctl and the boot image, boot a one-node local cluster in QEMU, and talk to
# it over mTLS. The node keeps running afterwards; the last line says how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
export OSCONFIG="$PWD/_out/main-osconfig"
bun run build                      # dist/osctl
bun run image                      # _out/: vmlinuz, initramfs.zst, rootfs.sqsh, disk.raw, ...
./dist/osctl cluster destroy --name main >/dev/null 2>&1 || true
./dist/osctl cluster create --name main --controlplanes 1 --workers 0 --assets _out
./dist/osctl version
./dist/osctl services
echo
echo "The node is running. Try: OSCONFIG=$OSCONFIG ./dist/osctl logs apid"
echo "Stop it with:           OSCONFIG=$OSCONFIG ./dist/osctl cluster destroy --name main"
