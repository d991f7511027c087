/**
 * Replacing a file atomically and durably: a crash, a power loss or a full disk leaves the old file or
 * the new one, never half of one, and never a temporary file behind.
 *
 * 1. A temporary file is created beside the target (same directory, so the rename stays on one
 *    filesystem) under a random name, with O_CREAT|O_EXCL|O_NOFOLLOW: a file or a symbolic link planted at
 *    that name is never opened, truncated or followed (security review L2). A clash retries with a new name.
 * 2. Its owner (fchown, when asked) and mode (fchmod: the umask does not apply) are set on the descriptor,
 *    before any content is written, so the content is never readable under other permissions.
 * 3. The content is written in full, fsynced, and the file closed.
 * 4. It is renamed over the target, and the directory is fsynced so that the rename itself is on disk.
 *
 * Any failure removes the temporary file and throws a FilesError naming the target, the step and the
 * system error (ENOSPC as "no space left on device (ENOSPC)", code "NoSpace").
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FilesError, systemError } from "./files-error.ts";

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/** The system calls an atomic write makes (injected: tests make one of them fail). */
export interface AtomicWriteFs {
  open(path: string, flags: number, mode: number): number;
  fchown(fd: number, uid: number, gid: number): void;
  fchmod(fd: number, mode: number): void;
  /** Writes from `data[offset..]`; returns how many bytes were written. */
  write(fd: number, data: Uint8Array, offset: number): number;
  fsync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  /** Removes a file; no error when it does not exist. */
  remove(path: string): void;
}

export const nodeAtomicWriteFs: AtomicWriteFs = {
  open: (path, flags, mode) => openSync(path, flags, mode),
  fchown: (fd, uid, gid) => fchownSync(fd, uid, gid),
  fchmod: (fd, mode) => fchmodSync(fd, mode),
  write: (fd, data, offset) => writeSync(fd, data, offset, data.length - offset),
  fsync: (fd) => fsyncSync(fd),
  close: (fd) => closeSync(fd),
  rename: (from, to) => renameSync(from, to),
  remove: (path) => rmSync(path, { force: true }),
};

export interface AtomicWriteOptions {
  /** Permission bits of the file (& 0o7777), set exactly: the umask does not apply. */
  readonly mode: number;
  /** The file's owner, when it must not be the writing process's (a service's uid reads it). */
  readonly owner?: FileOwner;
  readonly fs?: AtomicWriteFs;
  /** The random part of the temporary file's name (tests choose it). */
  readonly randomName?: () => string;
}

