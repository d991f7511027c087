// Polls until a condition holds: the one wait helper of every test that waits on an asynchronous
// effect (a real process, a log line, a file), with a deadline and the probe's last reason on failure.

export class WaitError extends Error {
  override readonly name = "WaitError";
  readonly code = "Timeout";
}

export interface WaitOptions {
  /** What is awaited, for the error message. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Ends the wait early (e.g. the process under test exited); the error says why. */
  abandon?: () => string | undefined;
}

/**
 * Calls `probe` until it returns a value other than undefined; throws WaitError after `timeoutMs`
 * with the last reason the probe gave (its thrown error's message).
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "never probed";
  for (;;) {
    const gone = options.abandon?.();
    if (gone !== undefined) throw new WaitError(`${options.what}: gave up: ${gone} (last: ${last})`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = "not yet";
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new WaitError(`${options.what}: not within ${options.timeoutMs} ms (last: ${last})`);
    }
    await Bun.sleep(options.intervalMs ?? 250);
  }
}

/** Polls a condition until it holds (true, or a truthy value); WaitError names `what` after `timeoutMs`. */
export function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<true> {
  return waitFor(async () => ((await check()) ? true : undefined), { what, timeoutMs, intervalMs });
}

/**
 * `promise`, or a WaitError naming `what` once `ms` have passed: a deadline for an answer that may
 * never come (a server that waits for a request body that never ends), not a measure of time.
 */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
