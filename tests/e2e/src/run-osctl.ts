// Runs the real osctl CLI from its sources, as a user would run the binary.
import { OSCTL_MAIN } from "./repo-root.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `bun apps/osctl/src/main.ts ...args` in `cwd`; never throws on a non-zero exit. */
export async function runOsctl(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  const proc = Bun.spawn(["bun", OSCTL_MAIN, ...args], {
    cwd: options.cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, OSCONFIG: undefined, NO_COLOR: "1" },
    timeout: options.timeoutMs ?? 60_000,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr } satisfies CliResult;
}
