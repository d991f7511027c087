// A streaming tar reader (ustar, PAX and GNU long names): yields each entry's header and lets the
// caller stream its body without holding the archive in memory.
import { ContainerdError } from "./errors.ts";

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarHeader {
  path: string;
  type: TarEntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkName: string;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's bytes as they arrive. Read it before asking for the next entry, or it is skipped. */
  body(): AsyncGenerator<Uint8Array>;
  /** The entry's bytes in one piece (for small entries). */
  bytes(): Promise<Uint8Array>;
}

const BLOCK = 512;
const decoder = new TextDecoder();

function bad(detail: string): ContainerdError {
  return new ContainerdError("InvalidArgument", "read tarball", detail);
}

/** Pull-based reader over an async byte source that counts its position. */
class ByteStream {
  private buf: Uint8Array = new Uint8Array(0);
  private done = false;
  position = 0;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    return true;
  }

  /** Exactly n bytes, or undefined at a clean end of input (nothing read); throws when cut short. */
  async exact(n: number, what: string): Promise<Uint8Array | undefined> {
    while (this.buf.length < n) {
      if (!(await this.fill())) {
        if (this.buf.length === 0) return undefined;
        throw bad(`archive is truncated in ${what} at byte ${this.position + this.buf.length}`);
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.position += n;
    return out;
  }

  /** Streams exactly n bytes in the pieces they arrive in. */
  async *pieces(n: number, what: string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill()))
        throw bad(`archive is truncated in ${what}: ${n - left} of ${n} bytes at byte ${this.position}`);
      const take = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      this.position += take;
      left -= take;
      yield out;
    }
  }
}

function str(block: Uint8Array, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const nul = field.indexOf(0);
  return decoder.decode(nul === -1 ? field : field.subarray(0, nul));
}

function num(block: Uint8Array, offset: number, width: number, what: string, at: number): number {
  const field = block.subarray(offset, offset + width);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    // GNU base-256
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] ?? 0);
    return v;
  }
  const s = str(block, offset, width).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s))
    throw bad(`header at byte ${at} has a malformed ${what} field ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const space = rest.indexOf(" ");
    const len = Number.parseInt(rest.slice(0, space), 10);
    if (space <= 0 || !Number.isFinite(len) || len <= 0) break;
    const record = Buffer.from(rest).subarray(0, len).toString();
    const kv = record.slice(space + 1, record.endsWith("\n") ? -1 : undefined);
    const eq = kv.indexOf("=");
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
    rest = Buffer.from(rest).subarray(len).toString();
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "5": "directory",
};

/** Reads a tar archive entry by entry. Throws InvalidArgument naming the byte where it is corrupt. */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const input = new ByteStream(source[Symbol.asyncIterator]());
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let entries = 0;
  for (;;) {
    const at = input.position;
    const block = await input.exact(BLOCK, "a header");
    if (!block) {
      if (entries === 0 && at === 0) throw bad("archive is empty");
      return;
    }
    if (block.every((b) => b === 0)) return;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
    const storedText = str(block, 148, 8).trim();
    const stored = /^[0-7]+$/.test(storedText) ? Number.parseInt(storedText, 8) : Number.NaN;
    if (stored !== sum) throw bad(`not a tar archive, or corrupt: bad header checksum at byte ${at}`);
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = num(block, 124, 12, "size", at);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      const data = await input.exact(padded, "an extended header");
      if (!data) throw bad(`archive is truncated after the extended header at byte ${at}`);
      const text = decoder.decode(data.subarray(0, size));
      if (flag === "x") pax = { ...pax, ...parsePax(text) };
      else if (flag === "L") longName = text.replace(/\0+$/, "");
      else if (flag === "K") longLink = text.replace(/\0+$/, "");
      continue;
    }
    const magic = str(block, 257, 6);
    const prefix = magic.startsWith("ustar") ? str(block, 345, 155) : "";
    const rawName = str(block, 0, 100);
    const path = pax.path ?? longName ?? (prefix ? `${prefix}/${rawName}` : rawName);
    const header: TarHeader = {
      path,
      type: TYPES[flag] ?? "other",
      size: pax.size !== undefined ? Number(pax.size) : size,
      mode: num(block, 100, 8, "mode", at),
      uid: num(block, 108, 8, "uid", at),
      gid: num(block, 116, 8, "gid", at),
      mtime: num(block, 136, 12, "mtime", at),
      linkName: pax.linkpath ?? longLink ?? str(block, 157, 100),
    };
    pax = {};
    longName = undefined;
    longLink = undefined;
    entries++;
    const bodySize = header.size;
    let left = Math.ceil(bodySize / BLOCK) * BLOCK; // body and padding not read yet
    let started = false;
    const what = `entry ${JSON.stringify(path)}`;
    const body = async function* (): AsyncGenerator<Uint8Array> {
      if (started) throw new Error(`tar: the body of ${path} was read already`);
      started = true;
      let data = bodySize;
      for await (const piece of input.pieces(left, what)) {
        left -= piece.length;
        const useful = Math.min(data, piece.length);
        data -= useful;
        if (useful > 0) yield piece.subarray(0, useful);
      }
    };
    yield {
      header,
      body,
      async bytes() {
        const parts: Uint8Array[] = [];
        for await (const p of body()) parts.push(p.slice());
        return Buffer.concat(parts);
      },
    };
    // Skip whatever the caller left unread (all of it, or the rest of an abandoned body).
    if (left > 0) for await (const piece of input.pieces(left, what)) left -= piece.length;
  }
}
