// Resident memory and open files of a process, from /proc: what the hostile-input bench watches in
// apid, trustd and machined while it attacks them.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface MemoryStatus {
  /** Resident set now, KiB. */
  readonly rssKiB: number;
  /** Peak resident set since the process started (or since resetPeak), KiB. */
  readonly hwmKiB: number;
  /** Anonymous resident memory (the heap: what a memory cgroup is charged, not the binary's file pages), KiB. */
  readonly anonKiB: number;
}

export class ProcStatusError extends Error {
  override readonly name = "ProcStatusError";
  readonly code = "NoStatus";
}

/** VmRSS, VmHWM and RssAnon of a /proc/<pid>/status text. */
export function parseMemoryStatus(text: string): MemoryStatus {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text);
    if (m === null) throw new ProcStatusError(`no ${name} in the status`);
    return Number(m[1]);
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM"), anonKiB: field("RssAnon") };
}

type ReadText = (path: string) => string;
const readText: ReadText = (path) => readFileSync(path, "utf8");

/** The memory of `pid`, or undefined when it is gone (or dying: a zombie's status has no memory lines). */
export function memoryStatus(pid: number, read: ReadText = readText): MemoryStatus | undefined {
  let text: string;
  try {
    text = read(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  try {
    return parseMemoryStatus(text);
  } catch (error) {
    if (error instanceof ProcStatusError) return undefined;
    throw error;
  }
}

/** Resets VmHWM to the current VmRSS (writes 5 to /proc/<pid>/clear_refs; root). */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

/** How many file descriptors `pid` has open, or undefined when it is gone. */
export function openFiles(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** The 1-minute load average (/proc/loadavg). */
export function loadAverage(read: ReadText = readText): number {
  return Number(read("/proc/loadavg").split(" ")[0]);
}
