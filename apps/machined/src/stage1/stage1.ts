import { join } from "node:path";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from "../sys/constants.ts";
import { switchRoot } from "../sys/switch-root.ts";
import type { Sys } from "../sys/sys.ts";
import { loadModules } from "./module-loader.ts";
import { parseModuleList } from "./modules.ts";

/** The few file operations stage 1 needs (injected: tests never touch the host). */
export interface Stage1Fs {
  /** The file's text, or undefined when it does not exist. */
  readText(path: string): string | undefined;
  exists(path: string): boolean;
  mkdir(path: string): void;
  openRead(path: string): number;
  close(fd: number): void;
  /**
   * Deletes the initramfs's own files (not other filesystems mounted in it, not `keep`) so that their
   * RAM is released; returns the bytes freed.
   */
  freeOldRoot(keep: readonly string[]): number;
}

export interface Stage1Options {
  readonly sys: Sys;
  readonly fs: Stage1Fs;
  readonly log: (line: string) => void;
  /** `uname -r`: modules are under /lib/modules/<release>. */
  readonly kernelRelease: string;
  /** The list of modules to load (default /etc/bronze/modules). */
  readonly moduleList?: string;
  /** Default /rootfs.sqsh. */
  readonly rootfs?: string;
  /** Default /newroot. */
  readonly newRoot?: string;
  /** Default /sbin/init. */
  readonly init?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export type Stage1Step = "mounts" | "modules" | "rootfs" | "switchRoot" | "exec";

/** Stage 1 failed at `step`; on a real node there is nothing to fall back to, the console says why. */
export class Stage1Error extends Error {
  override readonly name = "Stage1Error";
  readonly code = "Stage1Failed";
  constructor(
    readonly step: Stage1Step,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`stage 1 (${step}): ${message}`, options);
  }
}

function step<T>(name: Stage1Step, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Stage1Error) throw err;
    throw new Stage1Error(name, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/**
 * The initramfs stage (docs/design.md §2, step 2): mount /sys and /dev (and /proc if the shim did not), load
 * the modules that reach the root, attach rootfs.sqsh read-only to a loop device, mount it, free the
 * initramfs's files, move the API mounts across, switch root and exec /sbin/init. Only returns by throwing (exec replaces the process).
 */
export function runStage1(options: Stage1Options): never {
  const { sys, fs, log } = options;
  const rootfs = options.rootfs ?? "/rootfs.sqsh";
  const newRoot = options.newRoot ?? "/newroot";
  const init = options.init ?? "/sbin/init";
  const apiFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

  step("mounts", () => {
    if (!fs.exists("/proc/self")) {
      fs.mkdir("/proc");
      sys.mount("proc", "/proc", "proc", apiFlags, null);
    }
    fs.mkdir("/sys");
    sys.mount("sysfs", "/sys", "sysfs", apiFlags, null);
    fs.mkdir("/dev");
    sys.mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    log("stage1: mounted /sys and /dev");
  });

  step("modules", () => {
    const listPath = options.moduleList ?? "/etc/bronze/modules";
    const list = fs.readText(listPath);
    if (list === undefined) {
      log(`stage1: no ${listPath}: no modules to load`);
      return;
    }
    loadModules({
      sys,
      fs,
      moduleDir: join("/lib/modules", options.kernelRelease),
      requests: parseModuleList(list, listPath),
      log: (line) => log(`stage1: ${line}`),
    });
  });

  step("rootfs", () => {
    if (!fs.exists(rootfs)) throw new Error(`${rootfs} is missing from the initramfs`);
    const loop = sys.loopAttach(rootfs, { readOnly: true, autoclear: true });
    try {
      fs.mkdir(newRoot);
      sys.mount(loop.path, newRoot, "squashfs", MS_RDONLY, null);
    } finally {
      // The mount holds the device now; with autoclear it detaches when unmounted.
      loop.close();
    }
    log(`stage1: ${rootfs} mounted read-only on ${newRoot} through ${loop.path}`);
  });

  try {
    const bytes = fs.freeOldRoot([newRoot]);
    log(`stage1: freed ${Math.round(bytes / (1024 * 1024))} MiB of initramfs`);
  } catch (err) {
    // Only memory is at stake: say so and go on.
    log(`stage1: could not free the initramfs: ${err instanceof Error ? err.message : String(err)}`);
  }

  step("switchRoot", () => {
    switchRoot(sys, newRoot, { moveMounts: ["/dev", "/proc", "/sys"] });
  });

  log(`stage1: exec ${init}`);
  return step("exec", () => sys.exec(init, [init], options.env ?? { PATH: "/sbin:/bin" }));
}
