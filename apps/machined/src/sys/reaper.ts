import { readdirSync, readFileSync } from "node:fs";
import { type Clock, systemClock } from "../clock.ts";
import type { ChildTracker } from "./child-tracker.ts";
import { WNOHANG } from "./constants.ts";
import type { Sys } from "./sys.ts";
import { SysError } from "./sys-error.ts";

export interface ReapedChild {
  readonly pid: number;
  /** The process name from /proc/<pid>/stat. */
  readonly comm: string;
  readonly exitCode: number | null;
  readonly signal: number | null;
}

/** Subscribes to SIGCHLD; returns the unsubscribe function. Injected so tests need no signals. */
export type SigchldSource = (handler: () => void) => () => void;

export const processSigchld: SigchldSource = (handler) => {
  process.on("SIGCHLD", handler);
  return () => {
    process.off("SIGCHLD", handler);
  };
};

export interface ReaperOptions {
  readonly sys: Pick<Sys, "waitpid" | "getpid">;
  /** Children spawned through Bun: never reaped here. */
  readonly tracker: ChildTracker;
  readonly clock?: Clock;
  /** Default "/proc". */
  readonly procRoot?: string;
  /**
   * A zombie that is not tracked is only reaped once it has stayed a zombie this long (default 500 ms).
   * This protects children spawned through Bun by code that did not register them: Bun collects those
   * within one event-loop turn, so they never survive the delay. 0 reaps at first sight.
   */
  readonly confirmDelayMs?: number;
  /** Coalesces bursts of SIGCHLD into one scan (default 20 ms). */
  readonly debounceMs?: number;
  /** Safety-net scan period while started (default 60 s). SIGCHLD normally triggers scans. */
  readonly intervalMs?: number;
  readonly sigchld?: SigchldSource;
  readonly onReap?: (child: ReapedChild) => void;
  /** Unexpected failures (never thrown: the reaper runs in PID 1). */
  readonly onError?: (error: unknown) => void;
}

interface ProcStat {
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
}

/** Parses /proc/<pid>/stat: `pid (comm) S ppid ...`; comm may contain spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(" ");
  const ppid = Number(rest[1]);
  if (rest[0] === undefined || !Number.isInteger(ppid)) return undefined;
  return { comm: text.slice(open + 1, close), state: rest[0], ppid };
}

/**
 * Reaps orphans re-parented to this process (PID 1, or a child subreaper) without stealing the exit
 * status of children Bun spawned: it waits only for specific zombie pids (never waitpid(-1)) that are
 * children of ours, not tracked, and confirmed zombies for `confirmDelayMs`.
 */
export class Reaper {
  readonly #sys: Pick<Sys, "waitpid" | "getpid">;
  readonly #tracker: ChildTracker;
  readonly #clock: Clock;
  readonly #procRoot: string;
  readonly #confirmDelayMs: number;
  readonly #debounceMs: number;
  readonly #intervalMs: number;
  readonly #sigchld: SigchldSource;
  readonly #onReap: (child: ReapedChild) => void;
  readonly #onError: (error: unknown) => void;
  /** Untracked zombies seen but not yet confirmed: pid -> first seen (monotonic ms). */
  readonly #candidates = new Map<number, number>();
  #reaped = 0;
  #abort: AbortController | undefined;
  #unsubscribe: (() => void) | undefined;
  #scanScheduled = false;
  #confirmScheduled = false;

  constructor(options: ReaperOptions) {
    this.#sys = options.sys;
    this.#tracker = options.tracker;
    this.#clock = options.clock ?? systemClock;
    this.#procRoot = options.procRoot ?? "/proc";
    this.#confirmDelayMs = options.confirmDelayMs ?? 500;
    this.#debounceMs = options.debounceMs ?? 20;
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#sigchld = options.sigchld ?? processSigchld;
    this.#onReap = options.onReap ?? (() => {});
    this.#onError = options.onError ?? (() => {});
  }

  /** How many orphans this reaper has collected. */
  get reapedCount(): number {
    return this.#reaped;
  }

