// ustar (POSIX.1-1988) headers, with PAX extended headers ('x') for what ustar cannot hold: long
// paths and link targets, sizes of 8 GiB and more, non-ASCII names.

export type TarEntryType = "file" | "directory" | "symlink";

export interface TarEntry {
  /** Path inside the archive, "/"-separated, without a leading "/"; directories may end with "/". */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits (st_mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content that follow (files only). */
  readonly size: number;
  /** Modification time, UNIX seconds. */
  readonly mtime: number;
  /** Symlink target. */
  readonly linkTarget?: string;
}

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const TAR_END = new Uint8Array(2 * BLOCK);

const MAX_OCTAL_SIZE = 0o77777777777;
const encoder = new TextEncoder();

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  block.set(encoder.encode(value).subarray(0, length), offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(
    block,
    offset,
    length,
    `${Math.max(0, Math.trunc(value))
      .toString(8)
      .padStart(length - 1, "0")}\0`,
  );
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** Splits a path into ustar's prefix (155) and name (100) at a "/", or undefined if it cannot fit. */
function splitPath(path: string): { prefix: string; name: string } | undefined {
  if (path.length <= 100) return { prefix: "", name: path };
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { prefix, name };
  }
  return undefined;
}

function header(
  fields: Omit<TarEntry, "type" | "path"> & { typeflag: string; name: string; prefix: string },
): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, fields.name);
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeOctal(block, 124, 12, Math.min(fields.size, MAX_OCTAL_SIZE));
  writeOctal(block, 136, 12, fields.mtime);
  block.fill(0x20, 148, 156); // checksum counts as spaces while computing it
  writeString(block, 156, 1, fields.typeflag);
  writeString(block, 157, 100, fields.linkTarget ?? "");
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeString(block, 345, 155, fields.prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

/** "len key=value\n" where len counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length++;
  return `${length}${body}`;
}

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The header block(s) of an entry: a PAX header first when ustar cannot hold it. */
export function tarHeader(entry: TarEntry): Uint8Array {
  const path = entry.type === "directory" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  const typeflag = entry.type === "file" ? "0" : entry.type === "directory" ? "5" : "2";
  const size = entry.type === "file" ? entry.size : 0;
  const pax: string[] = [];
  const split = isAscii(path) ? splitPath(path) : undefined;
  if (split === undefined) pax.push(paxRecord("path", path));
  const link = entry.linkTarget ?? "";
  if (link.length > 100 || !isAscii(link)) pax.push(paxRecord("linkpath", link));
  if (size > MAX_OCTAL_SIZE) pax.push(paxRecord("size", String(size)));
  const main = header({
    ...entry,
    size,
    typeflag,
    name: split?.name ?? path.slice(-100).replace(/[^\x20-\x7e]/g, "_"),
    prefix: split?.prefix ?? "",
    linkTarget: link.length > 100 || !isAscii(link) ? "" : link,
  });
  if (pax.length === 0) return main;
  const data = encoder.encode(pax.join(""));
  const paxHeader = header({
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: entry.mtime,
    size: data.length,
    typeflag: "x",
    name: "PaxHeader",
    prefix: "",
  });
  const out = new Uint8Array(BLOCK + data.length + tarPadding(data.length).length + BLOCK);
  out.set(paxHeader, 0);
  out.set(data, BLOCK);
  out.set(main, out.length - BLOCK);
  return out;
}
