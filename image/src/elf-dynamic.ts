import { ImageError } from "./image-error.ts";

/** What the dynamic loader needs to run an ELF file. */
export interface ElfDynamicInfo {
  /** PT_INTERP, e.g. `/lib64/ld-linux-x86-64.so.2`; undefined for static executables. */
  readonly interpreter: string | undefined;
  /** DT_NEEDED entries in file order, e.g. `["libseccomp.so.2", "libc.so.6"]`. */
  readonly needed: readonly string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;

/**
 * Reads PT_INTERP and the DT_NEEDED list of a little-endian ELF64 file. `source` names the file in
 * errors. Throws ImageError(ParseError) for anything that is not a well-formed ELF64 LE file.
 */
export function readElfDynamic(bytes: Uint8Array, source: string): ElfDynamicInfo {
  const fail = (why: string): never => {
    throw new ImageError("ParseError", `${source}: ${why}`);
  };
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail("not an ELF file");
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) fail("not a little-endian ELF64 file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number) => {
    if (at + 8 > bytes.length) fail(`truncated at offset ${at}`);
    return view.getBigUint64(at, true);
  };
  const phoff = Number(u64(32));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize < 56 || phoff + phentsize * phnum > bytes.length) fail("program headers out of bounds");

  const loads: Array<{ vaddr: bigint; offset: bigint; filesz: bigint }> = [];
  let interpreter: string | undefined;
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const type = view.getUint32(at, true);
    const offset = u64(at + 8);
    const vaddr = u64(at + 16);
    const filesz = u64(at + 32);
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_INTERP) {
      const start = Number(offset);
      const end = bytes.indexOf(0, start);
      if (end < 0 || end > start + Number(filesz)) fail("PT_INTERP is not NUL-terminated");
      interpreter = new TextDecoder().decode(bytes.subarray(start, end));
    } else if (type === PT_DYNAMIC) dynamic = { offset: Number(offset), size: Number(filesz) };
  }
  if (dynamic === undefined) return { interpreter, needed: [] };

  const neededOffsets: bigint[] = [];
  let strtab: bigint | undefined;
  for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
    const tag = u64(at);
    const value = u64(at + 8);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) neededOffsets.push(value);
    else if (tag === DT_STRTAB) strtab = value;
  }
  if (neededOffsets.length === 0) return { interpreter, needed: [] };
  if (strtab === undefined) return fail("DT_NEEDED without DT_STRTAB");
  const segment = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (segment === undefined) return fail("DT_STRTAB is outside every PT_LOAD segment");
  const strtabOffset = Number(strtab - segment.vaddr + segment.offset);
  const needed = neededOffsets.map((o) => {
    const start = strtabOffset + Number(o);
    const end = bytes.indexOf(0, start);
    if (end < 0) fail(`DT_NEEDED string at ${start} is not NUL-terminated`);
    return new TextDecoder().decode(bytes.subarray(start, end));
  });
  return { interpreter, needed };
}
