import type { Clock } from "../clock.ts";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: (elapsed: boolean) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** Lets pending promise callbacks (and the work they chain) run before the test continues. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A clock that only moves when told to. `advance(ms)` fires due sleeps in time order, letting the code
 * woken by each run (and schedule further sleeps) before moving on.
 */
export class FakeClock implements Clock {
  #mono = 0;
  readonly #wallStart: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(wallStart = Date.UTC(2025, 0, 1)) {
    this.#wallStart = wallStart;
  }

  now(): number {
    return this.#wallStart + this.#mono;
  }

  monotonic(): number {
    return this.#mono;
  }

  /** Number of sleeps waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Deadline (monotonic) of the earliest sleep, if any. */
  nextDeadline(): number | undefined {
    return this.#timers[0]?.at;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer: Timer = {
        at: this.#mono + Math.max(0, ms),
        seq: this.#seq++,
        resolve,
        signal,
        onAbort: () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          resolve(false);
        },
      };
      signal?.addEventListener("abort", timer.onAbort, { once: true });
      this.#timers.push(timer);
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    });
  }

  /** Moves time forward by `ms`, firing every sleep that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#mono + ms;
    await settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.#mono = Math.max(this.#mono, next.at);
      next.signal?.removeEventListener("abort", next.onAbort);
      next.resolve(true);
      await settle();
    }
    this.#mono = target;
    await settle();
  }

  /** Advances to the earliest pending sleep and fires it (and any due at the same time). */
  async advanceToNext(): Promise<boolean> {
    const next = this.nextDeadline();
    if (next === undefined) return false;
    await this.advance(next - this.#mono);
    return true;
  }
}
