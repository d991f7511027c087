import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface LogFileOptions {
  /** Size at which the file is rotated to `<path>.1` (default 10 MiB). */
  readonly maxBytes?: number;
  /** Write failures (disk full...) are reported here, never thrown: the service keeps running. */
  readonly onError?: (error: unknown) => void;
}

/** Lines queued beyond this are written at once instead of at the end of the current task. */
const FLUSH_THRESHOLD = 64 * 1024;

/**
 * Appends a service's lines to `<logDir>/<id>.log`, rotating to `.1` (one generation) when the file
 * would exceed `maxBytes`. Lines are batched within a task into one write.
 */
export class LogFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #onError: (error: unknown) => void;
  #fd: number | undefined;
  #size = 0;
  #pending: string[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  #closed = false;

  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.#onError = options.onError ?? (() => {});
  }

  /** Bytes in the current file (after pending lines are flushed). */
  get size(): number {
    return this.#size;
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
    try {
      this.#open();
      let chunk = "";
      let chunkBytes = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line) + 1;
        if (this.#size + chunkBytes + bytes > this.#maxBytes && this.#size + chunkBytes > 0) {
          this.#write(chunk);
          this.#rotate();
          chunk = "";
          chunkBytes = 0;
        }
        chunk += `${line}\n`;
        chunkBytes += bytes;
      }
      this.#write(chunk);
    } catch (err) {
      this.#closeFd();
      this.#onError(err);
    }
  }

  close(): void {
    this.flush();
    this.#closed = true;
    this.#closeFd();
  }

  #open(): void {
    if (this.#fd !== undefined) return;
    mkdirSync(dirname(this.path), { recursive: true });
    this.#fd = openSync(this.path, "a", 0o640);
    this.#size = fstatSync(this.#fd).size;
  }

  #write(chunk: string): void {
    if (chunk === "" || this.#fd === undefined) return;
    const buf = Buffer.from(chunk);
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off);
    this.#size += buf.length;
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
