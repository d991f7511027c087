// Writes a set of files all-or-nothing: every target is checked before anything is written, each
// file is staged by @bronze/files (a temporary sibling under a random name that is never a planted
// link, with its exact mode, written and fsynced), then all are renamed into place, each directory
// fsynced. A failure before the renames leaves no target touched and removes the temporaries.
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type StagedFile, stageFile } from "@bronze/files";
import { CliError } from "../cli-error.ts";

export interface OutputFile {
  path: string;
  content: string;
  /** Unix permissions (default 0644); files holding keys are written 0600. */
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
  const staged: StagedFile[] = [];
  try {
    for (const file of files) {
      mkdirSync(dirname(file.path), { recursive: true });
      staged.push(stageFile(file.path, file.content, { mode: file.mode ?? 0o644 }));
    }
    for (const file of staged) file.commit();
  } catch (error) {
    for (const file of staged) file.discard();
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError("failed", `could not write ${files.map((f) => f.path).join(", ")}: ${why}`, {
      cause: error,
    });
  }
}
