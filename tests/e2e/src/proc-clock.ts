// One clock for "when did QEMU start" and "when did the API answer": seconds since the host booted,
// from /proc (10 ms resolution). A process's start time comes from /proc/<pid>/stat, so a QEMU
// started by another program (osctl cluster create) is timed from its real start.
import { readFileSync } from "node:fs";

/** USER_HZ: /proc's clock ticks (100 on every x86-64 Linux). */
const TICKS_PER_SECOND = 100;

export function uptimeSeconds(read = (p: string) => readFileSync(p, "utf8")): number {
  return Number(read("/proc/uptime").split(" ")[0]);
}

/** When `pid` started, in seconds since boot (field 22 of /proc/<pid>/stat, after the command). */
export function processStartSeconds(pid: number, read = (p: string) => readFileSync(p, "utf8")): number {
  const stat = read(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): field 22 is at index 19
  return Number(fields[19]) / TICKS_PER_SECOND;
}
