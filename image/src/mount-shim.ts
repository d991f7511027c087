import { ImageError } from "./image-error.ts";
import { Asm } from "./x86-asm.ts";

/**
 * The "compact" initramfs's /init: does stage 1's job in a few hundred bytes of machine code, so the
 * initramfs needs no copy of the Bun binary (nor glibc):
 *   for each module: open, finit_module(fd, params, 0) (params: moduleParams' entry, else ""; EEXIST is fine; compressed .ko.xz/.zst/.gz ask the
 *   kernel to decompress), close
 *   attach the image to the loop device (LOOP_SET_FD), mount it read-only (squashfs) on newRoot
 *   chdir(newRoot); mount(".", "/", MS_MOVE); chroot("."); chdir("/")
 *   mount proc on /proc, sysfs on /sys, devtmpfs on /dev (in the new root)
 *   execve(init, argv, the kernel's envp)
 * Any failure prints `bronze-init: <step> failed` on stderr and /dev/kmsg and exits 127 (a kernel
 * panic, after the message that names the step).
 */
export interface MountShimOptions {
  /** Absolute module paths in the initramfs, in load order. */
  readonly modules: readonly string[];
  /**
   * Parameters by module name (`softdog` for .../softdog.ko.xz), as modprobe would pass them: the
   * kernel leaves `module.param=` on its command line to modprobe, and there is no modprobe here.
   */
  readonly moduleParams?: Readonly<Record<string, string>>;
  /** e.g. `/rootfs.sqsh`. */
  readonly image: string;
  /** A loop device node present in the initramfs, e.g. `/dev/loop0`. */
  readonly loopDevice: string;
  /** e.g. `/newroot` (must exist in the initramfs). */
  readonly newRoot: string;
  /** The program to exec in the new root, e.g. `/sbin/init`. */
  readonly init: string;
  readonly argv: readonly string[];
}

const SYS = {
  write: 1,
  open: 2,
  close: 3,
  ioctl: 16,
  execve: 59,
  chdir: 80,
  chroot: 161,
  mount: 165,
  exitGroup: 231,
  finitModule: 313,
};
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CLOEXEC = 0x80000;
const LOOP_SET_FD = 0x4c00;
const MS_RDONLY = 1;
const MS_NOSUID = 2;
const MS_NODEV = 4;
const MS_NOEXEC = 8;
const MS_MOVE = 8192;
const EEXIST = 17;
/** finit_module flag: the kernel decompresses the module (`.ko.xz`, `.ko.zst`, `.ko.gz`). */
const MODULE_INIT_COMPRESSED_FILE = 4;
export const MOUNT_SHIM_FAILED_STATUS = 127;

