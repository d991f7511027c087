// Reading a node's logs (serial console, QEMU's output) while it may not have written them yet.
import { readFileSync } from "node:fs";

/** The whole log, or "" while it does not exist. */
export function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The last `lines` lines of the log, or "" while it does not exist. */
export function tailLog(path: string, lines: number): string {
  return readLog(path).trimEnd().split("\n").slice(-lines).join("\n");
}
