/**
 * Time, injected: code that waits or timestamps takes a `Clock`, so that backoff, health checks and
 * grace periods are tested with a fake clock and without real waiting.
 */
export interface Clock {
  /** Wall-clock time in ms since the epoch, for timestamps shown to people. May jump (NTP, RTC). */
  now(): number;
  /** Monotonic time in ms, for durations and deadlines. Never jumps. */
  monotonic(): number;
  /**
   * Resolves `true` after `ms`, or `false` as soon as `signal` aborts (at once if it already has).
   * Never rejects, so loops read `if (!(await clock.sleep(ms, signal))) return;`.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

/** setTimeout holds at most 2^31-1 ms (~24.8 days); longer delays fire at once, so sleeps re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: Date.now, performance.now and setTimeout (re-armed for delays past its limit). */
export function makeSystemClock(maxTimerMs = MAX_TIMER_MS): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
      if (signal?.aborted) return Promise.resolve(false);
      return new Promise((resolve) => {
        let left = Math.max(0, ms);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () => {
          clearTimeout(timer);
          resolve(false);
        };
        // One timer per slice of at most maxTimerMs: the slices add up to the delay.
        const arm = () => {
          const slice = Math.min(left, maxTimerMs);
          left -= slice;
          timer = setTimeout(left > 0 ? arm : done, slice);
        };
        const done = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(true);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        arm();
      });
    },
  };
}

export const systemClock: Clock = makeSystemClock();
