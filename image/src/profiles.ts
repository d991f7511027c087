import { ImageError } from "./image-error.ts";

/** What differs between boot targets: the kernel, the modules in the initramfs, the platform argument. */
export interface Profile {
  readonly name: ProfileName;
  /** The Debian metapackage whose Depends names the kernel (resolved at build time, never hard-coded). */
  readonly kernelMetapackage: string;
  /** Modules loaded by stage 1 to reach the root (their dependencies are added from modules.dep). */
  readonly modules: readonly string[];
  /** `bronze.platform=` on the default command line. */
  readonly platform: "qemu" | "metal";
}

export type ProfileName = "qemu" | "metal";

/**
 * softdog, running from the moment it loads (the compact init passes MODULE_PARAMS; the kernel does not
 * feed a watchdog that is active): machined takes it over as soon as it starts, and feeds it until it
 * commits the slot on a trial boot of a new slot (grub-config.ts), or disarms it at once on any other
 * boot. A boot whose init never gets that far (a hang before machined) is reset after the margin.
 */
const WATCHDOG_MODULES = ["softdog"] as const;
const ROOT_MODULES = ["loop", "squashfs", "overlay", ...WATCHDOG_MODULES] as const;

/**
 * Seconds without a feed before softdog resets the machine: from the module's load (in /init) to
 * machined's start takes ~10 s here under emulation, 20-40 s on a loaded host; a reset of a healthy
 * boot would loop, so the margin is generous.
 */
export const WATCHDOG_MARGIN_SECONDS = 120;
/** Module parameters the compact init passes when it loads a module (there is no modprobe). */
export const MODULE_PARAMS: Readonly<Record<string, string>> = {
  softdog: `soft_margin=${WATCHDOG_MARGIN_SECONDS} soft_active_on_boot=1`,
};
const VIRTIO_MODULES = ["virtio_pci", "virtio_blk", "virtio_net"] as const;

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  qemu: {
    name: "qemu",
    kernelMetapackage: "linux-image-cloud-amd64",
    modules: [...VIRTIO_MODULES, ...ROOT_MODULES],
    platform: "qemu",
  },
  metal: {
    name: "metal",
    kernelMetapackage: "linux-image-amd64",
    modules: [
      ...VIRTIO_MODULES,
      "virtio_scsi",
      // disks: SATA, NVMe, SCSI disks, USB sticks
      "ahci",
      "nvme",
      "sd_mod",
      "xhci_pci",
      "usb_storage",
      // common server NICs
      "e1000e",
      "igb",
      "ixgbe",
      // the STATE and EPHEMERAL partitions of installed nodes (built into the cloud kernel)
      "ext4",
      ...ROOT_MODULES,
    ],
    platform: "metal",
  },
};

export function profileByName(name: string): Profile {
  if (name === "qemu" || name === "metal") return PROFILES[name];
  throw new ImageError("BadInput", `unknown profile ${JSON.stringify(name)} (expected one of: qemu, metal)`);
}

/** Hardening arguments machined refuses to boot without (DESIGN §2), then the defaults. */
export const DEFAULT_KERNEL_ARGS = [
  "console=ttyS0",
  "console=tty0",
  "init_on_alloc=1",
  "slab_nomerge",
  "pti=on",
  "printk.devkmsg=on",
] as const;

/** The default kernel command line of a profile, e.g. `console=ttyS0 ... bronze.platform=qemu`. */
export function kernelCmdline(profile: Profile): string {
  return [...DEFAULT_KERNEL_ARGS, `bronze.platform=${profile.platform}`].join(" ");
}