/** A new file written in full and fsynced under a temporary name, not yet in place. */
export interface StagedFile {
  /** The target. */
  readonly path: string;
  /** The temporary file, beside the target. */
  readonly tempPath: string;
  /** Renames the temporary file over the target and fsyncs the directory. */
  commit(): void;
  /** Removes the temporary file (another file of the same set failed). Does nothing after commit. */
  discard(): void;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Until its mode is set, the temporary file is readable by its owner only. */
const CREATE_MODE = 0o600;
const NAME_ATTEMPTS = 8;
/** NAME_MAX is 255: leave room for the dot, the random part and ".tmp". */
const MAX_BASE_IN_TEMP_NAME = 200;

function randomHex(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** Writes `data` to `path`, replacing it atomically and durably (see the file's header). */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions): void {
  stageFile(path, data, options).commit();
}

/**
 * Steps 1-3 of an atomic write: for a set of files that must all be written or none, stage every one,
 * then commit them (and discard the rest when one fails).
 */
export function stageFile(path: string, data: string | Uint8Array, options: AtomicWriteOptions): StagedFile {
  const fs = options.fs ?? nodeAtomicWriteFs;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  const prefix = `.${basename(path).slice(0, MAX_BASE_IN_TEMP_NAME)}.`;
  const random = options.randomName ?? randomHex;

  let tempPath = "";
  let fd = -1;
  for (let attempt = 1; fd < 0; attempt++) {
    tempPath = join(dir, `${prefix}${random()}.tmp`);
    try {
      fd = fs.open(tempPath, CREATE_FLAGS, CREATE_MODE);
    } catch (err) {
      // EEXIST: a clash, or something planted at that name; never touch it, take another name.
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && attempt < NAME_ATTEMPTS) continue;
      throw systemError(path, "creating a temporary file beside it", err);
    }
  }

  let step = "";
  try {
    if (options.owner !== undefined) {
      step = "setting the temporary file's owner";
      fs.fchown(fd, options.owner.uid, options.owner.gid);
    }
    step = "setting the temporary file's mode"; // after fchown, which clears setuid and setgid bits
    fs.fchmod(fd, options.mode & 0o7777);
    step = "writing the temporary file";
    for (let offset = 0; offset < bytes.length; ) {
      const written = fs.write(fd, bytes, offset);
      if (written <= 0) throw new FilesError("WriteFailed", `cannot write ${path}: a write wrote nothing`);
      offset += written;
    }
    step = "flushing the temporary file to disk (fsync)";
    fs.fsync(fd);
    step = "closing the temporary file";
    const closing = fd;
    fd = -1;
    fs.close(closing);
  } catch (err) {
    if (fd >= 0) {
      try {
        fs.close(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    fs.remove(tempPath);
    throw err instanceof FilesError ? err : systemError(path, step, err);
  }

  let state: "staged" | "committed" | "discarded" = "staged";
  return {
    path,
    tempPath,
    commit() {
      if (state !== "staged") {
        throw new FilesError("WriteFailed", `cannot write ${path}: its staged file was already ${state}`, {
          path,
        });
      }
      try {
        fs.rename(tempPath, path);
      } catch (err) {
        state = "discarded";
        fs.remove(tempPath);
        throw systemError(path, "renaming the temporary file over it", err);
      }
      state = "committed";
      syncDirectory(dir, fs, path);
    },
    discard() {
      if (state !== "staged") return;
      state = "discarded";
      fs.remove(tempPath);
    },
  };
}

/**
 * fsyncs a directory, so that a rename or a new file in it survives a power loss. `forPath` names the file
 * the caller was writing, in errors.
 */
export function syncDirectory(
  dir: string,
  fs: Pick<AtomicWriteFs, "open" | "fsync" | "close"> = nodeAtomicWriteFs,
  forPath: string = dir,
): void {
  let fd: number;
  try {
    fd = fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY, 0);
  } catch (err) {
    throw systemError(forPath, `opening its directory ${dir} to flush it (fsync)`, err);
  }
  try {
    fs.fsync(fd);
  } catch (err) {
    throw systemError(forPath, `flushing its directory ${dir} to disk (fsync)`, err);
  } finally {
    fs.close(fd);
  }
}

/**
 * writeFileAtomic with the same steps and guarantees, its system calls on the runtime's thread pool
 * (node:fs/promises): the caller's event loop keeps running while the disk flushes. machined, PID 1,
 * writes this way on paths a request or a renewal takes (the node's certificates): a synchronous fsync
 * waits for the disk, which another process's writes can make take a second (hostile bench, issue 10).
 */
export async function writeFileAtomicAsync(
  path: string,
  data: string | Uint8Array,
  options: Omit<AtomicWriteOptions, "fs">,
): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  const prefix = `.${basename(path).slice(0, MAX_BASE_IN_TEMP_NAME)}.`;
  const random = options.randomName ?? randomHex;

  let tempPath = "";
  let file: FileHandle | undefined;
  for (let attempt = 1; file === undefined; attempt++) {
    tempPath = join(dir, `${prefix}${random()}.tmp`);
    try {
      file = await open(tempPath, CREATE_FLAGS, CREATE_MODE);
    } catch (err) {
      // EEXIST: a clash, or something planted at that name; never touch it, take another name.
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && attempt < NAME_ATTEMPTS) continue;
      throw systemError(path, "creating a temporary file beside it", err);
    }
  }

  let step = "";
  let stillOpen: FileHandle | undefined = file;
  try {
    if (options.owner !== undefined) {
      step = "setting the temporary file's owner";
      await file.chown(options.owner.uid, options.owner.gid);
    }
    step = "setting the temporary file's mode"; // after chown, which clears setuid and setgid bits
    await file.chmod(options.mode & 0o7777);
    step = "writing the temporary file";
    for (let offset = 0; offset < bytes.length; ) {
      const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset);
      if (bytesWritten <= 0)
        throw new FilesError("WriteFailed", `cannot write ${path}: a write wrote nothing`);
      offset += bytesWritten;
    }
    step = "flushing the temporary file to disk (fsync)";
    await file.sync();
    step = "closing the temporary file";
    stillOpen = undefined;
    await file.close();
    step = "renaming the temporary file over it";
    await rename(tempPath, path);
  } catch (err) {
    // already failing: the first error is the one to report
    await stillOpen?.close().catch(() => {});
    await rm(tempPath, { force: true });
    throw err instanceof FilesError ? err : systemError(path, step, err);
  }
  await syncDirectoryAsync(dir, path);
}

/** syncDirectory on the thread pool. */
export async function syncDirectoryAsync(dir: string, forPath: string = dir): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw systemError(forPath, `opening its directory ${dir} to flush it (fsync)`, err);
  }
  try {
    await handle.sync();
  } catch (err) {
    throw systemError(forPath, `flushing its directory ${dir} to disk (fsync)`, err);
  } finally {
    await handle.close();
  }
}
