import type { ExitStatus } from "../service.ts";

/** What the process runner asks of a spawn function. */
export interface SpawnRequest {
  readonly cmd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** A cgroup directory to start the child in (joined before it executes). */
  readonly cgroup?: string;
}

export interface SpawnedProcess {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Resolves when the process has exited (and been collected). */
  readonly exited: Promise<ExitStatus>;
  /** Signals the process's whole process group (it leads its own session). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts a process; throws when it cannot (e.g. ENOENT). Injected so the runner's logic is testable. */
export type SpawnFn = (request: SpawnRequest) => SpawnedProcess;
