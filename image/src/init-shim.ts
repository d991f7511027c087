import { ImageError } from "./image-error.ts";

/**
 * The initramfs `/init`: a tiny static x86-64 ELF, emitted byte by byte, that does
 *   mount("proc", "/proc", "proc", 0, NULL);      // Bun aborts without /proc
 *   execve(path, argv, envp_from_the_kernel);
 *   write(2, "bronze-init: execve <path> failed\n"); exit_group(127);
 * The mount's result is ignored on purpose (an already mounted /proc is fine; a missing one makes
 * the stage-1 binary fail loudly anyway). `/proc` itself must exist in the cpio archive.
 *
 * Layout: ELF64 header (64 bytes) | one PT_LOAD program header (56) | code | data (strings, argv[]).
 * The whole file is loaded read+execute at `INIT_SHIM_BASE`.
 */
export interface InitShimOptions {
  /** Absolute path of the program to exec, e.g. `/stage1`. */
  readonly path: string;
  /** Its argv (argv[0] first, at least one element); the kernel's envp is passed through. */
  readonly argv: readonly string[];
}

export const INIT_SHIM_BASE = 0x400000;
export const ELF_HEADER_SIZE = 64;
export const PROGRAM_HEADER_SIZE = 56;
const CODE_OFFSET = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE;

const SYS_WRITE = 1;
const SYS_EXECVE = 59;
const SYS_MOUNT = 165;
const SYS_EXIT_GROUP = 231;
/** The exit status when execve fails (the shell's "command not found" convention). */
export const INIT_SHIM_EXEC_FAILED_STATUS = 127;

type Label = "procDir" | "procType" | "path" | "argv" | "message";

/** One instruction: fixed bytes, optionally followed by a rip-relative disp32 to a label. */
interface Instruction {
  readonly bytes: readonly number[];
  readonly ripTo?: Label;
}

function imm32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

function program(messageLength: number): Instruction[] {
  return [
    // mount("proc", "/proc", "proc", 0, NULL)
    { bytes: [0x48, 0x8d, 0x3d], ripTo: "procType" }, // lea rdi, [rip+procType]
    { bytes: [0x48, 0x8d, 0x35], ripTo: "procDir" }, // lea rsi, [rip+procDir]
    { bytes: [0x48, 0x89, 0xfa] }, // mov rdx, rdi
    { bytes: [0x45, 0x31, 0xd2] }, // xor r10d, r10d
    { bytes: [0x45, 0x31, 0xc0] }, // xor r8d, r8d
    { bytes: [0xb8, ...imm32(SYS_MOUNT)] }, // mov eax, SYS_mount
    { bytes: [0x0f, 0x05] }, // syscall
    // execve(path, argv, envp) where envp = rsp + 8 * (argc + 2) as set up by the kernel
    { bytes: [0x48, 0x8b, 0x04, 0x24] }, // mov rax, [rsp]
    { bytes: [0x48, 0x8d, 0x54, 0xc4, 0x10] }, // lea rdx, [rsp + rax*8 + 16]
    { bytes: [0x48, 0x8d, 0x3d], ripTo: "path" }, // lea rdi, [rip+path]
    { bytes: [0x48, 0x8d, 0x35], ripTo: "argv" }, // lea rsi, [rip+argv]
    { bytes: [0xb8, ...imm32(SYS_EXECVE)] }, // mov eax, SYS_execve
    { bytes: [0x0f, 0x05] }, // syscall
    // only reached when execve failed: write(2, message, length); exit_group(127)
    { bytes: [0xbf, ...imm32(2)] }, // mov edi, 2
    { bytes: [0x48, 0x8d, 0x35], ripTo: "message" }, // lea rsi, [rip+message]
    { bytes: [0xba, ...imm32(messageLength)] }, // mov edx, length
    { bytes: [0xb8, ...imm32(SYS_WRITE)] }, // mov eax, SYS_write
    { bytes: [0x0f, 0x05] }, // syscall
    { bytes: [0xbf, ...imm32(INIT_SHIM_EXEC_FAILED_STATUS)] }, // mov edi, 127
    { bytes: [0xb8, ...imm32(SYS_EXIT_GROUP)] }, // mov eax, SYS_exit_group
    { bytes: [0x0f, 0x05] }, // syscall
  ];
}

