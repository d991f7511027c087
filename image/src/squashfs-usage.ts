import { inflateSync } from "node:zlib";
import { ImageError } from "./image-error.ts";

/**
 * Where a squashfs image's bytes go: the compressed data blocks of each regular file, the fragment
 * blocks (small files and the tail ends of large ones, packed together), and the metadata tables.
 * Read from the image itself (superblock, inode table, fragment table), so the figures are the
 * image's, not an estimate. Files are identified by inode number and uncompressed size (the
 * directory table is not read: callers match sizes to names, e.g. from `unsquashfs -lls`).
 */
export interface SquashfsUsage {
  readonly bytesUsed: number;
  readonly blockSize: number;
  readonly compressor: string;
  readonly files: readonly SquashfsFileUsage[];
  /** Compressed bytes of all fragment blocks. */
  readonly fragmentBytes: number;
  /** Everything else: superblock, inode, directory, fragment, id and export tables. */
  readonly metadataBytes: number;
}

export interface SquashfsFileUsage {
  readonly inode: number;
  /** Uncompressed size. */
  readonly size: number;
  /** Bytes of its data blocks as stored (compressed, or raw when that was smaller). */
  readonly blockBytes: number;
  /** Whether its tail end lives in a fragment block. */
  readonly fragment: boolean;
  /**
   * Its share of the fragment block holding its tail end: that block's stored bytes times the
   * tail's part of the block's uncompressed bytes (0 without a fragment, or for a duplicate).
   */
  readonly fragmentShare: number;
  /** Its blocks are another file's (mksquashfs stores identical files once): not counted twice. */
  readonly duplicate: boolean;
}

const MAGIC = 0x73717368;
const COMPRESSORS: Record<number, string> = { 1: "gzip", 2: "lzma", 3: "lzo", 4: "xz", 5: "lz4", 6: "zstd" };
const NO_FRAGMENT = 0xffffffff;
const UNCOMPRESSED_BLOCK = 1 << 24;
const METADATA_UNCOMPRESSED = 0x8000;

function bad(message: string): never {
  throw new ImageError("BadInput", `squashfs: ${message}`);
}

function decompressor(name: string): (data: Uint8Array) => Uint8Array {
  if (name === "zstd") return (d) => Bun.zstdDecompressSync(d);
  if (name === "gzip") return (d) => inflateSync(d);
  return () => bad(`cannot read ${name}-compressed metadata (zstd and gzip only)`);
}

/** Decompresses the metadata blocks in [start, end) into one buffer. */
function readMetadata(
  image: Uint8Array,
  start: number,
  end: number,
  decompress: (d: Uint8Array) => Uint8Array,
) {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const parts: Uint8Array[] = [];
  let offset = start;
  while (offset < end) {
    if (offset + 2 > image.length) bad(`metadata block header at ${offset} is past the end of the image`);
    const header = view.getUint16(offset, true);
    const length = header & 0x7fff;
    const data = image.subarray(offset + 2, offset + 2 + length);
    if (data.length !== length) bad(`metadata block at ${offset} is truncated`);
    parts.push(header & METADATA_UNCOMPRESSED ? data : decompress(data));
    offset += 2 + length;
  }
  return Buffer.concat(parts);
}

function fileBlocks(size: number, blockSize: number, fragment: boolean): number {
  return fragment ? Math.floor(size / blockSize) : Math.ceil(size / blockSize);
}

