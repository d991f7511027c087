import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

/**
 * An exclusive lock on a build's work directory (the compiled binary, the rootfs staging tree): a second
 * build on the same cache waits until the first is done instead of clobbering its files. The lock is a
 * file holding the owner's pid, created with O_EXCL; a lock whose owner is gone is taken over.
 */
export async function withWorkLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { log?: (line: string) => void; pollMs?: number; alive?: (pid: number) => boolean } = {},
): Promise<T> {
  const alive =
    options.alive ??
    ((pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
      }
    });
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(path, "utf8").trim());
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      if (!told) options.log?.(`waiting for another build (pid ${owner}) to finish with ${path}`);
      told = true;
      await Bun.sleep(options.pollMs ?? 500);
      continue;
    }
    rmSync(path, { force: true }); // its owner is gone (or the file is unreadable): take it over
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
