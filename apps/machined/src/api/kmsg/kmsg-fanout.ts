import type { Clock } from "../../clock.ts";
import { Feed } from "../../supervisor/feed.ts";
import { type KmsgRecord, readRecords } from "./kmsg-record.ts";
import type { KmsgReader, KmsgSource } from "./kmsg-source.ts";

export interface KmsgFanoutOptions {
  /** How often the shared reader looks for new records (/dev/kmsg is read non-blocking). */
  readonly pollMs: number;
  /** Most records queued for one follower that does not keep up; the oldest go first. */
  readonly maxQueue: number;
  /** Most bytes of text queued for one follower that does not keep up. */
  readonly maxQueueBytes: number;
}

/** What a record costs in a follower's queue besides its text. */
const RECORD_OVERHEAD = 64;

const dropMarkers = new WeakSet<KmsgRecord>();

/** The record a slow follower gets in place of the ones it lost. */
function dropMarker(count: number): KmsgRecord {
  const marker: KmsgRecord = {
    facility: 3, // daemon: machined says so, not the kernel
    priority: 4, // warning
    seq: 0n,
    timestampUsec: 0n,
    message: `[${count} kernel messages dropped: reader too slow]`,
  };
  dropMarkers.add(marker);
  return marker;
}

/** Whether `record` is a follower's "messages dropped" marker (it has no kernel sequence number). */
export function isDropMarker(record: KmsgRecord): boolean {
  return dropMarkers.has(record);
}

/** One life of the shared reader: from the first follower to the last. */
interface Generation {
  readonly reader: KmsgReader;
  /** Aborted when the last follower leaves, or when reading failed. */
  readonly stop: AbortController;
  followers: number;
  failure?: unknown;
}

/**
 * One /dev/kmsg reader for every Dmesg follower: opened when the first follower comes (positioned at
 * the end: followers get new records), closed when the last one leaves. It polls the kernel log and
 * hands each new record to every follower's queue; it never waits for a follower. A follower that does
 * not keep up (its stream is full) loses its oldest queued records and is told how many, never holding
 * the others back nor buffering without bound.
 */
export class KmsgFanout {
  readonly #source: KmsgSource;
  readonly #clock: Clock;
  readonly #options: KmsgFanoutOptions;
  readonly #feed = new Feed<KmsgRecord>({
    maxItems: 1,
    sizeOf: (r) => r.message.length + RECORD_OVERHEAD,
  });
  #generation: Generation | undefined;

  constructor(source: KmsgSource, clock: Clock, options: KmsgFanoutOptions) {
    this.#source = source;
    this.#clock = clock;
    this.#options = options;
  }

  /** Followers now (they share one reader). */
  get followers(): number {
    return this.#generation?.followers ?? 0;
  }

  /**
   * New kernel records in batches as they come, until `signal` aborts. The follower is counted (and the
   * reader opened) at the first next(), in the same synchronous step that subscribes it: a caller can
   * take that step, then dump the log's past with a reader of its own, and miss nothing in between.
   */
  async *follow(signal: AbortSignal): AsyncGenerator<KmsgRecord[]> {
    const generation = this.#join();
    try {
      yield* this.#feed.followBatches({
        signal: AbortSignal.any([signal, generation.stop.signal]),
        maxQueue: this.#options.maxQueue,
        maxQueueBytes: this.#options.maxQueueBytes,
        onDropped: dropMarker,
      });
      if (generation.failure !== undefined) throw generation.failure;
    } finally {
      this.#leave(generation);
    }
  }

  #join(): Generation {
    let generation = this.#generation;
    if (generation === undefined) {
      const reader = this.#source.open();
      try {
        // Positioned after what the kernel holds now: followers want what comes next.
        while (reader.read() !== undefined) {}
      } catch (error) {
        reader.close();
        throw error;
      }
      generation = { reader, stop: new AbortController(), followers: 0 };
      this.#generation = generation;
      void this.#poll(generation);
    }
    generation.followers++;
    return generation;
  }

  #leave(generation: Generation): void {
    generation.followers--;
    if (generation.followers > 0) return;
    if (this.#generation === generation) this.#generation = undefined;
    generation.stop.abort();
  }

  async #poll(generation: Generation): Promise<void> {
    // A burst is handed out a quarter of a follower's queue at a time, the rest left in the kernel's
    // ring meanwhile: followers that keep up take each part before the next comes.
    const roundRecords = Math.max(1, Math.floor(this.#options.maxQueue / 4));
    const roundBytes = Math.max(1, Math.floor(this.#options.maxQueueBytes / 4));
    try {
      while (await this.#clock.sleep(this.#options.pollMs, generation.stop.signal)) {
        for (;;) {
          const records = readRecords(generation.reader, roundRecords, roundBytes);
          let bytes = 0;
          for (const record of records) {
            this.#feed.push(record);
            bytes += record.message.length;
          }
          if (records.length < roundRecords && bytes < roundBytes) break; // drained
          // setImmediate, not the clock: this is a turn of the event loop for the followers, not a wait
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (generation.stop.signal.aborted) return;
        }
      }
    } catch (error) {
      // Every follower of this reader ends with the error; the next follower opens a new reader.
      generation.failure = error;
      if (this.#generation === generation) this.#generation = undefined;
      generation.stop.abort();
    } finally {
      generation.reader.close();
    }
  }
}
