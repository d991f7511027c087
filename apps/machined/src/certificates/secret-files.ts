import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type FileOwner, writeFileAtomicAsync } from "@bronze/files";

/** One file of a secrets directory: keys are 0600, certificates 0644. */
export interface SecretFile {
  readonly name: string;
  readonly data: string;
  readonly mode: number;
}

export type Owner = FileOwner;

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;

/**
 * Writes `files` into `dir` (created 0700), each atomically and durably (@bronze/files'
 * writeFileAtomicAsync: a watcher never reads half a file, a power loss never leaves one), owned by
 * `owner` when given (the service's uid reads them). The fsyncs run on the thread pool: a control
 * plane's renewal is 8 files, 16 fsyncs, which held PID 1's event loop 100-200 ms (up to 1 s while
 * another process wrote a lot) when they were synchronous.
 */
export async function writeSecretFiles(
  dir: string,
  files: readonly SecretFile[],
  owner?: Owner,
): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  for (const file of files) {
    if (file.name.includes("/")) throw new Error(`secret file name ${JSON.stringify(file.name)} has a slash`);
    await writeFileAtomicAsync(join(dir, file.name), file.data, { mode: file.mode, owner });
  }
}
