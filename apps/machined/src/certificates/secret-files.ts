import { chmodSync, chownSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One file of a secrets directory: keys are 0600, certificates 0644. */
export interface SecretFile {
  readonly name: string;
  readonly data: string;
  readonly mode: number;
}

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;

/**
 * Writes `files` into `dir` (created 0700), each atomically (a temporary file renamed over the old
 * one, so a watcher never reads half a file), owned by `owner` when given (the service's uid reads them).
 */
export function writeSecretFiles(dir: string, files: readonly SecretFile[], owner?: Owner): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  for (const file of files) {
    if (file.name.includes("/")) throw new Error(`secret file name ${JSON.stringify(file.name)} has a slash`);
    const target = join(dir, file.name);
    const temporary = join(dir, `.${file.name}.${process.pid}.tmp`);
    try {
      writeFileSync(temporary, file.data, { mode: file.mode });
      chmodSync(temporary, file.mode);
      if (owner !== undefined) chownSync(temporary, owner.uid, owner.gid);
      renameSync(temporary, target);
    } catch (err) {
      rmSync(temporary, { force: true });
      throw err;
    }
  }
}