  /** Starts reaping on SIGCHLD (debounced) and on a slow safety-net interval. */
  start(): void {
    if (this.#abort !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#unsubscribe = this.#sigchld(() => this.#scheduleScan());
    void this.#safetyNet(abort.signal);
    this.#scheduleScan();
  }

  stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async #safetyNet(signal: AbortSignal): Promise<void> {
    while (await this.#clock.sleep(this.#intervalMs, signal)) this.#safeScan();
  }

  #scheduleScan(): void {
    const signal = this.#abort?.signal;
    if (this.#scanScheduled || signal === undefined) return;
    this.#scanScheduled = true;
    void this.#clock.sleep(this.#debounceMs, signal).then((elapsed) => {
      this.#scanScheduled = false;
      if (elapsed) this.#safeScan();
    });
  }

  #scheduleConfirm(): void {
    const signal = this.#abort?.signal;
    if (this.#confirmScheduled || signal === undefined) return;
    this.#confirmScheduled = true;
    void this.#clock.sleep(this.#confirmDelayMs, signal).then((elapsed) => {
      this.#confirmScheduled = false;
      if (elapsed) this.#safeScan();
    });
  }

  #safeScan(): void {
    try {
      this.scan();
    } catch (err) {
      this.#onError(err);
    }
  }

  /** One pass: reaps the confirmed untracked zombie children now; returns them. */
  scan(): ReapedChild[] {
    const reaped: ReapedChild[] = [];
    const now = this.#clock.monotonic();
    const seen = new Set<number>();
    for (const pid of this.children()) {
      if (this.#tracker.has(pid)) continue;
      const stat = this.#readStat(pid);
      if (stat === undefined || stat.state !== "Z") continue;
      seen.add(pid);
      const firstSeen = this.#candidates.get(pid);
      if (firstSeen === undefined && this.#confirmDelayMs > 0) {
        this.#candidates.set(pid, now);
        continue;
      }
      if (firstSeen !== undefined && now - firstSeen < this.#confirmDelayMs) continue;
      const child = this.#wait(pid, stat.comm);
      if (child !== undefined) {
        reaped.push(child);
        seen.delete(pid);
      }
    }
    for (const pid of this.#candidates.keys()) if (!seen.has(pid)) this.#candidates.delete(pid);
    if (this.#candidates.size > 0) this.#scheduleConfirm();
    return reaped;
  }

  #wait(pid: number, comm: string): ReapedChild | undefined {
    try {
      const r = this.#sys.waitpid(pid, WNOHANG);
      if (r.pid !== pid) return undefined;
      this.#reaped++;
      const child = { pid, comm, exitCode: r.exitCode, signal: r.signal };
      try {
        this.#onReap(child);
      } catch (err) {
        this.#onError(err);
      }
      return child;
    } catch (err) {
      // ECHILD: somebody else (Bun) collected it between our read and the wait.
      if (!(err instanceof SysError && err.code === "ECHILD")) this.#onError(err);
      return undefined;
    }
  }

  /** Our child pids: from /proc/<us>/task/<tid>/children, else by scanning every /proc/<pid>/stat. */
  children(): number[] {
    const self = this.#sys.getpid();
    const taskDir = `${this.#procRoot}/${self}/task`;
    let tasks: string[] | undefined;
    try {
      tasks = readdirSync(taskDir);
    } catch {
      tasks = undefined;
    }
    if (tasks !== undefined) {
      const pids: number[] = [];
      let readable = true;
      for (const tid of tasks) {
        try {
          for (const p of readFileSync(`${taskDir}/${tid}/children`, "utf8").split(" ")) {
            if (p.trim() !== "") pids.push(Number(p));
          }
        } catch (err) {
          // A thread that just ended is fine; a kernel without CONFIG_PROC_CHILDREN is not.
          if ((err as NodeJS.ErrnoException).code === "ENOENT" && tid === String(self)) readable = false;
        }
      }
      if (readable) return pids;
    }
    const pids: number[] = [];
    for (const entry of readdirSync(this.#procRoot)) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = this.#readStat(Number(entry));
      if (stat?.ppid === self) pids.push(Number(entry));
    }
    return pids;
  }

  #readStat(pid: number): ProcStat | undefined {
    try {
      return parseProcStat(readFileSync(`${this.#procRoot}/${pid}/stat`, "utf8"));
    } catch {
      return undefined;
    }
  }
}
