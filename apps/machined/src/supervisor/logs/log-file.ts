import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface LogFileOptions {
  /** Size at which the file is rotated to `<path>.1` (default 10 MiB). */
  readonly maxBytes?: number;
  /**
   * Write failures (a full disk...) and recoveries, one line each, never thrown: the service keeps
   * running. While writes fail the failure is said again at most every `noticeIntervalMs`.
   */
  readonly notice?: (line: string) => void;
  /** Default 60 s. */
  readonly noticeIntervalMs?: number;
  /** Wall-clock ms (default Date.now). */
  readonly now?: () => number;
}

/** Lines queued beyond this are written at once instead of at the end of the current task. */
const FLUSH_THRESHOLD = 64 * 1024;

/** What ends a line a failed write cut short, once writing works again. */
export const CUT_LINE_END = " [cut: log write failed]\n";

interface Failure {
  readonly since: number;
  code: string;
  /** Bytes of log lines not written since. */
  dropped: number;
  lastNotice: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function bytesOf(lines: readonly string[]): number {
  let bytes = 0;
  for (const line of lines) bytes += Buffer.byteLength(line) + 1;
  return bytes;
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}

/**
 * Appends a service's lines to `<logDir>/<id>.log`, rotating to `.1` (one generation) when the file
 * would exceed `maxBytes`. Lines are batched within a task into one write. When writes fail (a full
 * /var) the lines are dropped and counted, and it is said once; when they work again, a line cut short
 * is ended (CUT_LINE_END), the gap is marked in the file and the count is said: later lines are never
 * glued onto a partial one.
 */
export class LogFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #notice: (line: string) => void;
  readonly #noticeIntervalMs: number;
  readonly #now: () => number;
  #fd: number | undefined;
  #size = 0;
  /** The file ends inside a line (a write was cut short). */
  #midLine = false;
  /** Bytes of its text the last #write got out (when it threw: before the failure). */
  #lastWritten = 0;
  #failure: Failure | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  #closed = false;

  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.#notice = options.notice ?? (() => {});
    this.#noticeIntervalMs = options.noticeIntervalMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes in the current file (after pending lines are flushed). */
  get size(): number {
    return this.#size;
  }

  /** Since when writes have been failing (wall-clock ms), or undefined. */
  get failingSince(): number | undefined {
    return this.#failure?.since;
  }

  append(line: string): void {
    if (this.#closed) return;
    this.#pending.push(line);
    this.#pendingBytes += line.length + 1;
    if (this.#pendingBytes >= FLUSH_THRESHOLD) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Writes the queued lines now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const lines = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    // bytes of the lines written whole (a line cut short counts as dropped)
    let written = 0;
    try {
      this.#open();
      this.#recover();
      const writeLines = (text: string) => {
        try {
          written += this.#write(text);
        } catch (err) {
          // the lines of a write cut short that made it out whole
          written += Buffer.from(text).lastIndexOf(0x0a, this.#lastWritten - 1) + 1;
          throw err;
        }
      };
      let chunk = "";
      let chunkBytes = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line) + 1;
        if (this.#size + chunkBytes + bytes > this.#maxBytes && this.#size + chunkBytes > 0) {
          writeLines(chunk);
          this.#rotate();
          chunk = "";
          chunkBytes = 0;
        }
        chunk += `${line}\n`;
        chunkBytes += bytes;
      }
      writeLines(chunk);
    } catch (err) {
      this.#closeFd();
      this.#failed(err, Math.max(0, bytesOf(lines) - written));
    }
  }

  close(): void {
    this.flush();
    this.#closed = true;
    this.#closeFd();
  }

  /** Writes failed: the first failure is said at once, later ones at most every noticeIntervalMs. */
  #failed(err: unknown, dropped: number): void {
    const now = this.#now();
    const code = errorCode(err);
    const failure = this.#failure;
    if (failure === undefined) {
      this.#failure = { since: now, code, dropped, lastNotice: now };
      this.#notice(`log writes to ${this.path} failing since ${iso(now)}: ${code}`);
      return;
    }
    failure.code = code;
    failure.dropped += dropped;
    if (now - failure.lastNotice < this.#noticeIntervalMs) return;
    failure.lastNotice = now;
    this.#notice(
      `log writes to ${this.path} failing since ${iso(failure.since)}: ${code} (${failure.dropped} bytes dropped so far)`,
    );
  }

  /** Before new lines: ends a line cut short, and marks the gap a failure left (then says it is over). */
  #recover(): void {
    if (this.#midLine) this.#write(CUT_LINE_END);
    const failure = this.#failure;
    if (failure === undefined) return;
    const now = this.#now();
    this.#write(
      `[machined] ${failure.dropped} bytes of log lost: writes failed from ${iso(failure.since)} to ${iso(now)} (${failure.code})\n`,
    );
    this.#failure = undefined;
    this.#notice(`log writes to ${this.path} resumed, ${failure.dropped} bytes dropped`);
  }

  #open(): void {
    if (this.#fd !== undefined) return;
    mkdirSync(dirname(this.path), { recursive: true });
    // a+ (not a): the last byte is read to know whether the file ends inside a line
    this.#fd = openSync(this.path, "a+", 0o640);
    this.#size = fstatSync(this.#fd).size;
    if (this.#size > 0) {
      const last = Buffer.alloc(1);
      this.#midLine = readSync(this.#fd, last, 0, 1, this.#size - 1) === 1 && last[0] !== 0x0a;
    } else {
      this.#midLine = false;
    }
  }

  /** Writes `text` whole, or throws having written part of it (#size and #midLine say how much). */
  #write(text: string): number {
    if (text === "" || this.#fd === undefined) return 0;
    const buf = Buffer.from(text);
    let off = 0;
    this.#lastWritten = 0;
    while (off < buf.length) {
      const n = writeSync(this.#fd, buf, off);
      if (n <= 0) break;
      off += n;
      this.#lastWritten = off;
      this.#size += n;
      this.#midLine = buf[off - 1] !== 0x0a;
    }
    return off;
  }

  #rotate(): void {
    this.#closeFd();
    renameSync(this.path, `${this.path}.1`);
    this.#open();
  }

  #closeFd(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      closeSync(fd);
    } catch {}
  }
}
