// A minimal deterministic tar writer (ustar, with PAX records for long names): enough for image
// layers and OCI layout archives. Entries are written in the order given; callers sort them.
export interface TarWriteEntry {
  path: string;
  type: "file" | "directory" | "symlink";
  /** Permission bits (default 0o644 for files, 0o755 for directories, 0o777 for symlinks). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (default 0: reproducible archives). */
  mtime?: number;
  /** Symlink target. */
  linkName?: string;
  /** File contents. */
  data?: Uint8Array;
}

const BLOCK = 512;
const encoder = new TextEncoder();

function octal(value: number, width: number): string {
  const s = value.toString(8);
  if (s.length > width - 1) throw new RangeError(`tar: ${value} does not fit in a ${width}-byte field`);
  return `${s.padStart(width - 1, "0")}\0`;
}

function put(block: Uint8Array, offset: number, width: number, value: string | Uint8Array): void {
  const bytes = typeof value === "string" ? encoder.encode(value) : value;
  if (bytes.length > width)
    throw new RangeError(`tar: field at ${offset} overflows (${bytes.length} > ${width})`);
  block.set(bytes, offset);
}

/** Splits a long path into ustar prefix and name, or returns undefined when it cannot. */
function splitUstar(path: Uint8Array): { prefix: Uint8Array; name: Uint8Array } | undefined {
  if (path.length <= 100) return { prefix: new Uint8Array(0), name: path };
  for (let i = Math.min(path.length - 1, 155); i > 0; i--) {
    if (path[i] === 0x2f && path.length - i - 1 <= 100 && path.length - i - 1 > 0)
      return { prefix: path.subarray(0, i), name: path.subarray(i + 1) };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
  return `${len}${body}`;
}

function header(fields: {
  name: Uint8Array;
  prefix: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkName: Uint8Array;
}): Uint8Array {
  const h = new Uint8Array(BLOCK);
  put(h, 0, 100, fields.name);
  put(h, 100, 8, octal(fields.mode, 8));
  put(h, 108, 8, octal(fields.uid, 8));
  put(h, 116, 8, octal(fields.gid, 8));
  put(h, 124, 12, octal(fields.size, 12));
  put(h, 136, 12, octal(fields.mtime, 12));
  put(h, 148, 8, "        ");
  put(h, 156, 1, fields.typeflag);
  put(h, 157, 100, fields.linkName);
  put(h, 257, 6, "ustar\0");
  put(h, 263, 2, "00");
  put(h, 329, 8, octal(0, 8));
  put(h, 337, 8, octal(0, 8));
  put(h, 345, 155, fields.prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

/** Serialises entries into a tar archive (a list of chunks; concatenate or stream them). */
export function writeTar(entries: Iterable<TarWriteEntry>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of entries) {
    const path = e.type === "directory" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
    if (path === "" || path === "/") throw new Error("tar: an entry needs a path");
    const data = e.type === "file" ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
    const pathBytes = encoder.encode(path);
    const linkBytes = encoder.encode(e.linkName ?? "");
    if (e.type === "symlink" && linkBytes.length === 0) throw new Error(`tar: symlink ${path} has no target`);
    const pax: string[] = [];
    let split = splitUstar(pathBytes);
    if (!split) {
      pax.push(paxRecord("path", path));
      split = { prefix: new Uint8Array(0), name: pathBytes.subarray(0, 100) };
    }
    let link = linkBytes;
    if (linkBytes.length > 100) {
      pax.push(paxRecord("linkpath", e.linkName ?? ""));
      link = linkBytes.subarray(0, 100);
    }
    const mtime = e.mtime ?? 0;
    if (pax.length > 0) {
      const body = encoder.encode(pax.join(""));
      out.push(
        header({
          name: encoder.encode("././@PaxHeader"),
          prefix: new Uint8Array(0),
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: body.length,
          mtime,
          typeflag: "x",
          linkName: new Uint8Array(0),
        }),
        body,
        padding(body.length),
      );
    }
    const defaultMode = e.type === "directory" ? 0o755 : e.type === "symlink" ? 0o777 : 0o644;
    out.push(
      header({
        name: split.name,
        prefix: split.prefix,
        mode: e.mode ?? defaultMode,
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        size: data.length,
        mtime,
        typeflag: e.type === "file" ? "0" : e.type === "directory" ? "5" : "2",
        linkName: link,
      }),
    );
    if (data.length > 0) out.push(data, padding(data.length));
  }
  out.push(new Uint8Array(2 * BLOCK));
  return out;
}
