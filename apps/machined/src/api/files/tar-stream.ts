import type { FileHandle } from "node:fs/promises";
import { posix } from "node:path";
import { TAR_END, tarHeader, tarPadding } from "@bronze/files";
import { openRegularFile } from "./open-regular-file.ts";
import { walk } from "./walk.ts";

/** Most bytes per yielded chunk (docs/design.md §8: Bun's HTTP/2 stalls on larger streamed messages). */
export const CHUNK_BYTES = 64 * 1024;

/** Collects small pieces into chunks of at most CHUNK_BYTES. */
class Chunker {
  #parts: Uint8Array[] = [];
  #size = 0;

  *push(data: Uint8Array): Generator<Uint8Array> {
    let rest = data;
    while (rest.length > 0) {
      const take = Math.min(rest.length, CHUNK_BYTES - this.#size);
      this.#parts.push(rest.subarray(0, take));
      this.#size += take;
      rest = rest.subarray(take);
      if (this.#size === CHUNK_BYTES) yield this.flush();
    }
  }

  flush(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    this.#parts = [];
    this.#size = 0;
    return out;
  }

  get size(): number {
    return this.#size;
  }
}

/**
 * A tar archive (ustar + PAX) of `host` (a file or a directory tree), its entries named after the
 * root's base name ("etc/hosts" for /etc). Symlinks are archived as links, never followed; sockets,
 * FIFOs and devices are left out. A file that shrinks while read is padded to its header's size.
 */
export async function* tarStream(
  host: string,
  visible: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const base = visible === "/" ? "" : posix.basename(visible);
  const chunker = new Chunker();
  for await (const entry of walk(host, visible, Number.POSITIVE_INFINITY, signal)) {
    const stats = entry.stats;
    if (stats === undefined) continue;
    const name = entry.relative === "." ? base : base === "" ? entry.relative : `${base}/${entry.relative}`;
    if (name === "") continue; // the root directory itself when archiving "/"
    const common = {
      path: name,
      mode: stats.mode & 0o7777,
      uid: stats.uid,
      gid: stats.gid,
      mtime: Math.floor(stats.mtimeMs / 1000),
    };
    if (stats.isDirectory()) {
      yield* chunker.push(tarHeader({ ...common, type: "directory", size: 0 }));
    } else if (stats.isSymbolicLink() && entry.linkTarget !== undefined) {
      yield* chunker.push(tarHeader({ ...common, type: "symlink", size: 0, linkName: entry.linkTarget }));
    } else if (stats.isFile()) {
      let file: FileHandle;
      try {
        // Opened only if it is still the regular file the walk saw (never a FIFO or device swapped in).
        file = await openRegularFile(entry.host, stats);
      } catch {
        continue; // vanished, replaced or unreadable: leave it out rather than break the archive
      }
      try {
        const size = stats.size;
        yield* chunker.push(tarHeader({ ...common, type: "file", size }));
        let left = size;
        const buffer = new Uint8Array(CHUNK_BYTES);
        while (left > 0) {
          if (signal?.aborted) return;
          const { bytesRead } = await file.read(buffer, 0, Math.min(left, buffer.length), null);
          if (bytesRead === 0) break;
          yield* chunker.push(buffer.slice(0, bytesRead));
          left -= bytesRead;
        }
        if (left > 0) yield* chunker.push(new Uint8Array(left));
        yield* chunker.push(tarPadding(size));
      } finally {
        await file.close();
      }
    }
  }
  yield* chunker.push(TAR_END);
  if (chunker.size > 0) yield chunker.flush();
}
