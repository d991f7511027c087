import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { CpioEntry } from "./cpio-writer.ts";
import { normalizeCpioPath } from "./cpio-writer.ts";
import { ImageError } from "./image-error.ts";

/** A file-system tree to ship, described before it is written as a cpio archive or a directory. */
export type TreeEntry =
  | { readonly type: "dir"; readonly path: string; readonly mode: number }
  | { readonly type: "file"; readonly path: string; readonly mode: number; readonly source: string }
  | { readonly type: "file"; readonly path: string; readonly mode: number; readonly data: Uint8Array }
  | { readonly type: "symlink"; readonly path: string; readonly target: string }
  | {
      readonly type: "char" | "block";
      readonly path: string;
      readonly mode: number;
      readonly major: number;
      readonly minor: number;
    };

/** Text file helper. */
export function textFile(path: string, text: string, mode = 0o644): TreeEntry {
  return { type: "file", path, mode, data: new TextEncoder().encode(text) };
}

/** The entries as cpio entries, reading host files through `read`. */
export function toCpioEntries(
  entries: readonly TreeEntry[],
  read: (path: string) => Uint8Array = (p) => readFileSync(p),
): CpioEntry[] {
  return entries.map((e): CpioEntry => {
    if (e.type === "file" && "source" in e)
      return { type: "file", path: e.path, mode: e.mode, data: read(e.source) };
    return e;
  });
}

/**
 * Writes the tree into `dir` (emptied first). Parents not listed become 0755 directories; modes are
 * set explicitly, so the host's umask does not matter. Device nodes are refused: they have no place
 * in a squashfs root here (devtmpfs provides /dev).
 */
export function materializeTree(entries: readonly TreeEntry[], dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const sorted = [...entries].sort((a, b) => {
    const x = normalizeCpioPath(a.path);
    const y = normalizeCpioPath(b.path);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const seen = new Set<string>();
  for (const entry of sorted) {
    const rel = normalizeCpioPath(entry.path);
    if (seen.has(rel)) throw new ImageError("BadInput", `tree: duplicate path ${rel}`);
    seen.add(rel);
    const target = join(dir, rel);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    switch (entry.type) {
      case "dir":
        mkdirSync(target, { recursive: true });
        chmodSync(target, entry.mode);
        break;
      case "file":
        if ("source" in entry) copyFileSync(entry.source, target);
        else writeFileSync(target, entry.data);
        chmodSync(target, entry.mode);
        break;
      case "symlink":
        symlinkSync(entry.target, target);
        break;
      case "char":
      case "block":
        throw new ImageError("BadInput", `tree: device node ${rel} cannot be written to a directory tree`);
    }
  }
}

/**
 * A digest of everything the tree is made of (paths, types, modes, link targets, device numbers,
 * file contents), for caching what is built from it. `extra` adds the builder's own parameters.
 */
export function treeDigest(
  entries: readonly TreeEntry[],
  extra: string,
  read: (path: string) => Uint8Array = (p) => readFileSync(p),
): string {
  const hash = createHash("sha256");
  hash.update(`${extra}\n`);
  const sorted = [...entries]
    .map((e) => [normalizeCpioPath(e.path), e] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [path, e] of sorted) {
    let detail: string;
    switch (e.type) {
      case "dir":
        detail = e.mode.toString(8);
        break;
      case "file": {
        const data = "source" in e ? read(e.source) : e.data;
        detail = `${e.mode.toString(8)} ${createHash("sha256").update(data).digest("hex")}`;
        break;
      }
      case "symlink":
        detail = JSON.stringify(e.target);
        break;
      case "char":
      case "block":
        detail = `${e.mode.toString(8)} ${e.major}:${e.minor}`;
        break;
    }
    hash.update(`${JSON.stringify(path)} ${e.type} ${detail}\n`);
  }
  return hash.digest("hex");
}
