// Runs the real osctl CLI, from its sources or as a compiled binary, as a user would.
import { OSCTL_MAIN } from "./repo-root.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOsctlOptions {
  cwd?: string;
  timeoutMs?: number;
  /** A compiled osctl to run instead of `bun apps/osctl/src/main.ts`. */
  binary?: string;
  /** Added to the environment (which never carries the caller's OSCONFIG). */
  env?: Record<string, string>;
}

/** Runs osctl with `args` in `cwd`; never throws on a non-zero exit. */
export async function runOsctl(args: readonly string[], options: RunOsctlOptions = {}) {
  const argv = options.binary ? [options.binary, ...args] : ["bun", OSCTL_MAIN, ...args];
  const proc = Bun.spawn(argv, {
    cwd: options.cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, OSCONFIG: undefined, NO_COLOR: "1", ...options.env },
    timeout: options.timeoutMs ?? 60_000,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr } satisfies CliResult;
}
