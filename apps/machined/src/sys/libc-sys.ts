import { dlopen, ptr, read } from "bun:ffi";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import {
  LO_FLAGS_READ_ONLY,
  LOOP_CLR_FD,
  LOOP_CONFIGURE,
  LOOP_CTL_GET_FREE,
  LOOP_SET_FD,
  LOOP_SET_STATUS64,
  MOUNT_FLAG_NAMES,
  PR_SET_CHILD_SUBREAPER,
  SYSCALL_NUMBERS,
  type SyscallNumbers,
  UMOUNT_FLAG_NAMES,
} from "./constants.ts";
import {
  cString,
  decodeWaitStatus,
  encodeLoopConfig,
  encodeLoopInfo64,
  loopFlags,
  rebootCommandValue,
  sysctlPath,
  utsName,
} from "./marshal.ts";
import type { LoopAttachOptions, LoopDevice, RebootCommand, Sys, WaitResult } from "./sys.ts";
import { type CallArg, describeFlags, errnoValue, formatCall, SysError } from "./sys-error.ts";

const EINVAL = 22;
const ENOTTY = 25;

function openLibc(path: string) {
  return dlopen(path, {
    __errno_location: { args: [], returns: "ptr" },
    strerror: { args: ["i32"], returns: "cstring" },
    mount: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
    umount2: { args: ["ptr", "i32"], returns: "i32" },
    chroot: { args: ["ptr"], returns: "i32" },
    chdir: { args: ["ptr"], returns: "i32" },
    sync: { args: [], returns: "void" },
    reboot: { args: ["i32"], returns: "i32" },
    sethostname: { args: ["ptr", "u64"], returns: "i32" },
    setdomainname: { args: ["ptr", "u64"], returns: "i32" },
    // syscall(2) is variadic; on the supported ABIs integer/pointer varargs travel like fixed ones.
    syscall: { args: ["i64", "i64", "i64", "i64"], returns: "i32" },
    ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
    kill: { args: ["i32", "i32"], returns: "i32" },
    waitpid: { args: ["i32", "ptr", "i32"], returns: "i32" },
    prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" },
    execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
    getpid: { args: [], returns: "i32" },
  });
}

type Libc = ReturnType<typeof openLibc>["symbols"];

export interface LibcSysOptions {
  /** Default "libc.so.6". */
  readonly libcPath?: string;
  /** Where /proc is mounted (sysctls, cmdline). Default "/proc". */
  readonly procRoot?: string;
  /** Where device nodes live (loop-control, loopN). Default "/dev". */
  readonly devRoot?: string;
  /**
   * Try LOOP_CONFIGURE (Linux >= 5.8) before LOOP_SET_FD + LOOP_SET_STATUS64. Default true; false forces
   * the older two-step path (which is also taken automatically when the kernel lacks LOOP_CONFIGURE).
   */
  readonly loopConfigure?: boolean;
}

/** The real `Sys`: glibc through bun:ffi. Reads errno right after each failing call. */
export class LibcSys implements Sys {
  readonly procRoot: string;
  readonly devRoot: string;
  readonly #libc: Libc;
  readonly #nr: SyscallNumbers;
  readonly #loopConfigure: boolean;

  constructor(options: LibcSysOptions = {}) {
    this.procRoot = options.procRoot ?? "/proc";
    this.devRoot = options.devRoot ?? "/dev";
    this.#libc = openLibc(options.libcPath ?? "libc.so.6").symbols;
    const nr = SYSCALL_NUMBERS[process.arch];
    if (nr === undefined) throw new Error(`LibcSys: unsupported architecture ${process.arch}`);
    this.#nr = nr;
    this.#loopConfigure = options.loopConfigure ?? true;
  }

  /** Reads errno now (call only right after a failed call) and builds the SysError. */
  #fail(call: string): SysError {
    const errno = read.i32(this.#libc.__errno_location() as number, 0);
    return new SysError(call, errno, this.#strerror(errno));
  }

  #strerror(errno: number): string {
    return String(this.#libc.strerror(errno));
  }

  #check(result: number, call: () => string): number {
    if (result < 0) throw this.#fail(call());
    return result;
  }

  /** Converts a node:fs error (code ENOENT, errno -2) into a SysError. */
  #fromNodeError(call: string, err: unknown): SysError {
    if (err instanceof SysError) return err;
    const e = err as NodeJS.ErrnoException;
    const errno = typeof e.errno === "number" ? Math.abs(e.errno) : (errnoValue(e.code ?? "") ?? EINVAL);
    return new SysError(call, errno, this.#strerror(errno));
  }

