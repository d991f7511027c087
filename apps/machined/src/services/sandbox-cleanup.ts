import { readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";

export interface SandboxCleanupPaths {
  /** runc's state root for containerd's shims (default /run/containerd/runc). */
  readonly runcRoot?: string;
  /** The cgroup mount (default /sys/fs/cgroup: cgroup v2, or one directory per v1 controller). */
  readonly cgroupRoot?: string;
}

function removeEmptyDir(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Container mode, at exit: removes what a sandbox's system namespace leaves on the host once its
 * containers are gone, the empty runc state directory and the empty cgroup directories. Anything not
 * empty (a container still there) is left alone. Returns the directories removed.
 */
export function removeSandboxNamespaceDirs(namespace: string, paths: SandboxCleanupPaths = {}): string[] {
  const removed: string[] = [];
  const runc = join(paths.runcRoot ?? "/run/containerd/runc", namespace);
  if (removeEmptyDir(runc)) removed.push(runc);
  const cgroupRoot = paths.cgroupRoot ?? "/sys/fs/cgroup";
  const candidates = [join(cgroupRoot, namespace)];
  try {
    for (const entry of readdirSync(cgroupRoot, { withFileTypes: true })) {
      if (entry.isDirectory()) candidates.push(join(cgroupRoot, entry.name, namespace));
    }
  } catch {
    // no cgroup filesystem here
  }
  for (const dir of candidates) if (removeEmptyDir(dir)) removed.push(dir);
  return removed;
}
