// Percentiles of call latencies for the hostile-input bench: the admin's Version calls made during an
// attack against those made on the idle node.

export interface LatencySummary {
  /** Calls that answered (successfully or not) plus those that failed without an answer. */
  readonly calls: number;
  /** Calls that did not succeed (an error code, a dropped connection, a deadline). */
  readonly errors: number;
  /** Milliseconds, over every call (failed ones at the time they failed). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface LatencySample {
  readonly ms: number;
  readonly ok: boolean;
}

/** The p-th percentile (0..100) of ascending `sorted`, nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(samples: readonly LatencySample[]): LatencySummary {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    calls: samples.length,
    errors: samples.filter((s) => !s.ok).length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}
