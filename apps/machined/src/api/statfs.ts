import { statfsSync } from "node:fs";
import type { StatFs } from "./context.ts";

/** The real StatFs: statfs(2) of a mount point (size and space available to unprivileged users). */
export const hostStatfs: StatFs = (path) => {
  try {
    const s = statfsSync(path, { bigint: true });
    return { size: s.blocks * s.bsize, available: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
};