export function buildMountShim(options: MountShimOptions): Uint8Array {
  for (const [what, path] of [
    ["image", options.image],
    ["loopDevice", options.loopDevice],
    ["newRoot", options.newRoot],
    ["init", options.init],
    ...options.modules.map((m, i) => [`modules[${i}]`, m] as const),
  ] as const) {
    if (!path.startsWith("/"))
      throw new ImageError("BadInput", `mount shim: ${what} must be absolute, got ${JSON.stringify(path)}`);
  }
  if (options.argv.length === 0)
    throw new ImageError("BadInput", "mount shim: argv must have at least argv[0]");

  const asm = new Asm();
  const failures: Array<{ label: string; message: string }> = [];
  const fail = (message: string): string => {
    const label = `fail${failures.length}`;
    failures.push({ label, message: `bronze-init: ${message} failed\n` });
    return label;
  };
  const mount = (
    source: string,
    target: string,
    fstype: string | null,
    flags: number,
    data: string | null,
    what: string,
  ) => {
    asm.leaRip("rdi", source).leaRip("rsi", target);
    if (fstype === null) asm.zero("rdx");
    else asm.leaRip("rdx", fstype);
    asm.movImm("r10", flags);
    if (data === null) asm.zero("r8");
    else asm.leaRip("r8", data);
    asm.movImm("rax", SYS.mount).syscall().jumpIfNegative(fail(what));
  };

  // modules
  const params = (path: string): string | undefined =>
    options.moduleParams?.[(path.split("/").pop() ?? "").replace(/\.ko(\.(xz|zst|gz))?$/, "")];
  options.modules.forEach((path, i) => {
    asm
      .leaRip("rdi", `module${i}`)
      .movImm("rsi", O_RDONLY | O_CLOEXEC)
      .movImm("rax", SYS.open)
      .syscall();
    asm.jumpIfNegative(fail(`open ${path}`)).movReg("r12", "rax");
    asm.movReg("rdi", "r12").leaRip("rsi", params(path) === undefined ? "empty" : `params${i}`);
    if (/\.ko\.(xz|zst|gz)$/.test(path)) asm.movImm("rdx", MODULE_INIT_COMPRESSED_FILE);
    else asm.zero("rdx");
    asm.movImm("rax", SYS.finitModule).syscall();
    asm.jumpIfRaxEquals(-EEXIST, `loaded${i}`).jumpIfNegative(fail(`finit_module ${path}`));
    asm.label(`loaded${i}`).movReg("rdi", "r12").movImm("rax", SYS.close).syscall();
  });
  // loop device and root mount
  asm
    .leaRip("rdi", "image")
    .movImm("rsi", O_RDONLY | O_CLOEXEC)
    .movImm("rax", SYS.open)
    .syscall();
  asm.jumpIfNegative(fail(`open ${options.image}`)).movReg("r12", "rax");
  asm
    .leaRip("rdi", "loop")
    .movImm("rsi", O_RDWR | O_CLOEXEC)
    .movImm("rax", SYS.open)
    .syscall();
  asm.jumpIfNegative(fail(`open ${options.loopDevice}`)).movReg("r13", "rax");
  asm.movReg("rdi", "r13").movImm("rsi", LOOP_SET_FD).movReg("rdx", "r12").movImm("rax", SYS.ioctl).syscall();
  asm.jumpIfNegative(fail(`LOOP_SET_FD ${options.loopDevice}`));
  mount("loop", "newRoot", "squashfs", MS_RDONLY, null, `mount ${options.loopDevice} on ${options.newRoot}`);
  // switch root (the initramfs stays underneath: it only holds the image and the modules)
  asm
    .leaRip("rdi", "newRoot")
    .movImm("rax", SYS.chdir)
    .syscall()
    .jumpIfNegative(fail(`chdir ${options.newRoot}`));
  mount("dot", "slash", null, MS_MOVE, null, "move the new root onto /");
  asm.leaRip("rdi", "dot").movImm("rax", SYS.chroot).syscall().jumpIfNegative(fail("chroot"));
  asm.leaRip("rdi", "slash").movImm("rax", SYS.chdir).syscall().jumpIfNegative(fail("chdir /"));
  // API file systems in the new root
  mount("proc", "procDir", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null, "mount /proc");
  mount("sysfs", "sysDir", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, null, "mount /sys");
  mount("devtmpfs", "devDir", "devtmpfs", MS_NOSUID, "devMode", "mount /dev");
  // exec
  asm.envpToRdx().leaRip("rdi", "init").leaRip("rsi", "argv").movImm("rax", SYS.execve).syscall();
  asm.jump(fail(`execve ${options.init}`));
  // failures: write(2, message, length); exit_group(127)
  for (const { label, message } of failures) {
    asm
      .label(label)
      .leaRip("rsi", `${label}Message`)
      .movImm("rdx", new TextEncoder().encode(message).length)
      .jump("die");
  }
  // stderr is /dev/console, only the last console= device: say it to /dev/kmsg as well (every console)
  asm.label("die").movReg("r12", "rsi").movReg("r13", "rdx");
  asm.movImm("rdi", 2).movImm("rax", SYS.write).syscall();
  asm
    .leaRip("rdi", "kmsg")
    .movImm("rsi", O_WRONLY | O_CLOEXEC)
    .movImm("rax", SYS.open)
    .syscall();
  asm.jumpIfNegative("exit").movReg("rdi", "rax").movReg("rsi", "r12").movReg("rdx", "r13");
  asm.movImm("rax", SYS.write).syscall();
  asm.label("exit").movImm("rdi", MOUNT_SHIM_FAILED_STATUS).movImm("rax", SYS.exitGroup).syscall();

  // data
  options.modules.forEach((path, i) => {
    asm.string(`module${i}`, path);
    const p = params(path);
    if (p !== undefined) asm.string(`params${i}`, p);
  });
  asm.string("empty", "").string("image", options.image).string("loop", options.loopDevice);
  asm
    .string("newRoot", options.newRoot)
    .string("squashfs", "squashfs")
    .string("dot", ".")
    .string("slash", "/");
  asm.string("proc", "proc").string("procDir", "/proc").string("sysfs", "sysfs").string("sysDir", "/sys");
  asm.string("devtmpfs", "devtmpfs").string("devDir", "/dev").string("devMode", "mode=0755");
  asm.string("init", options.init).string("kmsg", "/dev/kmsg");
  options.argv.forEach((arg, i) => {
    asm.string(`arg${i}`, arg);
  });
  for (const { label, message } of failures) asm.bytes(`${label}Message`, new TextEncoder().encode(message));
  asm.pointers(
    "argv",
    options.argv.map((_, i) => `arg${i}`),
  );
  return asm.elf();
}
