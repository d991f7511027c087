export interface FeedOptions<T> {
  /** Most items kept. */
  readonly maxItems: number;
  /** Most bytes kept (by `sizeOf`); the newest item is always kept. */
  readonly maxBytes?: number;
  readonly sizeOf?: (item: T) => number;
}

export interface FollowOptions<T> {
  /** How many past items to yield first (default 0; Infinity for all kept). */
  readonly tail?: number;
  readonly signal?: AbortSignal;
  /** Most items queued for a slow follower before the oldest queued ones are dropped (default 1000). */
  readonly maxQueue?: number;
  /**
   * Most bytes (by the feed's `sizeOf`) of new items queued for a slow follower before the oldest are
   * dropped (default: no limit but maxQueue); the newest item is always kept. The tail a follower
   * starts with is not counted: the ring holds it already.
   */
  readonly maxQueueBytes?: number;
  /** Item yielded in place of dropped ones (e.g. a "[N lines dropped]" log line). */
  readonly onDropped?: (count: number) => T;
}

export interface FollowBatchesOptions<T> extends FollowOptions<T> {
  /**
   * After a quiet spell, how long to wait for more items before yielding the first new ones (default 0:
   * yield what is there once the producer's task ends). Fewer, larger batches for a chatty producer.
   */
  readonly delayMs?: number;
  /** A batch this long is yielded without waiting out the delay (default 1000). */
  readonly maxBatch?: number;
}

/**
 * A bounded history of items (a ring buffer by count and by bytes) with live subscribers and async
 * followers. Nothing in it grows without bound: slow followers lose their oldest queued items.
 */
export class Feed<T> {
  readonly #maxItems: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (item: T) => number;
  #ring: (T | undefined)[];
  #head = 0;
  #length = 0;
  #bytes = 0;
  readonly #listeners = new Set<(item: T) => void>();

  constructor(options: FeedOptions<T>) {
    if (!Number.isInteger(options.maxItems) || options.maxItems < 1) {
      throw new RangeError(`Feed: maxItems must be a positive integer, got ${options.maxItems}`);
    }
    this.#maxItems = options.maxItems;
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#sizeOf = options.sizeOf ?? (() => 0);
    this.#ring = new Array(Math.min(options.maxItems, 1024));
  }

  get length(): number {
    return this.#length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(item: T): void {
    if (this.#length === this.#maxItems) this.#evict();
    if (this.#length === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#length) % this.#ring.length] = item;
    this.#length++;
    this.#bytes += this.#sizeOf(item);
    while (this.#bytes > this.#maxBytes && this.#length > 1) this.#evict();
    for (const listener of this.#listeners) {
      try {
        listener(item);
      } catch {
        // A subscriber's failure must not break the producer (PID 1).
      }
    }
  }

  #evict(): void {
    const item = this.#ring[this.#head] as T;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#length--;
    this.#bytes -= this.#sizeOf(item);
  }

  /** The ring starts small and doubles up to maxItems, so idle feeds cost little memory. */
  #grow(): void {
    const next = new Array<T | undefined>(Math.min(this.#ring.length * 2, this.#maxItems));
    for (let i = 0; i < this.#length; i++) next[i] = this.#ring[(this.#head + i) % this.#ring.length];
    this.#ring = next;
    this.#head = 0;
  }

  /** The last `n` items (all kept items by default), oldest first. */
  tail(n = Number.POSITIVE_INFINITY): T[] {
    const count = Math.max(0, Math.min(n, this.#length));
    const out: T[] = [];
    for (let i = this.#length - count; i < this.#length; i++) {
      out.push(this.#ring[(this.#head + i) % this.#ring.length] as T);
    }
    return out;
  }

  /** Calls `listener` for every new item; returns the unsubscribe function. */
  subscribe(listener: (item: T) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  /**
   * As follow(), but yields everything queued at once: the tail as one batch, then new items in
   * batches gathered for up to `delayMs` (or until `maxBatch` are queued).
   */
  async *followBatches(options: FollowBatchesOptions<T> = {}): AsyncGenerator<T[]> {
    const { signal, maxQueue = 1000, onDropped, delayMs = 0, maxBatch = 1000 } = options;
    const maxQueueBytes = options.maxQueueBytes ?? Number.POSITIVE_INFINITY;
    let queue: T[] = [...this.tail(options.tail ?? 0)];
    // The tail at the head of the queue is not counted in queueBytes.
    let uncounted = queue.length;
    let queueBytes = 0;
    let dropped = 0;
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe((item) => {
      queue.push(item);
      queueBytes += this.#sizeOf(item);
      while (queue.length > maxQueue || (queueBytes > maxQueueBytes && queue.length > 1)) {
        const oldest = queue.shift() as T;
        if (uncounted > 0) uncounted--;
        else queueBytes -= this.#sizeOf(oldest);
        dropped++;
      }
      if (wake !== undefined && (queue.length >= maxBatch || !waiting)) wake();
    });
    // Whether the current wait is the gathering delay (woken early only by a full batch).
    let waiting = false;
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    try {
      let first = true;
      while (!signal?.aborted) {
        if (queue.length > 0 || dropped > 0) {
          if (!first && delayMs > 0 && queue.length < maxBatch) {
            waiting = true;
            await sleep(delayMs);
            waiting = false;
            if (signal?.aborted) break;
          }
          const batch = queue;
          queue = [];
          queueBytes = 0;
          uncounted = 0;
          if (dropped > 0 && onDropped !== undefined) batch.unshift(onDropped(dropped));
          dropped = 0;
          first = false;
          yield batch;
          continue;
        }
        first = false;
        await new Promise<void>((resolve) => {
          wake = () => {
            wake = undefined;
            resolve();
          };
        });
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Yields the last `tail` items, then new ones as they come, until `signal` aborts. */
  async *follow(options: FollowOptions<T> = {}): AsyncGenerator<T> {
    for await (const batch of this.followBatches(options)) yield* batch;
  }
}
