// Exponential backoff with jitter, for reconnecting to containerd.
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay randomised away (0..1, default 0.2). */
  jitter?: number;
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, o: BackoffOptions = {}): number {
  const initial = o.initialMs ?? 100;
  const max = o.maxMs ?? 5_000;
  const base = Math.min(max, initial * (o.factor ?? 2) ** Math.max(0, attempt));
  const jitter = o.jitter ?? 0.2;
  return Math.round(base * (1 - jitter * (o.random ?? Math.random)()));
}

/** Sleeps, waking early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
