// A snapshot file as `etcdctl snapshot save` (and `osctl etcd snapshot`) writes it: etcd's bbolt
// database followed by the SHA-256 of the database (32 bytes). Restoring one means a new member
// starting a new cluster on that database. etcd 3.4 does that by itself when it finds a database and
// no write-ahead log, with one catch that `etcdctl snapshot restore` also handles: the database
// remembers the last raft index the old cluster applied to it (`consistent_index` in its `meta`
// bucket), and the new cluster's raft log starts again at 1, so every write until the new log passed
// the old index would be acknowledged and not applied. `restoreDatabase` copies the database out of
// the snapshot and sets that index to 0, in place: the value keeps its 8 bytes, so only those bytes
// of one page change (bbolt checksums its meta pages only).
//
// The bbolt layout read here (go.etcd.io/bbolt, little-endian on every platform etcd ships for):
//   page:          id u64 · flags u16 · count u16 · overflow u32 · elements…
//   meta (0, 1):   magic u32 · version u32 · pageSize u32 · flags u32 · root bucket (root u64,
//                  sequence u64) · freelist u64 · pgid u64 · txid u64 · checksum u64 (FNV-1a 64)
//   branch elem:   pos u32 · ksize u32 · pgid u64     (key at the element's address + pos)
//   leaf elem:     flags u32 · pos u32 · ksize u32 · vsize u32 (value right after the key)
//   bucket value:  root u64 · sequence u64, then an inline page when root is 0
import { createHash } from "node:crypto";
import { closeSync, createReadStream, ftruncateSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { copyFile } from "node:fs/promises";

export const SNAPSHOT_HASH_BYTES = 32;
const BOLT_MAGIC = 0xed0cdaed;
const PAGE_HEADER = 16;
const ELEMENT = 16;
const BRANCH = 0x01;
const LEAF = 0x02;
const BUCKET_LEAF = 0x01;

export class SnapshotFileError extends Error {
  override readonly name = "SnapshotFileError";
}

/** Refuses a size that cannot be a database (a multiple of 512, at least its two meta pages) and its hash. */
function checkSize(bytes: number): void {
  // etcd's database grows in pages (multiples of 4096): a hash is there when 32 bytes are left over.
  if (bytes < 2 * 4096 + SNAPSHOT_HASH_BYTES || bytes % 512 !== SNAPSHOT_HASH_BYTES)
    throw new SnapshotFileError(
      `not an etcd snapshot: ${bytes} bytes is not a database followed by its SHA-256 (etcdctl snapshot save writes one)`,
    );
}

/**
 * Hashes a snapshot as its bytes go by (written, uploaded, read): the SHA-256 of all but the last 32
 * bytes (the database), and those 32 (etcd's own SHA-256 of it). `check` then says whether they match,
 * with no second read of the file.
 */
export class SnapshotHasher {
  readonly #db = createHash("sha256");
  /** The last bytes seen (at most 32): the trailer, once the stream ends. */
  #tail = Buffer.alloc(0);
  bytes = 0;

  update(piece: Uint8Array): void {
    this.bytes += piece.length;
    if (piece.length >= SNAPSHOT_HASH_BYTES) {
      if (this.#tail.length > 0) this.#db.update(this.#tail);
      this.#db.update(piece.subarray(0, piece.length - SNAPSHOT_HASH_BYTES));
      this.#tail = Buffer.from(piece.subarray(piece.length - SNAPSHOT_HASH_BYTES));
      return;
    }
    const joined = Buffer.concat([this.#tail, piece]);
    const spill = Math.max(0, joined.length - SNAPSHOT_HASH_BYTES);
    if (spill > 0) this.#db.update(joined.subarray(0, spill));
    this.#tail = joined.subarray(spill);
  }

  /** The database's size and SHA-256 when the bytes were a whole snapshot; else a SnapshotFileError. */
  check(): { dbBytes: number; sha256: string } {
    checkSize(this.bytes);
    const digest = this.#db.digest();
    if (!digest.equals(this.#tail))
      throw new SnapshotFileError(
        `the snapshot's SHA-256 does not match its database (the file is damaged or cut short): computed ${digest.toString("hex")}, recorded ${this.#tail.toString("hex")}`,
      );
    return { dbBytes: this.bytes - SNAPSHOT_HASH_BYTES, sha256: digest.toString("hex") };
  }
}

/**
 * Checks a snapshot file whose bytes `hasher` saw as they were written: etcd's SHA-256 matches, the
 * file has the size hashed, and it holds a bbolt database. Else a SnapshotFileError.
 */
export function checkWrittenSnapshot(
  path: string,
  hasher: SnapshotHasher,
): { dbBytes: number; sha256: string } {
  const result = hasher.check();
  const size = statSync(path).size;
  if (size !== hasher.bytes)
    throw new SnapshotFileError(`the file holds ${size} bytes where ${hasher.bytes} were written`);
  const fd = openSync(path, "r");
  try {
    readMeta(fd); // and a bbolt database
  } finally {
    closeSync(fd);
  }
  return result;
}

/** The database's size and SHA-256 when the file is a whole snapshot; else a SnapshotFileError. */
export async function verifySnapshotFile(path: string): Promise<{ dbBytes: number; sha256: string }> {
  checkSize(statSync(path).size); // refused before it is read
  const hasher = new SnapshotHasher();
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
  return checkWrittenSnapshot(path, hasher);
}

function fnv1a64(bytes: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

interface Meta {
  pageSize: number;
  root: bigint;
  txid: bigint;
}

function read(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  if (n !== length) throw new SnapshotFileError(`the database is cut short at byte ${offset + n}`);
  return buf;
}

/** The newer of the two valid meta pages. */
function readMeta(fd: number): Meta {
  const first = read(fd, 0, 4096);
  const pageSize = first.readUInt32LE(PAGE_HEADER + 8);
  if (first.readUInt32LE(PAGE_HEADER) !== BOLT_MAGIC || pageSize < 512 || pageSize > 65536)
    throw new SnapshotFileError("not an etcd snapshot: the file is not a bbolt database");
  const metas: Meta[] = [];
  for (const page of [0, 1]) {
    const m = read(fd, page * pageSize + PAGE_HEADER, 64);
    if (m.readUInt32LE(0) !== BOLT_MAGIC || fnv1a64(m.subarray(0, 56)) !== m.readBigUInt64LE(56)) continue;
    metas.push({ pageSize: m.readUInt32LE(8), root: m.readBigUInt64LE(16), txid: m.readBigUInt64LE(48) });
  }
  const meta = metas.sort((a, b) => (a.txid > b.txid ? -1 : 1))[0];
  if (meta === undefined) throw new SnapshotFileError("the database's meta pages are both damaged");
  return meta;
}

/** A page (or an inline page) as bytes, with the file offset its first byte sits at. */
interface Page {
  bytes: Buffer;
  offset: number;
}

function readPage(fd: number, pageSize: number, id: bigint): Page {
  const offset = Number(id) * pageSize;
  const header = read(fd, offset, PAGE_HEADER);
  const overflow = header.readUInt32LE(12);
  return { bytes: read(fd, offset, (overflow + 1) * pageSize), offset };
}

/** The value of `key` in the B+tree rooted at `page`, with its file offset and the leaf flags. */
function find(
  fd: number,
  pageSize: number,
  page: Page,
  key: Buffer,
): { value: Buffer; offset: number; flags: number } | undefined {
  for (let depth = 0; depth < 64; depth++) {
    const { bytes } = page;
    const flags = bytes.readUInt16LE(8);
    const count = bytes.readUInt16LE(10);
    if (flags & LEAF) {
      for (let i = 0; i < count; i++) {
        const at = PAGE_HEADER + i * ELEMENT;
        const pos = bytes.readUInt32LE(at + 4);
        const ksize = bytes.readUInt32LE(at + 8);
        const vsize = bytes.readUInt32LE(at + 12);
        const k = bytes.subarray(at + pos, at + pos + ksize);
        if (!k.equals(key)) continue;
        const v = at + pos + ksize;
        return {
          value: bytes.subarray(v, v + vsize),
          offset: page.offset + v,
          flags: bytes.readUInt32LE(at),
        };
      }
      return undefined;
    }
    if (!(flags & BRANCH))
      throw new SnapshotFileError(`database page at byte ${page.offset} is neither branch nor leaf`);
    // the last element whose key is not greater than the one looked for
    let child: bigint | undefined;
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER + i * ELEMENT;
      const pos = bytes.readUInt32LE(at);
      const ksize = bytes.readUInt32LE(at + 4);
      if (Buffer.compare(bytes.subarray(at + pos, at + pos + ksize), key) > 0) break;
      child = bytes.readBigUInt64LE(at + 8);
    }
    if (child === undefined) return undefined;
    page = readPage(fd, pageSize, child);
  }
  throw new SnapshotFileError("the database's tree is deeper than any etcd writes");
}

/** The root page of a bucket, from its value in the parent (inline when its root is 0). */
function bucketPage(fd: number, pageSize: number, value: Buffer, offset: number): Page {
  const root = value.readBigUInt64LE(0);
  return root === 0n ? { bytes: value.subarray(16), offset: offset + 16 } : readPage(fd, pageSize, root);
}

/** The file offset of the 8-byte `consistent_index` value in the `meta` bucket. */
function consistentIndexOffset(fd: number): number {
  const meta = readMeta(fd);
  const root = readPage(fd, meta.pageSize, meta.root);
  const bucket = find(fd, meta.pageSize, root, Buffer.from("meta"));
  if (bucket === undefined || !(bucket.flags & BUCKET_LEAF))
    throw new SnapshotFileError("not an etcd database: it has no meta bucket");
  const page = bucketPage(fd, meta.pageSize, bucket.value, bucket.offset);
  const index = find(fd, meta.pageSize, page, Buffer.from("consistent_index"));
  if (index === undefined || index.value.length !== 8)
    throw new SnapshotFileError("not an etcd database: its meta bucket has no consistent_index");
  return index.offset;
}

/** The raft index the database was last applied at (big-endian, as etcd stores it). */
export function consistentIndex(dbPath: string): bigint {
  const fd = openSync(dbPath, "r");
  try {
    return read(fd, consistentIndexOffset(fd), 8).readBigUInt64BE(0);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the database of a verified snapshot to `dbPath` (a new member's `member/snap/db`), ready for
 * etcd to start a new cluster on: the hash trailer dropped, the consistent index set to 0. The copy
 * (up to gigabytes) runs off the caller's event loop; the rest reads a few pages and writes 8 bytes.
 */
export async function restoreDatabase(snapshotPath: string, dbPath: string, dbBytes: number): Promise<void> {
  await copyFile(snapshotPath, dbPath);
  const fd = openSync(dbPath, "r+");
  try {
    ftruncateSync(fd, dbBytes);
    writeSync(fd, Buffer.alloc(8), 0, 8, consistentIndexOffset(fd));
  } finally {
    closeSync(fd);
  }
}
