/**
 * Most bytes of lines in one LogsResponse (a longer line comes alone, whole). Large messages keep a log
 * stream cheap: the per-message cost of the HTTP/2 hops, not the bytes, bounds its throughput.
 */
export const LOGS_CHUNK_BYTES = 256 * 1024;

/**
 * Turns the `data` of LogsResponse messages back into lines (without their "\n"). Messages carry whole
 * lines, but any cut is accepted: a partial line (or UTF-8 sequence) waits for the next message.
 */
export class LogLineDecoder {
  readonly #decoder = new TextDecoder();
  #rest = "";

  /** The lines completed by `data`, oldest first. */
  push(data: Uint8Array): string[] {
    const text = this.#rest + this.#decoder.decode(data, { stream: true });
    const lines = text.split("\n");
    this.#rest = lines.pop() ?? "";
    return lines;
  }

  /** The last line when the stream did not end in "\n" (none otherwise). */
  end(): string[] {
    const rest = this.#rest + this.#decoder.decode();
    this.#rest = "";
    return rest === "" ? [] : [rest];
  }
}
