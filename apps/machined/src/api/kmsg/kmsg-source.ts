import { closeSync, constants, openSync, readSync } from "node:fs";

/** An open reader of the kernel log, one record per read. */
export interface KmsgReader {
  /** The next record ("pri,seq,usec,flags;text..."), or undefined when there is none for now. */
  read(): string | undefined;
  close(): void;
}

export interface KmsgSource {
  open(): KmsgReader;
}

/** Records of a /dev/kmsg-like device: each read(2) returns one record; EAGAIN when drained. */
export function deviceKmsgSource(path = "/dev/kmsg"): KmsgSource {
  return {
    open(): KmsgReader {
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      // A record is at most 8 KiB (CONSOLE_EXT_LOG_MAX); a smaller buffer would fail with EINVAL.
      const buffer = Buffer.alloc(8192);
      let closed = false;
      return {
        read(): string | undefined {
          for (;;) {
            try {
              const n = readSync(fd, buffer, 0, buffer.length, null);
              return n === 0 ? undefined : buffer.toString("utf8", 0, n);
            } catch (error) {
              const code = (error as NodeJS.ErrnoException).code;
              if (code === "EAGAIN") return undefined;
              // The ring overwrote records we had not read yet: the next read resumes after them.
              if (code === "EPIPE") continue;
              throw error;
            }
          }
        },
        close(): void {
          if (closed) return;
          closed = true;
          closeSync(fd);
        },
      };
    },
  };
}
