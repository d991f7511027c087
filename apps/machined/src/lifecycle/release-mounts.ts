// Before a reset zeroes STATE and EPHEMERAL, nothing may still be mounted from them: a filesystem only
// lazily detached (MNT_DETACH) can write its last pages back after the wipe, into the new filesystem.
// releaseMounts unmounts every mount of the devices and everything mounted below those mounts and below
// the given paths (containerd's overlays and binds under /var), deepest first, retrying the busy ones for
// a while; it never detaches lazily. What is still mounted afterwards is reported, and the reset refuses
// to wipe (phases.ts): the node reboots with its state rather than with a filesystem torn under it.
import { type MountInfo, parseMountinfo } from "../sys/proc/mountinfo.ts";
import { SysError } from "../sys/sys-error.ts";

export interface ReleaseMountsDeps {
  /** The text of /proc/self/mountinfo. */
  readonly mountinfo: () => string;
  readonly umount2: (target: string, flags?: number) => void;
  readonly sleep: (ms: number) => Promise<unknown>;
  readonly log: (line: string) => void;
}

export interface ReleaseMountsOptions {
  /** Tries per busy mount (default 10). */
  readonly attempts?: number;
  /** Wait between tries (default 300 ms). */
  readonly retryMs?: number;
}

const isAtOrBelow = (path: string, root: string) =>
  path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);

const depth = (path: string) => path.split("/").filter((s) => s !== "").length;

/** The mounts to take down for `devices` and `paths`, deepest (then newest) first. */
export function mountsToRelease(
  mounts: readonly MountInfo[],
  devices: readonly string[],
  paths: readonly string[],
): MountInfo[] {
  const roots = [...paths, ...mounts.filter((m) => devices.includes(m.source)).map((m) => m.mountPoint)];
  return mounts
    .filter((m) => devices.includes(m.source) || roots.some((r) => isAtOrBelow(m.mountPoint, r)))
    .sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint) || b.mountId - a.mountId);
}

/**
 * Unmounts what mountsToRelease names; returns what is still mounted from `devices` afterwards, as
 * "device on mount point" (empty: the devices are free to wipe).
 */
export async function releaseMounts(
  devices: readonly string[],
  paths: readonly string[],
  deps: ReleaseMountsDeps,
  options: ReleaseMountsOptions = {},
): Promise<string[]> {
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const pending = mountsToRelease(parseMountinfo(deps.mountinfo()), devices, paths);
    if (pending.length === 0) break;
    let busy = 0;
    for (const m of pending) {
      try {
        deps.umount2(m.mountPoint, 0);
        deps.log(`unmounted ${m.mountPoint}`);
      } catch (err) {
        // EINVAL: no longer a mount point (went with its parent); anything else: try again
        if (err instanceof SysError && (err.code === "EINVAL" || err.code === "ENOENT")) continue;
        busy++;
        if (attempt === attempts) deps.log(`cannot unmount ${m.mountPoint}: ${(err as Error).message}`);
      }
    }
    if (busy === 0) continue;
    if (attempt < attempts) await deps.sleep(options.retryMs ?? 300);
  }
  return parseMountinfo(deps.mountinfo())
    .filter((m) => devices.includes(m.source))
    .map((m) => `${m.source} on ${m.mountPoint}`);
}
