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

/** The real clock: Date.now, performance.now and setTimeout. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(true);
        },
        Math.max(0, ms),
      );
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
