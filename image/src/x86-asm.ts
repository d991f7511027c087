import { ImageError } from "./image-error.ts";

/**
 * A very small x86-64 assembler for the syscall-only programs of the initramfs: the instructions
 * below, labels in code and data, rip-relative addressing, and a static ELF64 executable around it
 * (one R+X PT_LOAD at `base`, code right after the headers, data after the code).
 */
export type Reg = "rax" | "rcx" | "rdx" | "rbx" | "rsi" | "rdi" | "r8" | "r10" | "r12" | "r13";

const REG: Readonly<Record<Reg, number>> = {
  rax: 0,
  rcx: 1,
  rdx: 2,
  rbx: 3,
  rsi: 6,
  rdi: 7,
  r8: 8,
  r10: 10,
  r12: 12,
  r13: 13,
};

type Item =
  | { readonly kind: "bytes"; readonly bytes: readonly number[] }
  | { readonly kind: "rel32"; readonly bytes: readonly number[]; readonly label: string }
  | { readonly kind: "label"; readonly name: string };

type DataItem =
  | { readonly kind: "bytes"; readonly label: string; readonly bytes: Uint8Array }
  | { readonly kind: "pointers"; readonly label: string; readonly targets: readonly string[] };

function imm32(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new ImageError("BadInput", `x86-asm: immediate ${value} does not fit in 32 bits`);
  }
  const v = value >>> 0;
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

export const ELF_BASE = 0x400000;

export class Asm {
  private readonly code: Item[] = [];
  private readonly data: DataItem[] = [];
  private readonly names = new Set<string>();

  private define(name: string): void {
    if (this.names.has(name)) throw new ImageError("BadInput", `x86-asm: label ${name} defined twice`);
    this.names.add(name);
  }

  /** A code label at the current position. */
  label(name: string): this {
    this.define(name);
    this.code.push({ kind: "label", name });
    return this;
  }

  /** lea reg, [rip + label] */
  leaRip(reg: Reg, label: string): this {
    const r = REG[reg];
    this.code.push({ kind: "rel32", bytes: [0x48 | (r >= 8 ? 4 : 0), 0x8d, ((r & 7) << 3) | 5], label });
    return this;
  }

  /** mov reg32, imm32 (zero-extends into the 64-bit register). */
  movImm(reg: Reg, value: number): this {
    const r = REG[reg];
    const bytes = r >= 8 ? [0x41, 0xb8 + (r & 7), ...imm32(value)] : [0xb8 + r, ...imm32(value)];
    this.code.push({ kind: "bytes", bytes });
    return this;
  }

  /** mov dst, src (64-bit). */
  movReg(dst: Reg, src: Reg): this {
    const d = REG[dst];
    const s = REG[src];
    this.code.push({
      kind: "bytes",
      bytes: [0x48 | (s >= 8 ? 4 : 0) | (d >= 8 ? 1 : 0), 0x89, 0xc0 | ((s & 7) << 3) | (d & 7)],
    });
    return this;
  }

  /** xor reg32, reg32 (zeroes the register). */
  zero(reg: Reg): this {
    const r = REG[reg];
    const modrm = 0xc0 | ((r & 7) << 3) | (r & 7);
    this.code.push({ kind: "bytes", bytes: r >= 8 ? [0x45, 0x31, modrm] : [0x31, modrm] });
    return this;
  }

  syscall(): this {
    this.code.push({ kind: "bytes", bytes: [0x0f, 0x05] });
    return this;
  }

  /** test rax, rax; js label — jump when the last syscall failed (returned -errno). */
  jumpIfNegative(label: string): this {
    this.code.push({ kind: "bytes", bytes: [0x48, 0x85, 0xc0] });
    this.code.push({ kind: "rel32", bytes: [0x0f, 0x88], label });
    return this;
  }

  /** cmp rax, imm8; je label */
  jumpIfRaxEquals(value: number, label: string): this {
    if (!Number.isInteger(value) || value < -128 || value > 127) {
      throw new ImageError("BadInput", `x86-asm: cmp immediate ${value} does not fit in 8 bits`);
    }
    this.code.push({ kind: "bytes", bytes: [0x48, 0x83, 0xf8, value & 0xff] });
    this.code.push({ kind: "rel32", bytes: [0x0f, 0x84], label });
    return this;
  }

