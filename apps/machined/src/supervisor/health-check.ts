import type { Clock } from "../clock.ts";
import type { HealthCheckRun, HealthCheckSpec } from "./service.ts";

export interface HealthResult {
  readonly healthy: boolean;
  /** Why it is unhealthy ("" when healthy). */
  readonly message: string;
}

/** Problems with a health check spec, or undefined. */
export function healthCheckProblem(spec: HealthCheckSpec): string | undefined {
  if (!(spec.initialDelayMs >= 0))
    return `healthCheck.initialDelayMs must be >= 0, got ${spec.initialDelayMs}`;
  if (!(spec.periodMs > 0)) return `healthCheck.periodMs must be > 0, got ${spec.periodMs}`;
  if (spec.startPeriodMs !== undefined && !(spec.startPeriodMs > 0))
    return `healthCheck.startPeriodMs must be > 0, got ${spec.startPeriodMs}`;
  if (!(spec.timeoutMs > 0)) return `healthCheck.timeoutMs must be > 0, got ${spec.timeoutMs}`;
  return undefined;
}

/** Runs the check once, failing it when it takes longer than `timeoutMs` (its signal is then aborted). */
export async function checkOnce(
  spec: HealthCheckSpec,
  clock: Clock,
  signal: AbortSignal,
  run: HealthCheckRun = { pid: undefined },
): Promise<HealthResult> {
  const attempt = new AbortController();
  const onAbort = () => attempt.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const check = Promise.resolve()
      .then(() => spec.check(attempt.signal, run))
      .then(
        (): HealthResult => ({ healthy: true, message: "" }),
        (err): HealthResult => ({
          healthy: false,
          message: err instanceof Error ? err.message : String(err),
        }),
      );
    const timeout = clock
      .sleep(spec.timeoutMs, attempt.signal)
      .then((elapsed): HealthResult | undefined =>
        elapsed ? { healthy: false, message: `timed out after ${spec.timeoutMs} ms` } : undefined,
      );
    const result = await Promise.race([check, timeout]);
    // undefined: the caller aborted; do not wait for a check that may ignore its signal.
    return result ?? { healthy: false, message: "health check aborted" };
  } finally {
    signal.removeEventListener("abort", onAbort);
    attempt.abort();
  }
}

/** How long into a run checks may come every `startPeriodMs` while it is not yet healthy. */
export const HEALTH_START_PHASE_MS = 60_000;

/**
 * Checks health after `initialDelayMs`, then every `startPeriodMs` until the first healthy result (for at
 * most HEALTH_START_PHASE_MS), then every `periodMs`, until `signal` aborts. `onResult` is called after
 * every check with whether the health changed (the first result always counts as a change).
 */
export async function monitorHealth(
  spec: HealthCheckSpec,
  clock: Clock,
  signal: AbortSignal,
  onResult: (result: HealthResult, changed: boolean) => void,
  run: HealthCheckRun = { pid: undefined },
): Promise<void> {
  let last: HealthResult | undefined;
  const startedAt = clock.monotonic();
  let starting = spec.startPeriodMs !== undefined;
  if (!(await clock.sleep(spec.initialDelayMs, signal))) return;
  for (;;) {
    const result = await checkOnce(spec, clock, signal, run);
    if (signal.aborted) return;
    const changed = last === undefined || last.healthy !== result.healthy;
    last = result;
    onResult(result, changed);
    if (starting && (result.healthy || clock.monotonic() - startedAt >= HEALTH_START_PHASE_MS))
      starting = false;
    const period = starting ? (spec.startPeriodMs ?? spec.periodMs) : spec.periodMs;
    if (!(await clock.sleep(period, signal))) return;
  }
}
