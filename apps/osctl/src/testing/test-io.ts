// An in-memory Io for running osctl commands inside tests: captures output, fixes the clock,
// and points home and cwd at a scratch directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Io } from "../io.ts";
import { runCli } from "../run-cli.ts";

export interface TestIo extends Io {
  out: string[];
  err: string[];
  dir: string;
  cleanup(): void;
}

export function createTestIo(
  options: { stdin?: string; env?: Record<string, string>; now?: Date } = {},
): TestIo {
  const dir = mkdtempSync(join(tmpdir(), "osctl-test-"));
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    dir,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => options.stdin ?? "",
    columns: () => undefined,
    env: options.env ?? {},
    cwd: dir,
    home: dir,
    now: () => options.now ?? new Date(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs osctl in-process; returns the exit code and everything printed. */
export async function osctl(io: TestIo, ...args: string[]) {
  io.out.length = 0;
  io.err.length = 0;
  const code = await runCli(args, io);
  return { code, stdout: io.out.join(""), stderr: io.err.join("") };
}

/** Runs `openssl` with arguments; returns exit code and combined output. */
export function openssl(...args: string[]): { code: number; output: string } {
  const proc = Bun.spawnSync(["openssl", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode ?? -1, output: proc.stdout.toString() + proc.stderr.toString() };
}
