import { ImageError } from "./image-error.ts";

/**
 * A deterministic cpio "newc" (SVR4 without CRC, magic 070701) writer, the format the kernel
 * unpacks an initramfs from. Entries are sorted by path (a parent always precedes its children),
 * missing parent directories are added (0755), every entry is owned by 0:0 with the same mtime,
 * inodes are numbered in order from 1, and nothing of the host leaks in.
 */
export type CpioEntry =
  | { readonly type: "dir"; readonly path: string; readonly mode: number }
  | { readonly type: "file"; readonly path: string; readonly mode: number; readonly data: Uint8Array }
  | { readonly type: "symlink"; readonly path: string; readonly target: string }
  | {
      readonly type: "char" | "block";
      readonly path: string;
      readonly mode: number;
      readonly major: number;
      readonly minor: number;
    };

export interface CpioOptions {
  /** Modification time of every entry, in seconds since the epoch (SOURCE_DATE_EPOCH). */
  readonly mtime: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const TRAILER = "TRAILER!!!";
export const CPIO_HEADER_SIZE = 110;

/** "/a//b/" => "a/b"; rejects empty paths, "." and ".." components. */
export function normalizeCpioPath(path: string): string {
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0) throw new ImageError("BadInput", `cpio: empty path ${JSON.stringify(path)}`);
  for (const part of parts) {
    if (part === "." || part === "..") {
      throw new ImageError("BadInput", `cpio: path ${JSON.stringify(path)} contains "${part}"`);
    }
    if (part.includes("\0")) throw new ImageError("BadInput", `cpio: path ${JSON.stringify(path)} has a NUL`);
  }
  return parts.join("/");
}

function hex8(value: number, field: string, path: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ImageError("BadInput", `cpio: ${field} of ${path} out of range: ${value}`);
  }
  return value.toString(16).padStart(8, "0");
}

function checkMode(mode: number, path: string): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new ImageError(
      "BadInput",
      `cpio: mode of ${path} must be permission bits (0..0o7777), got ${mode}`,
    );
  }
  return mode;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

interface Record {
  readonly name: string;
  readonly mode: number;
  readonly nlink: number;
  readonly data: Uint8Array;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
}

function header(record: Record, ino: number, mtime: number): Uint8Array {
  const name = new TextEncoder().encode(record.name);
  const n = record.name;
  const fields = [
    hex8(ino, "ino", n),
    hex8(record.mode, "mode", n),
    hex8(0, "uid", n),
    hex8(0, "gid", n),
    hex8(record.nlink, "nlink", n),
    hex8(mtime, "mtime", n),
    hex8(record.data.length, "filesize", n),
    hex8(0, "devmajor", n),
    hex8(0, "devminor", n),
    hex8(record.rdevMajor, "rdevmajor", n),
    hex8(record.rdevMinor, "rdevminor", n),
    hex8(name.length + 1, "namesize", n),
    hex8(0, "check", n),
  ];
  const head = new TextEncoder().encode(`070701${fields.join("")}`);
  const out = new Uint8Array(head.length + name.length + 1 + pad4(head.length + name.length + 1));
  out.set(head, 0);
  out.set(name, head.length);
  return out;
}

function toRecord(entry: CpioEntry, name: string): Record {
  switch (entry.type) {
    case "dir":
      return {
        name,
        mode: S_IFDIR | checkMode(entry.mode, name),
        nlink: 2,
        data: new Uint8Array(0),
        rdevMajor: 0,
        rdevMinor: 0,
      };
    case "file":
      return {
        name,
        mode: S_IFREG | checkMode(entry.mode, name),
        nlink: 1,
        data: entry.data,
        rdevMajor: 0,
        rdevMinor: 0,
      };
    case "symlink":
      if (entry.target === "") throw new ImageError("BadInput", `cpio: symlink ${name} has an empty target`);
      return {
        name,
        mode: S_IFLNK | 0o777,
        nlink: 1,
        data: new TextEncoder().encode(entry.target),
        rdevMajor: 0,
        rdevMinor: 0,
      };
    case "char":
    case "block":
      return {
        name,
        mode: (entry.type === "char" ? S_IFCHR : S_IFBLK) | checkMode(entry.mode, name),
        nlink: 1,
        data: new Uint8Array(0),
        rdevMajor: entry.major,
        rdevMinor: entry.minor,
      };
  }
}

/**
 * Serialises the entries into newc chunks (concatenate them, or hand them to a Blob, to get the
 * archive). Throws ImageError(BadInput) on duplicate paths, bad modes, or a file whose parent is
 * not a directory.
 */
export function writeCpio(entries: readonly CpioEntry[], options: CpioOptions): Uint8Array[] {
  const byName = new Map<string, CpioEntry>();
  for (const entry of entries) {
    const name = normalizeCpioPath(entry.path);
    if (byName.has(name)) throw new ImageError("BadInput", `cpio: duplicate path ${name}`);
    byName.set(name, entry);
  }
  for (const name of [...byName.keys()]) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const existing = byName.get(parent);
      if (existing === undefined) byName.set(parent, { type: "dir", path: parent, mode: 0o755 });
      else if (existing.type !== "dir") {
        throw new ImageError(
          "BadInput",
          `cpio: ${name} needs ${parent} to be a directory, it is a ${existing.type}`,
        );
      }
    }
  }
  const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const chunks: Uint8Array[] = [];
  let ino = 1;
  for (const name of names) {
    const record = toRecord(byName.get(name) as CpioEntry, name);
    chunks.push(header(record, ino++, options.mtime));
    if (record.data.length > 0) {
      chunks.push(record.data);
      const padding = pad4(record.data.length);
      if (padding > 0) chunks.push(new Uint8Array(padding));
    }
  }
  const trailer: Record = {
    name: TRAILER,
    mode: 0,
    nlink: 1,
    data: new Uint8Array(0),
    rdevMajor: 0,
    rdevMinor: 0,
  };
  chunks.push(header(trailer, 0, 0));
  return chunks;
}

/** The archive as one buffer (for small archives and tests). */
export function cpioBytes(entries: readonly CpioEntry[], options: CpioOptions): Uint8Array {
  const chunks = writeCpio(entries, options);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
