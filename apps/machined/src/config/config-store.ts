// Where machined keeps the machine config: the STATE partition's mount when installed, a
// directory under /system when diskless. Every write is atomic (temporary file, fsync, rename,
// fsync of the directory), so a crash or power loss leaves the old config or the new one, never
// half of one. Validation is the caller's job: the store only keeps text.
//
// Files: config.yaml (in force), config.staged.yaml (applied at next boot, mode "staged"),
// config.previous.yaml (what a "try" replaced, restored by revert()).
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

export type ConfigStoreErrorCode = "NoSpace" | "WriteFailed";

/** A write the store could not make; the file it was replacing is untouched. */
export class ConfigStoreError extends Error {
  override readonly name = "ConfigStoreError";
  constructor(
    readonly code: ConfigStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "NoSpace";
}

export class ConfigStore {
  readonly currentPath: string;
  readonly stagedPath: string;
  readonly previousPath: string;

  constructor(readonly dir: string) {
    this.currentPath = join(dir, "config.yaml");
    this.stagedPath = join(dir, "config.staged.yaml");
    this.previousPath = join(dir, "config.previous.yaml");
  }

  /** The config in force, or undefined before the first one was saved. */
  current(): string | undefined {
    return readIfExists(this.currentPath);
  }

  staged(): string | undefined {
    return readIfExists(this.stagedPath);
  }

  /** Replaces the config in force. */
  save(text: string): void {
    this.#write(this.currentPath, text);
  }

  /** Keeps `text` for the next boot without touching the config in force. */
  stage(text: string): void {
    this.#write(this.stagedPath, text);
  }

  /** Forgets the config in force (an apply out of maintenance mode that failed: there was none before). */
  clear(): void {
    rmSync(this.currentPath, { force: true });
    this.syncDir();
  }

  /** At boot: a staged config becomes the config in force. Returns whether there was one. */
  promoteStaged(): boolean {
    if (!existsSync(this.stagedPath)) return false;
    renameSync(this.stagedPath, this.currentPath);
    this.syncDir();
    return true;
  }

  /** For mode "try": saves `text`, remembering the config it replaced for revert(). */
  saveForTrial(text: string): void {
    const before = this.current();
    if (before !== undefined) this.#write(this.previousPath, before);
    else rmSync(this.previousPath, { force: true });
    this.save(text);
  }

  /** Ends a trial: keeps the tried config (commit) or restores the one it replaced. */
  endTrial(outcome: "commit" | "revert"): void {
    if (outcome === "revert" && existsSync(this.previousPath)) {
      renameSync(this.previousPath, this.currentPath);
      this.syncDir();
      return;
    }
    rmSync(this.previousPath, { force: true });
  }

  /** writeAtomically, its failure typed and named (a full STATE says so: ResourceExhausted upstream). */
  #write(path: string, text: string): void {
    try {
      this.writeAtomically(path, text);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (isNoSpace(err)) {
        throw new ConfigStoreError("NoSpace", `no space left to write ${path} (${why})`, { cause: err });
      }
      throw new ConfigStoreError("WriteFailed", `cannot write ${path}: ${why}`, { cause: err });
    }
  }

  private writeAtomically(path: string, text: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${path}.tmp`;
    const fd = openSync(temp, "w", 0o600);
    try {
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    } catch (err) {
      rmSync(temp, { force: true });
      throw err;
    }
    this.syncDir();
  }

  private syncDir(): void {
    const fd = openSync(this.dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
