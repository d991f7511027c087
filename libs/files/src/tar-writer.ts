/**
 * Writing tar archives: ustar (POSIX.1-1988) headers, with a PAX extended header ('x') first for whatever
 * ustar cannot hold (paths that do not fit its 100 + 155 bytes or are not ASCII, long or non-ASCII link
 * targets, sizes of 8 GiB and more, uids and gids past 0o7777777, times before 1970 or after 6000).
 * Deterministic: the same entries give the same bytes (layers and OCI archives are content-addressed).
 *
 * `tarHeader` + `tarPadding` + `TAR_END` stream an archive whose contents are read as they go (machined's
 * Copy); `writeTar` builds one from entries held in memory (image layers).
 */
import { FilesError } from "./files-error.ts";

export type TarEntryType = "file" | "directory" | "symlink";

/** What a header says about an entry; its content (files only) follows, `size` bytes, padded. */
export interface TarHeaderEntry {
  /** Path inside the archive, "/"-separated, without a leading "/"; directories may end with "/". */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits (st_mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content that follow (files only; 0 for the others). */
  readonly size: number;
  /** Modification time, UNIX seconds. */
  readonly mtime: number;
  /** Symlink target. */
  readonly linkName?: string;
}

/** An entry with its content in memory, for writeTar. */
export interface TarWriteEntry {
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits (default 0o644 for files, 0o755 for directories, 0o777 for symlinks). */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Seconds since the epoch (default 0: reproducible archives). */
  readonly mtime?: number;
  /** Symlink target. */
  readonly linkName?: string;
  /** File contents. */
  readonly data?: Uint8Array;
}

export const TAR_BLOCK = 512;
/** Two zero blocks end an archive. */
export const TAR_END = new Uint8Array(2 * TAR_BLOCK);

/** The largest values ustar's octal fields hold (11 digits for size and mtime, 7 for ids). */
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;
const PAX_HEADER_NAME = "././@PaxHeader";
const encoder = new TextEncoder();

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  block.set(encoder.encode(value).subarray(0, length), offset);
}

/** `value` in octal, zero-padded, NUL-terminated; the caller keeps it within the field (PAX otherwise). */
function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

/**
 * Splits a path into ustar's prefix (at most 155) and name (at most 100) at a "/", the prefix as long as
 * possible (as GNU tar does), or undefined when it cannot fit.
 */
function splitPath(path: string): { prefix: string; name: string } | undefined {
  if (path.length <= 100) return { prefix: "", name: path };
  for (let i = Math.min(path.length - 1, 155); i > 0; i--) {
    if (path[i] === "/" && path.length - i - 1 <= 100 && path.length - i - 1 > 0) {
      return { prefix: path.slice(0, i), name: path.slice(i + 1) };
    }
  }
  return undefined;
}

/** "len key=value\n" where len counts the whole record in bytes, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length++;
  return `${length}${body}`;
}

interface RawHeader {
  readonly name: string;
  readonly prefix: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkName: string;
}

function ustarBlock(fields: RawHeader): Uint8Array {
  const block = new Uint8Array(TAR_BLOCK);
  writeString(block, 0, 100, fields.name);
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.mtime);
  block.fill(0x20, 148, 156); // the checksum counts as spaces while it is computed
  writeString(block, 156, 1, fields.typeflag);
  writeString(block, 157, 100, fields.linkName);
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeOctal(block, 329, 8, 0); // devmajor
  writeOctal(block, 337, 8, 0); // devminor
  writeString(block, 345, 155, fields.prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

function checkNumber(path: string, what: string, value: number): void {
  if (!Number.isSafeInteger(value) || (what !== "mtime" && value < 0)) {
    throw new FilesError("BadTarEntry", `tar: ${what} of ${path} is not a whole number in range`);
  }
}

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** The header block(s) of an entry: a PAX header first when ustar cannot hold it. */
export function tarHeader(entry: TarHeaderEntry): Uint8Array {
  const path = entry.type === "directory" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  if (path === "" || path === "/") throw new FilesError("BadTarEntry", "tar: an entry needs a path");
  if (path.includes("\0")) throw new FilesError("BadTarEntry", "tar: a path contains a NUL byte");
  const link = entry.type === "symlink" ? (entry.linkName ?? "") : "";
  if (entry.type === "symlink" && link === "") {
    throw new FilesError("BadTarEntry", `tar: symlink ${path.slice(0, 200)} has no target`);
  }
  const size = entry.type === "file" ? entry.size : 0;
  const mtime = Math.trunc(entry.mtime);
  checkNumber(path, "size", size);
  checkNumber(path, "uid", entry.uid);
  checkNumber(path, "gid", entry.gid);
  checkNumber(path, "mtime", mtime);

  const pax: string[] = [];
  const split = isAscii(path) ? splitPath(path) : undefined;
  if (split === undefined) pax.push(paxRecord("path", path));
  const linkFits = link.length <= 100 && isAscii(link);
  if (!linkFits) pax.push(paxRecord("linkpath", link));
  if (size > MAX_OCTAL_11) pax.push(paxRecord("size", String(size)));
  if (entry.uid > MAX_OCTAL_7) pax.push(paxRecord("uid", String(entry.uid)));
  if (entry.gid > MAX_OCTAL_7) pax.push(paxRecord("gid", String(entry.gid)));
  if (mtime < 0 || mtime > MAX_OCTAL_11) pax.push(paxRecord("mtime", String(mtime)));

  const ustarMtime = Math.min(Math.max(mtime, 0), MAX_OCTAL_11);
  const main = ustarBlock({
    // When PAX holds the path, ustar's name is a readable stand-in for readers that ignore PAX.
    name: split?.name ?? path.slice(-100).replace(/[^\x20-\x7e]/g, "_"),
    prefix: split?.prefix ?? "",
    mode: entry.mode & 0o7777,
    uid: Math.min(entry.uid, MAX_OCTAL_7),
    gid: Math.min(entry.gid, MAX_OCTAL_7),
    size: Math.min(size, MAX_OCTAL_11),
    mtime: ustarMtime,
    typeflag: entry.type === "file" ? "0" : entry.type === "directory" ? "5" : "2",
    linkName: linkFits ? link : link.slice(0, 100).replace(/[^\x20-\x7e]/g, "_"),
  });
  if (pax.length === 0) return main;
  const data = encoder.encode(pax.join(""));
  const paxHeader = ustarBlock({
    name: PAX_HEADER_NAME,
    prefix: "",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: ustarMtime,
    typeflag: "x",
    linkName: "",
  });
  const out = new Uint8Array(TAR_BLOCK + data.length + tarPadding(data.length).length + TAR_BLOCK);
  out.set(paxHeader, 0);
  out.set(data, TAR_BLOCK);
  out.set(main, out.length - TAR_BLOCK);
  return out;
}

const DEFAULT_MODE: Readonly<Record<TarEntryType, number>> = {
  file: 0o644,
  directory: 0o755,
  symlink: 0o777,
};

/** Serialises entries, in the order given, into a tar archive (chunks: concatenate or stream them). */
export function writeTar(entries: Iterable<TarWriteEntry>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.type === "file" ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
    out.push(
      tarHeader({
        path: e.path,
        type: e.type,
        mode: e.mode ?? DEFAULT_MODE[e.type],
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        size: data.length,
        mtime: e.mtime ?? 0,
        linkName: e.linkName,
      }),
    );
    if (data.length > 0) out.push(data, tarPadding(data.length));
  }
  out.push(TAR_END);
  return out;
}
