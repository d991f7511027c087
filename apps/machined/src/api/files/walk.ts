import type { Stats } from "node:fs";
import { lstat, opendir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";

export interface WalkEntry {
  /** Path on this host. */
  readonly host: string;
  /** Path as the caller sees it. */
  readonly visible: string;
  /** Relative to the walk's root ("." for the root itself). */
  readonly relative: string;
  readonly depth: number;
  readonly stats: Stats | undefined;
  readonly linkTarget: string | undefined;
  /** Why the entry (or a directory's listing) could not be read. */
  readonly error: string | undefined;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Walks a tree depth first in name order without following symlinks: the root first, then entries
 * down to `maxDepth` levels below it (Infinity for all). Unreadable entries carry an error and the walk
 * goes on; only an unreadable root throws.
 */
export async function* walk(
  host: string,
  visible: string,
  maxDepth: number,
  signal?: AbortSignal,
): AsyncGenerator<WalkEntry> {
  const rootStats = await lstat(host);
  yield* visit(host, visible, ".", 0, rootStats, maxDepth, signal);
}

async function* visit(
  host: string,
  visible: string,
  relative: string,
  depth: number,
  stats: Stats | undefined,
  maxDepth: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<WalkEntry> {
  if (signal?.aborted) return;
  let error: string | undefined;
  let linkTarget: string | undefined;
  let names: string[] = [];
  if (stats?.isSymbolicLink()) {
    try {
      linkTarget = await readlink(host);
    } catch (e) {
      error = message(e);
    }
  }
  if (stats?.isDirectory() && depth < maxDepth) {
    try {
      const dir = await opendir(host);
      for await (const dirent of dir) names.push(dirent.name);
      names.sort();
    } catch (e) {
      error = message(e);
      names = [];
    }
  }
  yield { host, visible, relative, depth, stats, linkTarget, error };
  for (const name of names) {
    const childHost = join(host, name);
    let childStats: Stats | undefined;
    let childError: string | undefined;
    try {
      childStats = await lstat(childHost);
    } catch (e) {
      childError = message(e);
    }
    const childVisible = posix.join(visible, name);
    const childRelative = relative === "." ? name : `${relative}/${name}`;
    if (childStats === undefined) {
      yield {
        host: childHost,
        visible: childVisible,
        relative: childRelative,
        depth: depth + 1,
        stats: undefined,
        linkTarget: undefined,
        error: childError,
      };
      continue;
    }
    yield* visit(childHost, childVisible, childRelative, depth + 1, childStats, maxDepth, signal);
  }
}
