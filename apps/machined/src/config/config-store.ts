// Where machined keeps the machine config: the STATE partition's mount when installed, a
// directory under /system when diskless. Every write is atomic (@bronze/files' writeFileAtomic:
// temporary file, fsync, rename, fsync of the directory), so a crash, a power loss or a full disk
// leaves the old config or the new one, never half of one. Validation is the caller's job: the
// store only keeps text.
//
// Files: config.yaml (in force), config.staged.yaml (applied at next boot, mode "staged"),
// config.previous.yaml (what a "try" replaced, restored by revert()).
//
// Each write has an async twin (saveAsync, stageAsync, saveForTrialAsync), with its system calls on the
// thread pool: ConfigApplier writes with them while PID 1 serves requests, since an fsync waits for the
// disk (up to a second here while another process wrote a lot). Boot and tests use the synchronous ones.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory, writeFileAtomic, writeFileAtomicAsync } from "@bronze/files";

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
    this.writeAtomically(this.currentPath, text);
  }

  /** Keeps `text` for the next boot without touching the config in force. */
  stage(text: string): void {
    this.writeAtomically(this.stagedPath, text);
  }

  /** save(), its fsyncs off the caller's event loop. */
  async saveAsync(text: string): Promise<void> {
    await this.writeAtomicallyAsync(this.currentPath, text);
  }

  /** stage(), its fsyncs off the caller's event loop. */
  async stageAsync(text: string): Promise<void> {
    await this.writeAtomicallyAsync(this.stagedPath, text);
  }

  /** saveForTrial(), its fsyncs off the caller's event loop. */
  async saveForTrialAsync(text: string): Promise<void> {
    const before = this.current();
    if (before !== undefined) await this.writeAtomicallyAsync(this.previousPath, before);
    else await rm(this.previousPath, { force: true });
    await this.saveAsync(text);
  }

  /** Forgets the config in force (an apply out of maintenance mode that failed: there was none before). */
  clear(): void {
    rmSync(this.currentPath, { force: true });
    syncDirectory(this.dir);
  }

  /** At boot: a staged config becomes the config in force. Returns whether there was one. */
  promoteStaged(): boolean {
    if (!existsSync(this.stagedPath)) return false;
    renameSync(this.stagedPath, this.currentPath);
    syncDirectory(this.dir);
    return true;
  }

  /** For mode "try": saves `text`, remembering the config it replaced for revert(). */
  saveForTrial(text: string): void {
    const before = this.current();
    if (before !== undefined) this.writeAtomically(this.previousPath, before);
    else rmSync(this.previousPath, { force: true });
    this.save(text);
  }

  /** Ends a trial: keeps the tried config (commit) or restores the one it replaced. */
  endTrial(outcome: "commit" | "revert"): void {
    if (outcome === "revert" && existsSync(this.previousPath)) {
      renameSync(this.previousPath, this.currentPath);
      syncDirectory(this.dir);
      return;
    }
    rmSync(this.previousPath, { force: true });
  }

  private writeAtomically(path: string, text: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(path, text, { mode: 0o600 });
  }

  private async writeAtomicallyAsync(path: string, text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomicAsync(path, text, { mode: 0o600 });
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
