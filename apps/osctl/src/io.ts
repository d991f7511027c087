// What a command may touch of the outside world, injected so commands are testable in-process.
// The real one writes with write(2) on fds 1 and 2: Bun builds `process.stdout` lazily and the
// first touch costs ~12 ms, more than the rest of `osctl --help` together.
import { writeSync } from "node:fs";
import { terminalColumns } from "./terminal-width.ts";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  /** Terminal width for help text, or undefined when the output is not a terminal. */
  columns(): number | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  now(): Date;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `text`, riding out partial writes and EAGAIN on a non-blocking pipe. */
export function writeAllSync(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

export function processIo(): Io {
  return {
    stdout: (text) => writeAllSync(1, text),
    stderr: (text) => writeAllSync(2, text),
    readStdin: () => Bun.stdin.text(),
    columns: () => terminalColumns(1),
    env: process.env,
    cwd: process.cwd(),
    // $HOME first: node:os costs ~0.6 ms to load, a tenth of `osctl --help`
    home: process.env.HOME || process.getBuiltinModule("node:os").homedir(),
    now: () => new Date(),
  };
}

/** `io` with its stdout silenced (a command run as a step of another, whose own output is enough). */
export function quietIo(io: Io): Io {
  return { ...io, stdout: () => {} };
}
