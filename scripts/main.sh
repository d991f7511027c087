#!/usr/bin/env bash
# The main job, as far as Bronze goes today: compile osctl, generate a cluster's PKI and node
# configs, and validate them. (Building the boot image and booting a local node arrive with the
# image/ and cluster issues; this script grows into that.)
set -euo pipefail
cd "$(dirname "$0")/.."
out=_out/demo
bun run build
./dist/osctl gen config demo https://10.0.0.10:6443 -o "$out" --force
./dist/osctl validate --config "$out/controlplane.yaml" --mode metal
./dist/osctl validate --config "$out/worker.yaml" --mode metal
./dist/osctl --osconfig "$out/osconfig" config info
