/**
 * Turns a byte stream into lines (UTF-8, LF or CRLF). A line longer than `maxLineChars` is cut into
 * pieces so that a process writing without newlines cannot make us buffer without bound.
 */
export class LineSplitter {
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });
  readonly #onLine: (line: string) => void;
  readonly #maxLineChars: number;
  #pending = "";

  constructor(onLine: (line: string) => void, maxLineChars = 16 * 1024) {
    this.#onLine = onLine;
    this.#maxLineChars = maxLineChars;
  }

  push(chunk: Uint8Array | string): void {
    this.#pending += typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = this.#pending.indexOf("\n", start);
      if (nl < 0) break;
      this.#emit(this.#pending.slice(start, nl));
      start = nl + 1;
    }
    this.#pending = this.#pending.slice(start);
    while (this.#pending.length > this.#maxLineChars) {
      this.#onLine(this.#pending.slice(0, this.#maxLineChars));
      this.#pending = this.#pending.slice(this.#maxLineChars);
    }
  }

  /** Flushes a last line without a newline. */
  end(): void {
    this.#pending += this.#decoder.decode();
    if (this.#pending.length > 0) this.#emit(this.#pending);
    this.#pending = "";
  }

  #emit(line: string): void {
    if (line.length > this.#maxLineChars) {
      for (let i = 0; i < line.length; i += this.#maxLineChars)
        this.#onLine(line.slice(i, i + this.#maxLineChars));
      return;
    }
    this.#onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}
