import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { LibcSys } from "../sys/libc-sys.ts";
import { freeInitramfs } from "./free-initramfs.ts";
import { runStage1, type Stage1Fs } from "./stage1.ts";

const nodeFs: Stage1Fs = {
  readText(path) {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  },
  exists: (path) => existsSync(path),
  mkdir: (path) => mkdirSync(path, { recursive: true, mode: 0o755 }),
  openRead: (path) => openSync(path, "r"),
  close: (fd) => closeSync(fd),
  freeOldRoot: (keep) => freeInitramfs("/", { keep }).bytes,
};

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Stage 1 on a real initramfs. PID 1 cannot exit: a failure is printed and the process waits. */
export function stage1Main(): void {
  if (process.pid !== 1) {
    // It mounts over /sys and /dev and deletes the root's files: never on a running system.
    process.stderr.write(`stage1: runs as PID 1 in the initramfs only (this is pid ${process.pid})\n`);
    process.exit(2);
  }
  try {
    runStage1({ sys: new LibcSys(), fs: nodeFs, log, kernelRelease: release() });
  } catch (err) {
    log(`${err instanceof Error ? err.message : String(err)}`);
    log("stage1: cannot continue; the node needs attention (fix the image or the kernel command line)");
    setInterval(() => {}, 1 << 30);
  }
}
