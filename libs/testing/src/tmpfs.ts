// A small real filesystem for tests of what happens when a disk is full (root only: it mounts).
import { mkdirSync } from "node:fs";

export interface Tmpfs {
  readonly path: string;
  unmount(): void;
}

/** Mounts a tmpfs of `size` (mount's syntax: "64k") on `path` (created); throws saying why it could not. */
export function mountTmpfs(path: string, size: string, mode = "0755"): Tmpfs {
  mkdirSync(path, { recursive: true });
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${size},mode=${mode}`, "tmpfs", path], {
    stderr: "pipe",
  });
  if (mounted.exitCode !== 0)
    throw new Error(`cannot mount a tmpfs on ${path}: ${mounted.stderr.toString()}`);
  return { path, unmount: () => void Bun.spawnSync(["umount", path]) };
}
