import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Clock } from "../clock.ts";

/**
 * The pid of the containerd machined started last, written when it starts. In container mode a
 * machined that dies (kill -9, a crash) leaves its containerd running on the node's root: the next
 * machined finds it here and stops it before starting its own (the second one would wait for ever on
 * the bolt lock while the first kept the socket).
 */
export function writePidfile(path: string, pid: number): void {
  writeFileSync(path, `${pid}\n`, { mode: 0o644 });
}

/** Removes the pidfile if it still names `pid` (a newer run may have replaced it). */
export function removePidfile(path: string, pid: number): void {
  if (readPidfile(path) === pid) rmSync(path, { force: true });
}

function readPidfile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The argv of process `pid`, or undefined when it is gone (or a zombie: its cmdline is empty). */
function argvOf(procRoot: string, pid: number): string[] | undefined {
  try {
    const argv = readFileSync(join(procRoot, String(pid), "cmdline"), "utf8").split("\0");
    if (argv.at(-1) === "") argv.pop();
    return argv.length > 0 ? argv : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `argv` is a containerd started with config file `config`. */
export function isContainerdOf(argv: readonly string[], config: string): boolean {
  if (basename(argv[0] ?? "") !== "containerd") return false;
  const at = argv.indexOf("--config");
  return at >= 0 && argv[at + 1] === config;
}

export interface LeftoverContainerdOptions {
  readonly pidfile: string;
  /** The node's containerd config: only a containerd started with it is ours to stop. */
  readonly config: string;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** Before SIGKILL (default 10 s). */
  readonly graceMs?: number;
  readonly procRoot?: string;
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
}

/**
 * Stops the containerd a previous machined left running on this node (see writePidfile): the process
 * the pidfile names, if it is still a containerd with this node's config (a pid reused by anything else
 * is left alone). SIGTERM, then SIGKILL after the grace period. Returns the pid stopped, if any.
 */
export async function stopLeftoverContainerd(
  options: LeftoverContainerdOptions,
): Promise<number | undefined> {
  const procRoot = options.procRoot ?? "/proc";
  const kill = options.kill ?? ((pid, signal) => process.kill(pid, signal));
  const pid = readPidfile(options.pidfile);
  if (pid === undefined) return undefined;
  const argv = argvOf(procRoot, pid);
  if (argv === undefined || !isContainerdOf(argv, options.config)) {
    rmSync(options.pidfile, { force: true });
    return undefined;
  }
  const graceMs = options.graceMs ?? 10_000;
  options.log(`containerd: stopping the containerd a previous machined left running (pid ${pid})`);
  const gone = async (withinMs: number) => {
    for (let waited = 0; waited < withinMs; waited += 50) {
      if (argvOf(procRoot, pid) === undefined) return true;
      await options.clock.sleep(50);
    }
    return argvOf(procRoot, pid) === undefined;
  };
  const signal = (name: NodeJS.Signals) => {
    try {
      kill(pid, name);
    } catch {
      // gone already
    }
  };
  signal("SIGTERM");
  if (!(await gone(graceMs))) {
    options.log(`containerd: pid ${pid} still running ${graceMs} ms after SIGTERM: sending SIGKILL`);
    signal("SIGKILL");
    if (!(await gone(5_000))) options.log(`containerd: pid ${pid} did not exit after SIGKILL`);
  }
  rmSync(options.pidfile, { force: true });
  return pid;
}
