import { lstatSync, readdirSync, rmdirSync, statfsSync, unlinkSync } from "node:fs";
import { join } from "node:path";

const RAMFS_MAGIC = 0x858458f6;
const TMPFS_MAGIC = 0x01021994;

export interface FreeInitramfsResult {
  readonly files: number;
  readonly dirs: number;
  /** Bytes of file content released. */
  readonly bytes: number;
}

export class FreeInitramfsError extends Error {
  override readonly name = "FreeInitramfsError";
  readonly code = "NotRamfs";
}

/**
 * Deletes the initramfs's files, as switch_root(8) does before it moves the new root over it: an
 * initramfs lives in RAM for as long as its files exist (here ~110 MB, most of it the stage-1 binary).
 * Never crosses into another filesystem (mount points such as the new root and the API mounts are left
 * alone), skips the `keep` paths, and refuses to run unless `root` is a ramfs or tmpfs.
 */
export function freeInitramfs(
  root: string,
  options: { readonly keep?: readonly string[]; readonly requireRamfs?: boolean } = {},
): FreeInitramfsResult {
  if (options.requireRamfs ?? true) {
    const type = Number(statfsSync(root).type);
    if (type !== RAMFS_MAGIC && type !== TMPFS_MAGIC) {
      throw new FreeInitramfsError(
        `${root} is not an initramfs (filesystem type 0x${type.toString(16)}): refusing to delete its files`,
      );
    }
  }
  const keep = new Set(options.keep ?? []);
  const rootDev = lstatSync(root).dev;
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (keep.has(path)) continue;
      const st = lstatSync(path);
      if (st.dev !== rootDev) continue; // a mount point: another filesystem
      if (st.isDirectory()) {
        walk(path);
        try {
          rmdirSync(path);
          dirs++;
        } catch {
          // Not empty: it holds a kept path or a mount point.
        }
      } else {
        unlinkSync(path);
        files++;
        bytes += st.size;
      }
    }
  };
  walk(root);
  return { files, dirs, bytes };
}