/** Parses a squashfs 4.0 image (little-endian, as mksquashfs writes on x86). */
export function squashfsUsage(image: Uint8Array): SquashfsUsage {
  if (image.length < 96) bad(`${image.length} bytes is too short for a superblock`);
  const sb = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (sb.getUint32(0, true) !== MAGIC) bad("no squashfs magic (hsqs) at offset 0");
  const major = sb.getUint16(28, true);
  if (major !== 4) bad(`version ${major}.x is not supported (4.0 only)`);
  const inodeCount = sb.getUint32(4, true);
  const blockSize = sb.getUint32(12, true);
  const fragmentCount = sb.getUint32(16, true);
  const compressor = COMPRESSORS[sb.getUint16(20, true)] ?? `compressor ${sb.getUint16(20, true)}`;
  const bytesUsed = Number(sb.getBigUint64(40, true));
  const inodeTable = Number(sb.getBigUint64(64, true));
  const directoryTable = Number(sb.getBigUint64(72, true));
  const fragmentTable = sb.getBigUint64(80, true);
  const decompress = decompressor(compressor);

  const inodes = readMetadata(image, inodeTable, directoryTable, decompress);
  const v = new DataView(inodes.buffer, inodes.byteOffset, inodes.byteLength);
  const files: Array<Omit<SquashfsFileUsage, "fragmentShare"> & { fragmentIndex: number }> = [];
  let dataBytes = 0;
  const starts = new Set<number>();
  const tails = new Set<string>();
  const addFile = (inode: number, size: number, start: number, blockBytes: number, fragmentIndex: number) => {
    const fragment = fragmentIndex !== NO_FRAGMENT;
    // Identical files share their blocks, or their fragment (index and offset) when they have no block.
    const duplicate = blockBytes > 0 ? starts.has(start) : fragment && tails.has(`${fragmentIndex}:${start}`);
    if (blockBytes > 0) starts.add(start);
    else if (fragment) tails.add(`${fragmentIndex}:${start}`);
    if (!duplicate) dataBytes += blockBytes;
    files.push({ inode, size, blockBytes, fragment, duplicate, fragmentIndex });
  };
  let p = 0;
  const blockList = (at: number, count: number) => {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += v.getUint32(at + 4 * i, true) & (UNCOMPRESSED_BLOCK - 1);
    return sum;
  };
  for (let n = 0; n < inodeCount; n++) {
    if (p + 16 > inodes.length) bad(`inode ${n + 1} of ${inodeCount} is past the end of the inode table`);
    const type = v.getUint16(p, true);
    const inode = v.getUint32(p + 12, true);
    const body = p + 16;
    switch (type) {
      case 1: // directory
        p = body + 16;
        break;
      case 2: {
        // regular file
        const fragmentIndex = v.getUint32(body + 4, true);
        const size = v.getUint32(body + 12, true);
        const count = fileBlocks(size, blockSize, fragmentIndex !== NO_FRAGMENT);
        const blocks = blockList(body + 16, count);
        const start = blocks > 0 ? v.getUint32(body, true) : v.getUint32(body + 8, true);
        addFile(inode, size, start, blocks, fragmentIndex);
        p = body + 16 + 4 * count;
        break;
      }
      case 3: // symlink
      case 10: {
        const length = v.getUint32(body + 4, true);
        p = body + 8 + length + (type === 10 ? 4 : 0);
        break;
      }
      case 4: // block and character devices
      case 5:
        p = body + 8;
        break;
      case 6: // fifo, socket
      case 7:
        p = body + 4;
        break;
      case 8: {
        // extended directory: its index entries follow
        const indexCount = v.getUint16(body + 16, true);
        p = body + 24;
        for (let i = 0; i < indexCount; i++) p += 12 + v.getUint32(p + 8, true) + 1;
        break;
      }
      case 9: {
        // extended regular file
        const size = Number(v.getBigUint64(body + 8, true));
        const fragmentIndex = v.getUint32(body + 28, true);
        const count = fileBlocks(size, blockSize, fragmentIndex !== NO_FRAGMENT);
        const blocks = blockList(body + 40, count);
        const start = blocks > 0 ? Number(v.getBigUint64(body, true)) : v.getUint32(body + 32, true);
        addFile(inode, size, start, blocks, fragmentIndex);
        p = body + 40 + 4 * count;
        break;
      }
      case 11:
      case 12:
        p = body + 12;
        break;
      case 13:
      case 14:
        p = body + 8;
        break;
      default:
        bad(`inode ${n + 1} has unknown type ${type}`);
    }
  }

  const fragmentSizes: number[] = [];
  if (fragmentCount > 0 && fragmentTable !== 0xffffffffffffffffn) {
    // The fragment table: an index of u64 pointers to metadata blocks of 16-byte entries.
    const indexCount = Math.ceil((fragmentCount * 16) / 8192);
    const index = Number(fragmentTable);
    for (let i = 0; i < indexCount; i++) {
      const block = Number(sb.getBigUint64(index + 8 * i, true));
      const entries = readMetadata(image, block, block + 1, decompress);
      const e = new DataView(entries.buffer, entries.byteOffset, entries.byteLength);
      for (let off = 0; off + 16 <= entries.length && fragmentSizes.length < fragmentCount; off += 16)
        fragmentSizes.push(e.getUint32(off + 8, true) & (UNCOMPRESSED_BLOCK - 1));
    }
  }
  const fragmentBytes = fragmentSizes.reduce((n, b) => n + b, 0);
  // Each fragment block's stored bytes, shared out by the uncompressed tail bytes it holds.
  const tail = (f: (typeof files)[number]) => (f.fragment && !f.duplicate ? f.size % blockSize : 0);
  const tailTotals = new Map<number, number>();
  for (const f of files) tailTotals.set(f.fragmentIndex, (tailTotals.get(f.fragmentIndex) ?? 0) + tail(f));
  const shared = files.map(({ fragmentIndex, ...f }): SquashfsFileUsage => {
    const total = tailTotals.get(fragmentIndex) ?? 0;
    const stored = fragmentSizes[fragmentIndex] ?? 0;
    return { ...f, fragmentShare: total > 0 ? (stored * tail({ fragmentIndex, ...f })) / total : 0 };
  });
  return {
    bytesUsed,
    blockSize,
    compressor,
    files: shared,
    fragmentBytes,
    metadataBytes: bytesUsed - dataBytes - fragmentBytes,
  };
}
