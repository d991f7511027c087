import { ImageError } from "./image-error.ts";
import { Asm, ELF_BASE } from "./x86-asm.ts";

/**
 * The stage1 initramfs's `/init`: a tiny static x86-64 ELF, emitted byte by byte, that does
 *   mount("proc", "/proc", "proc", 0, NULL);      // Bun aborts without /proc
 *   execve(path, argv, envp_from_the_kernel);
 *   write(2, "bronze-init: execve <path> failed\n"); exit_group(127);
 * The mount's result is ignored on purpose (an already mounted /proc is fine; a missing one makes
 * the stage-1 binary fail loudly anyway). `/proc` itself must exist in the cpio archive.
 */
export interface InitShimOptions {
  /** Absolute path of the program to exec, e.g. `/stage1`. */
  readonly path: string;
  /** Its argv (argv[0] first, at least one element); the kernel's envp is passed through. */
  readonly argv: readonly string[];
}

/** Where the shim's ELF image is loaded. */
export const INIT_SHIM_BASE = ELF_BASE;
export const ELF_HEADER_SIZE = 64;
export const PROGRAM_HEADER_SIZE = 56;

const SYS_WRITE = 1;
const SYS_EXECVE = 59;
const SYS_MOUNT = 165;
const SYS_EXIT_GROUP = 231;
/** The exit status when execve fails (the shell's "command not found" convention). */
export const INIT_SHIM_EXEC_FAILED_STATUS = 127;

/** Emits the shim's bytes. Throws ImageError(BadInput) for a relative/empty path, an empty argv, NULs. */
export function buildInitShim(options: InitShimOptions): Uint8Array {
  const { path, argv } = options;
  if (!path.startsWith("/") || path.length < 2) {
    throw new ImageError(
      "BadInput",
      `init shim: path must be an absolute file path, got ${JSON.stringify(path)}`,
    );
  }
  if (argv.length === 0) throw new ImageError("BadInput", "init shim: argv must have at least argv[0]");
  if (path.includes("\0")) throw new ImageError("BadInput", "init shim: path contains a NUL byte");
  argv.forEach((arg, i) => {
    if (arg.includes("\0")) throw new ImageError("BadInput", `init shim: argv[${i}] contains a NUL byte`);
  });
  const message = new TextEncoder().encode(`bronze-init: execve ${path} failed\n`);

  const asm = new Asm()
    // mount("proc", "/proc", "proc", 0, NULL)
    .leaRip("rdi", "procType")
    .leaRip("rsi", "procDir")
    .movReg("rdx", "rdi")
    .zero("r10")
    .zero("r8")
    .movImm("rax", SYS_MOUNT)
    .syscall()
    // execve(path, argv, envp)
    .envpToRdx()
    .leaRip("rdi", "path")
    .leaRip("rsi", "argv")
    .movImm("rax", SYS_EXECVE)
    .syscall()
    // only reached when execve failed
    .movImm("rdi", 2)
    .leaRip("rsi", "message")
    .movImm("rdx", message.length)
    .movImm("rax", SYS_WRITE)
    .syscall()
    .movImm("rdi", INIT_SHIM_EXEC_FAILED_STATUS)
    .movImm("rax", SYS_EXIT_GROUP)
    .syscall()
    .string("procDir", "/proc")
    .string("procType", "proc")
    .string("path", path);
  argv.forEach((arg, i) => {
    asm.string(`arg${i}`, arg);
  });
  return asm
    .bytes("message", message)
    .pointers(
      "argv",
      argv.map((_, i) => `arg${i}`),
    )
    .elf();
}
