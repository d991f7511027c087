// Watches PID 1's event loop (issue 10: "never blocked longer than 100 ms by a request"): a periodic
// timer measures how late it fires, and a delay over the threshold is logged as one line
// `event loop blocked for <N> ms` on machined's log (the console), so that a benchmark can read the
// longest block off the console. At most one line a second: the blocks seen meanwhile are summed up in
// the next line, which gives the longest of them and their count. One 50 ms timer: 20 wake-ups a
// second, nothing else (Bun's monitorEventLoopDelay would still need a timer to read and report it).
import type { Clock } from "../clock.ts";

/** The line's fixed text, for whoever reads the console (benchmarks). */
export const EVENT_LOOP_BLOCKED = "event loop blocked for";

export interface MonitorTimers {
  setInterval(tick: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The real timers; the monitor's interval never keeps machined alive by itself. */
const realTimers: MonitorTimers = {
  setInterval(tick, ms) {
    const handle = setInterval(tick, ms);
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

export interface EventLoopMonitorOptions {
  readonly log: (line: string) => void;
  readonly clock: Pick<Clock, "monotonic">;
  readonly timers?: MonitorTimers;
  /** How often the timer fires (default 50 ms). */
  readonly periodMs?: number;
  /** A delay longer than this is a block (default 100 ms). */
  readonly thresholdMs?: number;
  /** At most one line this often (default one second). */
  readonly reportEveryMs?: number;
}

export interface EventLoopMonitor {
  stop(): void;
}

export function startEventLoopMonitor(options: EventLoopMonitorOptions): EventLoopMonitor {
  const { log, clock } = options;
  const timers = options.timers ?? realTimers;
  const periodMs = options.periodMs ?? 50;
  const thresholdMs = options.thresholdMs ?? 100;
  const reportEveryMs = options.reportEveryMs ?? 1000;
  let last = clock.monotonic();
  let lastLine = Number.NEGATIVE_INFINITY;
  // Blocks seen since the last line and not reported yet.
  let held = 0;
  let longest = 0;

  const tick = () => {
    const now = clock.monotonic();
    const blocked = now - last - periodMs;
    last = now;
    if (blocked > thresholdMs) {
      held++;
      longest = Math.max(longest, blocked);
    }
    if (held === 0 || now - lastLine < reportEveryMs) return;
    const more = held > 1 ? ` (the longest of ${held} blocks since the last report)` : "";
    log(`${EVENT_LOOP_BLOCKED} ${Math.round(longest)} ms${more}`);
    lastLine = now;
    held = 0;
    longest = 0;
  };
  const handle = timers.setInterval(tick, periodMs);
  return { stop: () => timers.clearInterval(handle) };
}
