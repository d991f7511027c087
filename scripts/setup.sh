#!/usr/bin/env bash
# Installs everything Bronze needs on a fresh Debian 12 machine: Debian packages, Bun (the version
# pinned in package.json's packageManager, through npm), and the workspace's dependencies.
# Idempotent: a second run only checks. Must be run as root (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  # tests and benches: openssl verifies our certificates and is the PKI bench baseline
  openssl curl ca-certificates git
  # libs/containerd-client: a real containerd for its tests, and the protos it is generated from
  containerd runc busybox-static
  golang-github-containerd-containerd-dev golang-github-gogo-protobuf-dev golang-github-gogo-googleapis-dev
  golang-github-containerd-cgroups-dev
  # libs/etcd-client: real etcd for its tests, and the protos it is generated from
  etcd-server etcd-client golang-etcd-server-dev
  # apps/machined: loop-device and mount tests (mkfs.ext4), network tests in namespaces with a real DHCP server
  e2fsprogs util-linux iproute2 dnsmasq-base
  # image/: squashfs root, zstd initramfs, depmod for the kernel's modules.dep, QEMU boot tests
  squashfs-tools zstd kmod qemu-system-x86
  # image/: disk.raw and the installer: GPT (sfdisk), FAT32 EFI partition written with mtools, GRUB images
  # (grub-mkimage) for BIOS and EFI, OVMF for the UEFI boot test
  fdisk dosfstools mtools grub-common grub-pc-bin grub-efi-amd64-bin grub2-common ovmf
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bun_version=$(sed -n 's/.*"packageManager": *"bun@\([^"]*\)".*/\1/p' package.json)
if [ "$(bun --version 2>/dev/null || true)" != "$bun_version" ]; then
  echo "setup: installing bun@$bun_version through npm"
  npm install -g --no-fund --no-audit "bun@$bun_version" >/dev/null
fi
echo "setup: bun $(bun --version)"

bun install --frozen-lockfile