function cString(value: string, what: string): Uint8Array {
  if (value.includes("\0")) throw new ImageError("BadInput", `init shim: ${what} contains a NUL byte`);
  const bytes = new TextEncoder().encode(value);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Emits the shim's bytes. Throws ImageError(BadInput) for a relative/empty path or an empty argv. */
export function buildInitShim(options: InitShimOptions): Uint8Array {
  const { path, argv } = options;
  if (!path.startsWith("/") || path.length < 2) {
    throw new ImageError(
      "BadInput",
      `init shim: path must be an absolute file path, got ${JSON.stringify(path)}`,
    );
  }
  if (argv.length === 0) throw new ImageError("BadInput", "init shim: argv must have at least argv[0]");

  const procDir = cString("/proc", "/proc");
  const pathBytes = cString(path, "path");
  const args = argv.map((arg, i) => cString(arg, `argv[${i}]`));
  const message = new TextEncoder().encode(`bronze-init: execve ${path} failed\n`);

  const instructions = program(message.length);
  const codeLength = instructions.reduce((n, ins) => n + ins.bytes.length + (ins.ripTo ? 4 : 0), 0);

  // Data layout, as file offsets. "proc\0" is the tail of "/proc\0".
  const offsets = new Map<Label, number>();
  let cursor = CODE_OFFSET + codeLength;
  offsets.set("procDir", cursor);
  offsets.set("procType", cursor + 1);
  cursor += procDir.length;
  offsets.set("path", cursor);
  cursor += pathBytes.length;
  const argOffsets: number[] = [];
  for (const arg of args) {
    argOffsets.push(cursor);
    cursor += arg.length;
  }
  offsets.set("message", cursor);
  cursor += message.length;
  cursor = (cursor + 7) & ~7; // the argv pointer array is 8-aligned
  offsets.set("argv", cursor);
  const total = cursor + 8 * (args.length + 1);

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  // ELF64 header
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // magic, ELFCLASS64, little endian, EV_CURRENT, SYSV
  view.setUint16(16, 2, true); // e_type = ET_EXEC
  view.setUint16(18, 0x3e, true); // e_machine = EM_X86_64
  view.setUint32(20, 1, true); // e_version
  view.setBigUint64(24, BigInt(INIT_SHIM_BASE + CODE_OFFSET), true); // e_entry
  view.setBigUint64(32, BigInt(ELF_HEADER_SIZE), true); // e_phoff
  view.setBigUint64(40, 0n, true); // e_shoff: no section headers
  view.setUint32(48, 0, true); // e_flags
  view.setUint16(52, ELF_HEADER_SIZE, true); // e_ehsize
  view.setUint16(54, PROGRAM_HEADER_SIZE, true); // e_phentsize
  view.setUint16(56, 1, true); // e_phnum
  view.setUint16(58, 64, true); // e_shentsize
  view.setUint16(60, 0, true); // e_shnum
  view.setUint16(62, 0, true); // e_shstrndx
  // PT_LOAD covering the whole file
  const ph = ELF_HEADER_SIZE;
  view.setUint32(ph, 1, true); // p_type = PT_LOAD
  view.setUint32(ph + 4, 5, true); // p_flags = PF_R | PF_X
  view.setBigUint64(ph + 8, 0n, true); // p_offset
  view.setBigUint64(ph + 16, BigInt(INIT_SHIM_BASE), true); // p_vaddr
  view.setBigUint64(ph + 24, BigInt(INIT_SHIM_BASE), true); // p_paddr
  view.setBigUint64(ph + 32, BigInt(total), true); // p_filesz
  view.setBigUint64(ph + 40, BigInt(total), true); // p_memsz
  view.setBigUint64(ph + 48, 0x1000n, true); // p_align

  // code
  let at = CODE_OFFSET;
  for (const ins of instructions) {
    out.set(ins.bytes, at);
    at += ins.bytes.length;
    if (ins.ripTo) {
      const target = offsets.get(ins.ripTo) as number;
      view.setInt32(at, target - (at + 4), true); // relative to the next instruction
      at += 4;
    }
  }
  // data
  out.set(procDir, offsets.get("procDir") as number);
  out.set(pathBytes, offsets.get("path") as number);
  args.forEach((arg, i) => {
    out.set(arg, argOffsets[i] as number);
  });
  out.set(message, offsets.get("message") as number);
  const argvAt = offsets.get("argv") as number;
  argOffsets.forEach((offset, i) => {
    view.setBigUint64(argvAt + 8 * i, BigInt(INIT_SHIM_BASE + offset), true);
  });
  // the terminating NULL pointer is already zero
  return out;
}
