// What a command may touch of the outside world, injected so commands are testable in-process.
import { homedir } from "node:os";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  now(): Date;
}

export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => Bun.stdin.text(),
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    now: () => new Date(),
  };
}
