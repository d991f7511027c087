import { realpathSync } from "node:fs";
import { join, posix } from "node:path";
import { showPath } from "../caller-input.ts";

export type FilesRootErrorCode = "Escapes" | "NotFound";

export class FilesRootError extends Error {
  override readonly name = "FilesRootError";
  constructor(
    readonly code: FilesRootErrorCode,
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** A path as the caller names it ("/etc/hosts") and where it is on this host. */
export interface ResolvedPath {
  readonly visible: string;
  readonly host: string;
}

/**
 * The directory List, Read and Copy see as "/": the real root on a node, a sandbox directory in
 * container mode. Paths are normalised ("..", "//") and, once symlinks are followed, must stay inside.
 */
export class FilesRoot {
  readonly #root: string;
  readonly #realRoot: string;

  constructor(root: string) {
    this.#root = root;
    this.#realRoot = realpathSync(root);
  }

  /** Maps a caller's path into the root, without following anything. */
  map(requested: string): ResolvedPath {
    const visible = posix.resolve("/", requested === "" ? "/" : requested);
    return { visible, host: visible === "/" ? this.#root : join(this.#root, visible) };
  }

  /** Maps a caller's path and checks that it exists and, symlinks followed, stays inside the root. */
  resolve(requested: string): ResolvedPath {
    const mapped = this.map(requested);
    let real: string;
    try {
      real = realpathSync(mapped.host);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new FilesRootError(
          "NotFound",
          `${showPath(mapped.visible)}: no such file or directory`,
          mapped.visible,
        );
      }
      throw error;
    }
    if (!this.contains(real)) {
      throw new FilesRootError(
        "Escapes",
        `${showPath(mapped.visible)}: resolves outside the files root`,
        mapped.visible,
      );
    }
    return { visible: mapped.visible, host: real };
  }

  contains(realPath: string): boolean {
    return this.#realRoot === "/" || realPath === this.#realRoot || realPath.startsWith(`${this.#realRoot}/`);
  }
}
