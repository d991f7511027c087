// The processes a test started and must not leave behind, found in /proc by their command line.
import { readdirSync, readFileSync } from "node:fs";

/**
 * Pids of live (not zombie) processes whose command line starts with `command` and mentions `text`
 * (e.g. a QEMU guest whose serial log lives in the test's temporary directory).
 */
export function processesMentioning(text: string, command = "qemu-system"): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (cmdline.startsWith(command) && cmdline.includes(text) && state !== "Z") found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
