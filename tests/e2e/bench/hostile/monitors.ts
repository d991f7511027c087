// What the hostile-input bench watches while it attacks the node: calls made at a fixed pace in a
// worker thread (an admin's Version through apid; Version straight on machined's socket, PID 1's
// responsiveness), the resident memory of apid, trustd and machined, and the machine's load.
import { type LatencySample, type LatencySummary, summarize } from "../../src/hostile/latency-stats.ts";
import { loadAverage, memoryStatus, resetPeak } from "../../src/hostile/proc-status.ts";
import type { ProbeConfig, ProbeMessage, ProbeSample } from "./probe-worker.ts";

export interface PhasedSample extends LatencySample {
  readonly probe: "apid" | "socket";
  readonly phase: string;
  /** Epoch milliseconds when the call started. */
  readonly at: number;
  readonly error?: string;
}

/** The phase the bench is in (the case or fuzz running), and when each began, for the monitors' samples. */
export class Phase {
  readonly #timeline: { at: number; name: string }[] = [{ at: 0, name: "idle" }];
  readonly #listeners: ((to: string) => void)[] = [];

  get current(): string {
    return (this.#timeline[this.#timeline.length - 1] as { name: string }).name;
  }

  set current(name: string) {
    if (name === this.current) return;
    // Listeners run while the ending phase is still the current one.
    for (const listener of this.#listeners) listener(name);
    this.#timeline.push({ at: Date.now(), name });
  }

  /** Called with the new phase's name whenever the phase changes, before it does. */
  onChange(listener: (to: string) => void): void {
    this.#listeners.push(listener);
  }

  /** Every phase so far, in order (a name once). */
  names(): string[] {
    return [...new Set(this.#timeline.map((e) => e.name))];
  }

  /** The phase at epoch milliseconds `at`. */
  at(at: number): string {
    let name = "idle";
    for (const entry of this.#timeline) {
      if (entry.at > at) break;
      name = entry.name;
    }
    return name;
  }
}

/** The probes of probe-worker.ts, run in a worker thread; their samples labelled with the phase they started in. */
export class Probes {
  readonly #worker = new Worker(new URL("./probe-worker.ts", import.meta.url).href);
  readonly #raw: ProbeSample[] = [];
  #skipped = 0;
  #stopped: Promise<void>;

  constructor(
    config: ProbeConfig,
    private readonly phase: Phase,
  ) {
    let stopped = () => {};
    this.#stopped = new Promise((resolve) => {
      stopped = resolve;
    });
    this.#worker.onmessage = (event: MessageEvent<ProbeMessage>) => {
      if (event.data.type === "samples") this.#raw.push(...event.data.samples);
      else {
        this.#skipped = event.data.skipped;
        stopped();
      }
    };
    this.#worker.postMessage({ type: "start", config });
  }

  async stop(): Promise<void> {
    this.#worker.postMessage({ type: "stop" });
    await Promise.race([this.#stopped, Bun.sleep(30_000)]);
    this.#worker.terminate();
  }

  /** Calls not started because 100 were still waiting. */
  get skipped(): number {
    return this.#skipped;
  }

  samples(probe: "apid" | "socket", phases?: (phase: string) => boolean): PhasedSample[] {
    const out: PhasedSample[] = [];
    for (const s of this.#raw) {
      if (s.probe !== probe) continue;
      const phase = this.phase.at(s.at);
      if (phases === undefined || phases(phase)) out.push({ ...s, phase });
    }
    return out;
  }

  summary(probe: "apid" | "socket", phases?: (phase: string) => boolean): LatencySummary {
    return summarize(this.samples(probe, phases));
  }

  /** The slowest calls, for the report. */
  slowest(probe: "apid" | "socket", n: number, phases?: (phase: string) => boolean): PhasedSample[] {
    return this.samples(probe, phases)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n);
  }

  /** Error messages by count. */
  errors(probe: "apid" | "socket", phases?: (phase: string) => boolean): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.samples(probe, phases)) {
      if (s.ok) continue;
      const key = `${s.phase}: ${s.error ?? "?"}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
    return out;
  }
}

export interface MemoryFigures {
  readonly pid: number;
  /** RssAnon at the baseline and at the end, and the highest sampled, KiB. */
  readonly anonBefore: number;
  readonly anonAfter: number;
  readonly anonPeak: number;
  /** VmRSS at the baseline, KiB. */
  readonly before: number;
  /** VmRSS at the end, KiB. */
  readonly after: number;
  /** The highest resident set seen: sampled VmRSS and the kernel's VmHWM since the baseline, KiB. */
  readonly peak: number;
  /** Other pids the process had meanwhile (a restart). */
  readonly pidChanges: number[];
}

/**
 * Samples VmRSS of named processes every `intervalMs` (their pids may change: a restart is noted, and
 * the new process measured from then on). The kernel's VmHWM is reset whenever the phase changes, so
 * that each phase's peak is exact (not only what the samples happened to see), and so is the overall one.
 */
export class MemoryWatch {
  readonly #pids: () => Promise<Record<string, number>>;
  readonly #state = new Map<
    string,
    {
      pid: number;
      before: number;
      peak: number;
      last: number;
      anonBefore: number;
      anonPeak: number;
      anonLast: number;
      changes: number[];
    }
  >();
  readonly #byPhase = new Map<string, Map<string, number>>();
  #phase = "";
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    pids: () => Promise<Record<string, number>>,
    private readonly phase: Phase,
    private readonly intervalMs = 200,
  ) {
    this.#pids = pids;
    // A phase shorter than the sampling interval still gets its own (exact) peak.
    phase.onChange((to) => {
      if (this.#timer === undefined) return;
      this.#read();
      this.#startPhase(to);
    });
  }

  /** Takes the baseline (VmRSS now; VmHWM reset) and starts sampling. */
  async start(): Promise<void> {
    for (const [name, pid] of Object.entries(await this.#pids())) {
      const m = memoryStatus(pid);
      if (m === undefined) throw new Error(`${name} (pid ${pid}) is gone`);
      resetPeak(pid);
      this.#state.set(name, {
        pid,
        before: m.rssKiB,
        peak: m.rssKiB,
        last: m.rssKiB,
        anonBefore: m.anonKiB,
        anonPeak: m.anonKiB,
        anonLast: m.anonKiB,
        changes: [],
      });
    }
    this.#phase = this.phase.current;
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Reads every process once; a new phase starts with the peaks reset. */
  sample(): void {
    this.#read();
    if (this.phase.current !== this.#phase) this.#startPhase(this.phase.current);
  }

  /** Records every process's resident memory (and its peak since the phase began) to the phase. */
  #read(): void {
    const phases = this.#byPhase.get(this.#phase) ?? new Map<string, number>();
    this.#byPhase.set(this.#phase, phases);
    for (const [name, s] of this.#state) {
      const m = memoryStatus(s.pid);
      if (m === undefined) continue;
      s.last = m.rssKiB;
      s.anonLast = m.anonKiB;
      s.anonPeak = Math.max(s.anonPeak, m.anonKiB);
      const high = Math.max(m.rssKiB, m.hwmKiB);
      s.peak = Math.max(s.peak, high);
      phases.set(name, Math.max(phases.get(name) ?? 0, high));
    }
  }

  #startPhase(name: string): void {
    this.#phase = name;
    for (const s of this.#state.values()) {
      try {
        resetPeak(s.pid);
      } catch {
        // gone: noticed by refreshPids
      }
    }
  }

  /** Follows processes whose pid changed (a restart): the new one is measured from now on. */
  async refreshPids(): Promise<void> {
    for (const [name, pid] of Object.entries(await this.#pids())) {
      const s = this.#state.get(name);
      if (s === undefined || s.pid === pid || pid === 0) continue;
      s.changes.push(pid);
      s.pid = pid;
    }
  }

  /** VmRSS now, KiB, by process. */
  now(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, s] of this.#state) out[name] = memoryStatus(s.pid)?.rssKiB ?? Number.NaN;
    return out;
  }

  /** The peak resident set, KiB, by process, over the phases `match` selects. */
  peakDuring(match: (phase: string) => boolean): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [phase, peaks] of this.#byPhase) {
      if (!match(phase)) continue;
      for (const [name, kib] of peaks) out[name] = Math.max(out[name] ?? 0, kib);
    }
    return out;
  }

  stop(): Record<string, MemoryFigures> {
    clearInterval(this.#timer);
    this.sample();
    const out: Record<string, MemoryFigures> = {};
    for (const [name, s] of this.#state)
      out[name] = {
        pid: s.pid,
        before: s.before,
        after: s.last,
        peak: s.peak,
        anonBefore: s.anonBefore,
        anonAfter: s.anonLast,
        anonPeak: s.anonPeak,
        pidChanges: s.changes,
      };
    return out;
  }
}

/** The 1-minute load average, every few seconds. */
export class LoadWatch {
  readonly samples: number[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;

  start(intervalMs = 5000): void {
    this.samples.push(loadAverage());
    this.#timer = setInterval(() => this.samples.push(loadAverage()), intervalMs);
  }

  stop(): { min: number; mean: number; max: number } {
    clearInterval(this.#timer);
    this.samples.push(loadAverage());
    const mean = this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
    return { min: Math.min(...this.samples), mean, max: Math.max(...this.samples) };
  }
}