  #open(path: string, flags: string): number {
    try {
      return openSync(path, flags);
    } catch (err) {
      throw this.#fromNodeError(
        formatCall("open", [path, { raw: flags === "r" ? "O_RDONLY" : "O_RDWR" }]),
        err,
      );
    }
  }

  mount(source: string | null, target: string, fstype: string | null, flags = 0, data: string | null = null) {
    const args: CallArg[] = [source, target, fstype, { raw: describeFlags(flags, MOUNT_FLAG_NAMES) }];
    if (data !== null) args.push(data);
    const call = formatCall("mount", args);
    const src = source === null ? null : cString(source, call);
    const tgt = cString(target, call);
    const fs = fstype === null ? null : cString(fstype, call);
    const dat = data === null ? null : cString(data, call);
    this.#check(this.#libc.mount(src, tgt, fs, flags, dat), () => call);
  }

  umount2(target: string, flags = 0) {
    const call = formatCall("umount2", [target, { raw: describeFlags(flags, UMOUNT_FLAG_NAMES) }]);
    this.#check(this.#libc.umount2(cString(target, call), flags), () => call);
  }

  chroot(path: string) {
    const call = formatCall("chroot", [path]);
    this.#check(this.#libc.chroot(cString(path, call)), () => call);
  }

  chdir(path: string) {
    const call = formatCall("chdir", [path]);
    this.#check(this.#libc.chdir(cString(path, call)), () => call);
  }

  pivotRoot(newRoot: string, putOld: string) {
    const call = formatCall("pivot_root", [newRoot, putOld]);
    const a = cString(newRoot, call);
    const b = cString(putOld, call);
    this.#check(this.#libc.syscall(this.#nr.pivot_root, ptr(a), ptr(b), 0), () => call);
  }

  sync() {
    this.#libc.sync();
  }

  reboot(cmd: RebootCommand) {
    const value = rebootCommandValue(cmd);
    this.#check(this.#libc.reboot(value), () => formatCall("reboot", [{ raw: cmd }]));
  }

  sethostname(name: string) {
    const call = formatCall("sethostname", [name]);
    const { buf, length } = utsName(name, call);
    this.#check(this.#libc.sethostname(buf, length), () => call);
  }

  setdomainname(name: string) {
    const call = formatCall("setdomainname", [name]);
    const { buf, length } = utsName(name, call);
    this.#check(this.#libc.setdomainname(buf, length), () => call);
  }

  finitModule(fd: number, params = "", flags = 0) {
    const call = formatCall("finit_module", [fd, params, flags]);
    const p = cString(params, call);
    this.#check(this.#libc.syscall(this.#nr.finit_module, fd, ptr(p), flags), () => call);
  }

  loopGetFree(): number {
    const control = `${this.devRoot}/loop-control`;
    const fd = this.#open(control, "r");
    try {
      return this.#check(this.#libc.ioctl(fd, LOOP_CTL_GET_FREE, null), () =>
        formatCall("ioctl", [control, { raw: "LOOP_CTL_GET_FREE" }]),
      );
    } finally {
      closeSync(fd);
    }
  }

  loopAttach(backingFile: string, options: LoopAttachOptions = {}): LoopDevice {
    const flags = loopFlags(options);
    const mode = flags & LO_FLAGS_READ_ONLY ? "r" : "r+";
    const backingFd = this.#open(backingFile, mode);
    try {
      // LOOP_CTL_GET_FREE can race with another attacher: retry on EBUSY.
      for (let attempt = 0; ; attempt++) {
        const index = this.loopGetFree();
        const path = `${this.devRoot}/loop${index}`;
        const loopFd = this.#open(path, mode);
        const err = this.#configureLoop(loopFd, path, backingFd, backingFile, flags);
        if (err === undefined) {
          let closed = false;
          return {
            path,
            index,
            fd: loopFd,
            close: () => {
              if (!closed) closeSync(loopFd);
              closed = true;
            },
          };
        }
        closeSync(loopFd);
        if (err.code !== "EBUSY" || attempt >= 8) throw err;
      }
    } finally {
      closeSync(backingFd);
    }
  }

  /** LOOP_CONFIGURE (Linux >= 5.8), else LOOP_SET_FD + LOOP_SET_STATUS64. Returns the error, if any. */
  #configureLoop(loopFd: number, path: string, backingFd: number, file: string, flags: number) {
    if (this.#loopConfigure) {
      const config = encodeLoopConfig(backingFd, flags, file);
      if (this.#libc.ioctl(loopFd, LOOP_CONFIGURE, config) === 0) return undefined;
      const configureErr = this.#fail(formatCall("ioctl", [path, { raw: "LOOP_CONFIGURE" }, file]));
      if (configureErr.errno !== EINVAL && configureErr.errno !== ENOTTY) return configureErr;
    }
    if (this.#libc.ioctl(loopFd, LOOP_SET_FD, backingFd) !== 0) {
      return this.#fail(formatCall("ioctl", [path, { raw: "LOOP_SET_FD" }, file]));
    }
    const info = encodeLoopInfo64(flags, file);
    if (this.#libc.ioctl(loopFd, LOOP_SET_STATUS64, info) !== 0) {
      const err = this.#fail(formatCall("ioctl", [path, { raw: "LOOP_SET_STATUS64" }, file]));
      this.#libc.ioctl(loopFd, LOOP_CLR_FD, null);
      return err;
    }
    return undefined;
  }

  loopDetach(devicePath: string) {
    const fd = this.#open(devicePath, "r");
    try {
      this.#check(this.#libc.ioctl(fd, LOOP_CLR_FD, null), () =>
        formatCall("ioctl", [devicePath, { raw: "LOOP_CLR_FD" }]),
      );
    } finally {
      closeSync(fd);
    }
  }

  kill(pid: number, signal: number | NodeJS.Signals) {
    const num = typeof signal === "number" ? signal : osConstants.signals[signal];
    if (num === undefined)
      throw new SysError(formatCall("kill", [pid, String(signal)]), EINVAL, "unknown signal");
    this.#check(this.#libc.kill(pid, num), () => formatCall("kill", [pid, { raw: String(signal) }]));
  }

  waitpid(pid: number, flags: number): WaitResult {
    const status = new Int32Array(1);
    const r = this.#check(this.#libc.waitpid(pid, status, flags), () => formatCall("waitpid", [pid, flags]));
    return decodeWaitStatus(r, status[0] ?? 0);
  }

  setChildSubreaper(enabled: boolean) {
    this.#check(this.#libc.prctl(PR_SET_CHILD_SUBREAPER, enabled ? 1 : 0, 0, 0, 0), () =>
      formatCall("prctl", [{ raw: "PR_SET_CHILD_SUBREAPER" }, enabled ? 1 : 0]),
    );
  }

  exec(path: string, argv: readonly string[], env: Readonly<Record<string, string>>): never {
    const call = formatCall("execve", [path, { raw: JSON.stringify(argv) }]);
    const file = cString(path, call);
    const argBufs = argv.map((a) => cString(a, call));
    const envBufs = Object.entries(env).map(([k, v]) => cString(`${k}=${v}`, call));
    const argp = new BigUint64Array(argBufs.length + 1);
    argBufs.forEach((b, i) => {
      argp[i] = BigInt(ptr(b));
    });
    const envp = new BigUint64Array(envBufs.length + 1);
    envBufs.forEach((b, i) => {
      envp[i] = BigInt(ptr(b));
    });
    this.#libc.execve(file, argp, envp);
    // execve only returns on failure. Keep the buffers alive until here.
    const err = this.#fail(call);
    void argBufs;
    void envBufs;
    throw err;
  }

  writeSysctl(name: string, value: string) {
    const path = sysctlPath(this.procRoot, name);
    try {
      writeFileSync(path, value);
    } catch (err) {
      throw this.#fromNodeError(formatCall("writeSysctl", [name, value]), err);
    }
  }

  readSysctl(name: string): string {
    const path = sysctlPath(this.procRoot, name);
    try {
      return readFileSync(path, "utf8").replace(/\n$/, "");
    } catch (err) {
      throw this.#fromNodeError(formatCall("readSysctl", [name]), err);
    }
  }

  readCmdline(): string {
    const path = `${this.procRoot}/cmdline`;
    try {
      return readFileSync(path, "utf8").replace(/[\s\0]+$/, "");
    } catch (err) {
      throw this.#fromNodeError(formatCall("readCmdline", [path]), err);
    }
  }

  getpid(): number {
    return this.#libc.getpid();
  }
}
