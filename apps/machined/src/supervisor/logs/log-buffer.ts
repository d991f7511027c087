import type { Clock } from "../../clock.ts";
import { Feed, type FollowBatchesOptions, type FollowOptions } from "../feed.ts";
import type { LogStream } from "../service.ts";

export interface LogLine {
  readonly seq: number;
  /** Wall-clock ms. */
  readonly time: number;
  readonly stream: LogStream;
  readonly text: string;
}

export interface LogBufferOptions {
  /** Most bytes of text kept (default 256 KiB). */
  readonly maxBytes?: number;
  /** Most lines kept (default 10 000). */
  readonly maxLines?: number;
  readonly clock: Pick<Clock, "now">;
}

/** Per-line bookkeeping counted against maxBytes besides the text itself. */
const LINE_OVERHEAD = 48;

/** The recent output of one service, in memory: tail N, subscribe, follow (`osctl logs -f`). */
export class LogBuffer {
  readonly #feed: Feed<LogLine>;
  readonly #clock: Pick<Clock, "now">;
  #seq = 0;

  constructor(options: LogBufferOptions) {
    this.#clock = options.clock;
    this.#feed = new Feed<LogLine>({
      maxItems: options.maxLines ?? 10_000,
      maxBytes: options.maxBytes ?? 256 * 1024,
      sizeOf: (l) => l.text.length + LINE_OVERHEAD,
    });
  }

  append(stream: LogStream, text: string): LogLine {
    const line: LogLine = { seq: ++this.#seq, time: this.#clock.now(), stream, text };
    this.#feed.push(line);
    return line;
  }

  /** The last `n` lines (all kept lines by default), oldest first. */
  tail(n?: number): LogLine[] {
    return this.#feed.tail(n);
  }

  get length(): number {
    return this.#feed.length;
  }

  get bytes(): number {
    return this.#feed.bytes;
  }

  subscribe(listener: (line: LogLine) => void): () => void {
    return this.#feed.subscribe(listener);
  }

  /** Yields the last `tail` lines then new ones; a slow reader gets a "[N lines dropped]" line. */
  follow(options: Omit<FollowOptions<LogLine>, "onDropped"> = {}): AsyncGenerator<LogLine> {
    return this.#feed.follow({ ...options, onDropped: this.#dropped });
  }

  /** As follow(), in batches: the tail at once, then new lines gathered for up to `delayMs`. */
  followBatches(options: Omit<FollowBatchesOptions<LogLine>, "onDropped"> = {}): AsyncGenerator<LogLine[]> {
    return this.#feed.followBatches({ ...options, onDropped: this.#dropped });
  }

  readonly #dropped = (count: number): LogLine => ({
    seq: 0,
    time: this.#clock.now(),
    stream: "system",
    text: `[${count} lines dropped: reader too slow]`,
  });
}
