import { type Backoff, type ExitStatus, isSuccess, type RestartKind } from "./service.ts";

export const DEFAULT_BACKOFF: Required<Backoff> = {
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  resetAfterMs: 60_000,
};

/** How one run went. */
export interface RunOutcome {
  readonly exit: ExitStatus;
  readonly durationMs: number;
  /** Whether a health check passed during the run. */
  readonly healthy: boolean;
}

export type RestartDecision =
  | { readonly action: "restart"; readonly delayMs: number; readonly attempt: number }
  | { readonly action: "finish" }
  | { readonly action: "fail" };

/** Checks a backoff; returns what is wrong with it, or undefined. */
export function backoffProblem(backoff: Required<Backoff>): string | undefined {
  const { initialMs, maxMs, factor, resetAfterMs } = backoff;
  if (!Number.isFinite(initialMs) || initialMs < 0) return `backoff.initialMs must be >= 0, got ${initialMs}`;
  if (!Number.isFinite(maxMs) || maxMs < initialMs) return `backoff.maxMs must be >= initialMs, got ${maxMs}`;
  if (!Number.isFinite(factor) || factor < 1) return `backoff.factor must be >= 1, got ${factor}`;
  if (!(resetAfterMs >= 0)) return `backoff.resetAfterMs must be >= 0, got ${resetAfterMs}`;
  return undefined;
}

/**
 * Decides what follows a run: `forever` restarts after any exit, `untilSuccess` until an exit 0,
 * `once` never. Restarts back off exponentially (capped); a healthy run (a passed health check, or one
 * that lasted `resetAfterMs`) resets the backoff.
 */
export class RestartPolicy {
  readonly kind: RestartKind;
  readonly backoff: Required<Backoff>;
  #failures = 0;

  constructor(kind: RestartKind, backoff: Partial<Backoff> = {}) {
    this.kind = kind;
    this.backoff = { ...DEFAULT_BACKOFF, ...backoff };
    const problem = backoffProblem(this.backoff);
    if (problem !== undefined) throw new RangeError(problem);
  }

  /** Consecutive restarts since the last healthy run. */
  get attempts(): number {
    return this.#failures;
  }

  /** The delay before the `attempt`-th consecutive restart (1-based). */
  delayFor(attempt: number): number {
    const { initialMs, maxMs, factor } = this.backoff;
    return Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  }

  decide(outcome: RunOutcome): RestartDecision {
    if (outcome.healthy || outcome.durationMs >= this.backoff.resetAfterMs) this.#failures = 0;
    const success = isSuccess(outcome.exit);
    if (this.kind === "once") return success ? { action: "finish" } : { action: "fail" };
    if (this.kind === "untilSuccess" && success) return { action: "finish" };
    this.#failures++;
    return { action: "restart", delayMs: this.delayFor(this.#failures), attempt: this.#failures };
  }

  /** Forgets past failures (a new lifecycle after a manual start). */
  reset(): void {
    this.#failures = 0;
  }
}
