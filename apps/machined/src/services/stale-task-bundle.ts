import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { NodePaths } from "../node/node-paths.ts";
import { MNT_DETACH } from "../sys/constants.ts";
import { parseMountinfo } from "../sys/proc/mountinfo.ts";
import type { Sys } from "../sys/sys.ts";

/** Where containerd 1.6's v2 runtime keeps a task's bundle (state) and work directory (root). */
export function taskBundleDirs(paths: NodePaths, namespace: string, id: string): string[] {
  const runtime = "io.containerd.runtime.v2.task";
  return [
    join(paths.containerdState, runtime, namespace, id),
    join(paths.containerdRoot, runtime, namespace, id),
  ];
}

export interface StaleBundleDeps {
  readonly sys: Pick<Sys, "umount2">;
  /** The text of /proc/self/mountinfo. */
  readonly mountinfo?: () => string;
  readonly log: (line: string) => void;
}

/**
 * containerd 1.6 leaves a task's bundle directory behind when a create is cancelled midway (a call
 * deadline on a loaded node), and every later create of that id then fails with "mkdir <bundle>: file
 * exists": the service never comes back. Once containerd holds no container of that id, such a
 * directory is stale. What is mounted under it (the task's rootfs) is detached first, so that removing
 * it never reaches into a mounted filesystem. Returns the directories removed.
 */
export function clearStaleTaskBundle(dirs: readonly string[], deps: StaleBundleDeps): string[] {
  const present = dirs.filter((dir) => existsSync(dir));
  if (present.length === 0) return [];
  const mountinfo = deps.mountinfo ?? (() => readFileSync("/proc/self/mountinfo", "utf8"));
  const inside = (mountPoint: string) =>
    present.some((dir) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
  // deepest first, so that a mount on top of another comes off before it
  const mounts = parseMountinfo(mountinfo())
    .map((m) => m.mountPoint)
    .filter(inside)
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) deps.sys.umount2(mountPoint, MNT_DETACH);
  for (const dir of present) {
    rmSync(dir, { recursive: true, force: true });
    deps.log(`removed the stale task directory ${dir} (left by a cancelled create)`);
  }
  return present;
}
