// Writes a set of files all-or-nothing: every target is checked before anything is written, each
// file goes to a temporary sibling that is fsynced, then all are renamed into place. A failure
// before the renames leaves no target touched and removes the temporaries.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { CliError } from "../cli-error.ts";

export interface OutputFile {
  path: string;
  content: string;
  /** Unix permissions; files holding keys are written 0600. */
  mode?: number;
}

export function writeFilesAtomically(files: OutputFile[], options: { force: boolean }): void {
  if (!options.force) {
    const existing = files.filter((f) => existsSync(f.path)).map((f) => f.path);
    if (existing.length > 0) {
      throw new CliError(
        "exists",
        `refusing to overwrite ${existing.join(", ")}: ${existing.length === 1 ? "it exists" : "they exist"} (use --force)`,
      );
    }
  }
  const staged: { temp: string; path: string }[] = [];
  try {
    for (const file of files) {
      mkdirSync(dirname(file.path), { recursive: true });
      const temp = `${file.path}.tmp-${process.pid}-${staged.length}`;
      const fd = openSync(temp, "w", file.mode ?? 0o644);
      staged.push({ temp, path: file.path });
      try {
        writeSync(fd, file.content);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    for (const { temp } of staged) rmSync(temp, { force: true });
    throw new CliError("failed", `could not write ${files.map((f) => f.path).join(", ")}: ${String(error)}`, {
      cause: error,
    });
  }
  for (const { temp, path } of staged) renameSync(temp, path);
}
