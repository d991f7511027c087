import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ImageError } from "./image-error.ts";

/**
 * Content-addressed cache for the expensive outputs (squashfs, compressed initramfs): stored as
 * `<dir>/<kind>-<key>`, where the key is a digest of everything the output is made from. Only the
 * latest entry of each kind is kept.
 */
export class OutputCache {
  constructor(private readonly dir: string) {}

  private path(kind: string, key: string): string {
    if (!/^[a-z0-9.-]+$/.test(kind) || !/^[0-9a-f]{16,}$/.test(key)) {
      throw new ImageError(
        "BadInput",
        `output cache: bad kind ${JSON.stringify(kind)} or key ${JSON.stringify(key)}`,
      );
    }
    return join(this.dir, `${kind}-${key}`);
  }

  /** Copies the cached output to `out` and returns true, or returns false when there is none. */
  restore(kind: string, key: string, out: string): boolean {
    const path = this.path(kind, key);
    if (!existsSync(path)) return false;
    const partial = `${out}.partial`;
    copyFileSync(path, partial, constants.COPYFILE_FICLONE);
    renameSync(partial, out);
    return true;
  }

  /** Stores a copy of `file` as the output for key, dropping older entries of the same kind. */
  store(kind: string, key: string, file: string): void {
    const path = this.path(kind, key);
    mkdirSync(this.dir, { recursive: true });
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(`${kind}-`) && join(this.dir, name) !== path)
        rmSync(join(this.dir, name), { force: true });
    }
    copyFileSync(file, `${path}.partial`, constants.COPYFILE_FICLONE);
    renameSync(`${path}.partial`, path);
  }
}
