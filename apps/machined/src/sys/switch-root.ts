import { MS_MOVE } from "./constants.ts";
import type { Sys } from "./sys.ts";

/** The API filesystems moved into the new root by default (stage 1 mounts them before switching). */
export const DEFAULT_MOVE_MOUNTS: readonly string[] = ["/dev", "/proc", "/sys", "/run"];

export interface SwitchRootOptions {
  /** Mount points moved under the new root first (each must be mounted, and exist in the new root). */
  readonly moveMounts?: readonly string[];
}

/**
 * Makes `newRoot` the root filesystem, the way switch_root(8) does from an initramfs (where pivot_root
 * is not allowed on rootfs): move the API mounts across, chdir into the new root, move it over `/`,
 * chroot("."), chdir("/"). The caller then execs the new init.
 */
export function switchRoot(sys: Sys, newRoot: string, options: SwitchRootOptions = {}): void {
  const root = newRoot.replace(/\/+$/, "");
  if (!root.startsWith("/") || root === "") {
    throw new TypeError(
      `switchRoot: new root must be an absolute path other than "/", got ${JSON.stringify(newRoot)}`,
    );
  }
  for (const mountPoint of options.moveMounts ?? DEFAULT_MOVE_MOUNTS) {
    sys.mount(mountPoint, `${root}${mountPoint}`, null, MS_MOVE);
  }
  sys.chdir(root);
  sys.mount(root, "/", null, MS_MOVE);
  sys.chroot(".");
  sys.chdir("/");
}