  jump(label: string): this {
    this.code.push({ kind: "rel32", bytes: [0xe9], label });
    return this;
  }

  /** rdx = envp, as the kernel laid out the initial stack (argc, argv..., NULL, envp...). */
  envpToRdx(): this {
    this.code.push({ kind: "bytes", bytes: [0x48, 0x8b, 0x04, 0x24] }); // mov rax, [rsp]
    this.code.push({ kind: "bytes", bytes: [0x48, 0x8d, 0x54, 0xc4, 0x10] }); // lea rdx, [rsp+rax*8+16]
    return this;
  }

  /** A NUL-terminated string in the data section. */
  string(label: string, text: string): this {
    if (text.includes("\0")) throw new ImageError("BadInput", `x86-asm: string ${label} contains a NUL byte`);
    const bytes = new TextEncoder().encode(text);
    const withNul = new Uint8Array(bytes.length + 1);
    withNul.set(bytes);
    return this.bytes(label, withNul);
  }

  bytes(label: string, bytes: Uint8Array): this {
    this.define(label);
    this.data.push({ kind: "bytes", label, bytes });
    return this;
  }

  /** A NULL-terminated array of absolute pointers to data labels (8-aligned), e.g. argv. */
  pointers(label: string, targets: readonly string[]): this {
    this.define(label);
    this.data.push({ kind: "pointers", label, targets });
    return this;
  }

  /** The program as a static ELF64 executable; entry is the first instruction. */
  elf(base = ELF_BASE): Uint8Array {
    const HEADERS = 64 + 56;
    const offsets = new Map<string, number>();
    let at = HEADERS;
    for (const item of this.code) {
      if (item.kind === "label") offsets.set(item.name, at);
      else at += item.bytes.length + (item.kind === "rel32" ? 4 : 0);
    }
    for (const item of this.data) {
      if (item.kind === "pointers") at = (at + 7) & ~7;
      offsets.set(item.label, at);
      at += item.kind === "bytes" ? item.bytes.length : 8 * (item.targets.length + 1);
    }
    const total = at;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    const offsetOf = (label: string): number => {
      const offset = offsets.get(label);
      if (offset === undefined) throw new ImageError("BadInput", `x86-asm: undefined label ${label}`);
      return offset;
    };

    out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
    view.setUint16(16, 2, true); // ET_EXEC
    view.setUint16(18, 0x3e, true); // EM_X86_64
    view.setUint32(20, 1, true);
    view.setBigUint64(24, BigInt(base + HEADERS), true); // e_entry
    view.setBigUint64(32, 64n, true); // e_phoff
    view.setUint16(52, 64, true); // e_ehsize
    view.setUint16(54, 56, true); // e_phentsize
    view.setUint16(56, 1, true); // e_phnum
    view.setUint16(58, 64, true); // e_shentsize
    view.setUint32(64, 1, true); // PT_LOAD
    view.setUint32(68, 5, true); // R+X
    view.setBigUint64(80, BigInt(base), true); // p_vaddr
    view.setBigUint64(88, BigInt(base), true); // p_paddr
    view.setBigUint64(96, BigInt(total), true); // p_filesz
    view.setBigUint64(104, BigInt(total), true); // p_memsz
    view.setBigUint64(112, 0x1000n, true); // p_align

    at = HEADERS;
    for (const item of this.code) {
      if (item.kind === "label") continue;
      out.set(item.bytes, at);
      at += item.bytes.length;
      if (item.kind === "rel32") {
        view.setInt32(at, offsetOf(item.label) - (at + 4), true);
        at += 4;
      }
    }
    for (const item of this.data) {
      const offset = offsetOf(item.label);
      if (item.kind === "bytes") out.set(item.bytes, offset);
      else {
        item.targets.forEach((target, i) => {
          view.setBigUint64(offset + 8 * i, BigInt(base + offsetOf(target)), true);
        });
      }
    }
    return out;
  }
}
