import { constants, type Stats } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";

export type OpenRegularFileErrorCode = "NotRegular" | "Changed";

export class OpenRegularFileError extends Error {
  override readonly name = "OpenRegularFileError";
  constructor(
    readonly code: OpenRegularFileErrorCode,
    message: string,
    /** What the path is ("a directory", "a FIFO"...), when it is not a regular file. */
    readonly kind?: string,
  ) {
    super(message);
  }
}

/** What a file is, in words: "a regular file", "a directory", "a FIFO", "a character device"... */
export function fileKind(stats: Stats): string {
  if (stats.isFile()) return "a regular file";
  if (stats.isDirectory()) return "a directory";
  if (stats.isSymbolicLink()) return "a symlink";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Never blocks and never has a side effect on open: O_NONBLOCK (a FIFO opens at once instead of
 * waiting for a writer, on a thread of the I/O pool every async fs call of PID 1 shares), O_NOCTTY (a
 * tty never becomes PID 1's controlling terminal), O_NOFOLLOW (a symlink swapped in is refused).
 */
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW;

/**
 * Opens `path` for reading only if it is a regular file. It is lstat'ed first (or `known`, the stats a
 * walk already took), so that a FIFO, a device (/dev/watchdog arms on open) or a socket is never
 * opened; the open file is fstat'ed again, so that a file swapped in between the two is refused too.
 */
export async function openRegularFile(path: string, known?: Stats): Promise<FileHandle> {
  const before = known ?? (await lstat(path));
  if (!before.isFile()) {
    const kind = fileKind(before);
    throw new OpenRegularFileError("NotRegular", `not a regular file (${kind})`, kind);
  }
  let file: FileHandle;
  try {
    file = await open(path, FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      throw new OpenRegularFileError("Changed", "replaced by a symlink while being opened");
    }
    throw error;
  }
  try {
    const after = await file.stat();
    if (!after.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
      throw new OpenRegularFileError("Changed", `replaced while being opened (now ${fileKind(after)})`);
    }
    return file;
  } catch (error) {
    await file.close();
    throw error;
  }
}
