// The processes a test started and must not leave behind, found in /proc: by their command line, or
// by their cgroup (a container's processes do not mention the test's directory, their cgroup does).
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessFacts {
  readonly pid: number;
  /** The command line, arguments separated by NUL. */
  readonly cmdline: string;
  /** /proc/<pid>/cgroup. */
  readonly cgroup: string;
}

/** Pids of live (not zombie) processes, other than this one, for which `match` holds. */
export function processesWhere(match: (p: ProcessFacts) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      const facts = {
        pid: Number(entry),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, "utf8"),
        cgroup: readFileSync(`/proc/${entry}/cgroup`, "utf8"),
      };
      if (match(facts)) found.push(facts.pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Processes whose command line mentions `text` (e.g. the test's temporary directory). */
export function processesMentioning(text: string): number[] {
  return processesWhere((p) => p.cmdline.includes(text));
}

/**
 * Processes in a cgroup whose path has the segment `name` (containerd puts a task of namespace `ns`
 * in `/<ns>/<id>`), on any hierarchy.
 */
export function processesInCgroup(name: string): number[] {
  return processesWhere((p) =>
    p.cgroup.split("\n").some((l) => l.includes(`/${name}/`) || l.endsWith(`/${name}`)),
  );
}

/** SIGKILLs each pid, ignoring those already gone; returns how many were signalled. */
export function killProcesses(pids: readonly number[]): number {
  let killed = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}

/** True while `pid` runs: not once it has exited, even before its parent reaps it (a zombie). */
export function isAlive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped: its parent is gone or busy) is not alive, though kill(pid, 0)
    // would succeed on it.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
