// Processes that outlive `osctl cluster create`: started detached in their own process group
// with their output in a file, found again by pid, stopped by group.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface DetachedProcess {
  pid: number;
}

/** Starts `argv` in a new session (its own process group), stdout and stderr appended to `logFile`. */
export function spawnDetached(argv: string[], logFile: string, env?: Record<string, string | undefined>) {
  const fd = openSync(logFile, "a", 0o600);
  try {
    const [command, ...args] = argv;
    const child = spawn(command as string, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      ...(env !== undefined ? { env } : {}),
    });
    const pid = child.pid;
    child.unref();
    if (pid === undefined) throw new Error(`cannot start ${command}`);
    return { pid, child };
  } finally {
    closeSync(fd);
  }
}

/** How `cluster create` starts a process that outlives it: returns its pid. */
export type StartDetached = (argv: string[], logFile: string) => number;

/** spawnDetached, with the child's exit listened for (so that it is reaped) but not awaited. */
export const startDetached: StartDetached = (argv, logFile) => {
  const { pid, child } = spawnDetached(argv, logFile);
  child.on("exit", () => {});
  return pid;
};

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Stops the process group led by `pid` (SIGTERM, then SIGKILL after `graceMs`), and `pid` itself
 * if it is not a group leader. Returns true once nothing of it is left.
 */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<boolean> {
  const signal = (sig: NodeJS.Signals) => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, sig);
      } catch {
        // gone already, or not a group leader
      }
    }
  };
  if (!isAlive(pid)) return true;
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(50);
  }
  signal("SIGKILL");
  for (let i = 0; i < 40; i++) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(50);
  }
  return !isAlive(pid);
}
