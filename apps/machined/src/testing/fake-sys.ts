import {
  LO_FLAGS_AUTOCLEAR,
  LO_FLAGS_READ_ONLY,
  MS_BIND,
  MS_MOVE,
  MS_REMOUNT,
  WNOHANG,
} from "../sys/constants.ts";
import { loopFlags, rebootCommandValue, sysctlPath, utsName } from "../sys/marshal.ts";
import type { LoopAttachOptions, LoopDevice, RebootCommand, Sys, WaitResult } from "../sys/sys.ts";
import { type CallArg, errnoName, errnoValue, formatCall, SysError } from "../sys/sys-error.ts";

export type SysCallName = keyof Sys;

export interface FakeCall {
  readonly name: SysCallName;
  readonly args: readonly unknown[];
}

export interface FakeMount {
  readonly source: string | null;
  readonly target: string;
  readonly fstype: string | null;
  readonly flags: number;
  readonly data: string | null;
}

export interface FakeLoop {
  readonly index: number;
  readonly backingFile: string;
  readonly flags: number;
  open: boolean;
}

interface FailRule {
  readonly name: SysCallName;
  readonly errno: number;
  readonly match: ((args: readonly unknown[]) => boolean) | undefined;
  remaining: number;
}

/** Thrown by `FakeSys.exec` so that code under test stops where a real exec would not return. */
export class FakeExecError extends Error {
  override readonly name = "FakeExecError";
  readonly code = "EXEC";
  constructor(
    readonly path: string,
    readonly argv: readonly string[],
  ) {
    super(`exec(${JSON.stringify(path)}) called on FakeSys`);
  }
}

const STRERROR: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  ECHILD: "No child processes",
  EBUSY: "Device or resource busy",
  EINVAL: "Invalid argument",
  EROFS: "Read-only file system",
  ENOSYS: "Function not implemented",
};

/**
 * A `Sys` that records every call and models just enough kernel state for PID-1 logic tests:
 * a mount table, hostname, loop devices, sysctls, child processes for waitpid. Any call can be made to
 * fail with an errno (`failNext`, `failAlways`).
 */
export class FakeSys implements Sys {
  readonly calls: FakeCall[] = [];
  readonly mounts = new Map<string, FakeMount>();
  readonly loops = new Map<number, FakeLoop>();
  readonly sysctls = new Map<string, string>();
  readonly signals: Array<{ pid: number; signal: number | NodeJS.Signals }> = [];
  hostname = "localhost";
  domainname = "(none)";
  rebooted: RebootCommand | undefined;
  subreaper = false;
  root = "/";
  cwd = "/";
  cmdline = "";
  pid = 1;
  syncs = 0;
  readonly modules: Array<{ fd: number; params: string; flags: number }> = [];
  /** Children for waitpid: null while running, a result once exited (a zombie). */
  readonly children = new Map<number, { exitCode: number | null; signal: number | null } | null>();
  #rules: FailRule[] = [];

  /** Makes the next `times` calls of `name` (matching `match`, if given) fail with `code`. */
  failNext(name: SysCallName, code: string, match?: (args: readonly unknown[]) => boolean, times = 1): this {
    const errno = errnoValue(code);
    if (errno === undefined)
      throw new TypeError(`FakeSys.failNext: unknown errno name ${JSON.stringify(code)}`);
    this.#rules.push({ name, errno, match, remaining: times });
    return this;
  }

  /** Makes every call of `name` (matching `match`, if given) fail with `code`. */
  failAlways(name: SysCallName, code: string, match?: (args: readonly unknown[]) => boolean): this {
    return this.failNext(name, code, match, Number.POSITIVE_INFINITY);
  }

  /** The calls of one kind, in order. */
  callsOf(name: SysCallName): unknown[][] {
    return this.calls.filter((c) => c.name === name).map((c) => [...c.args]);
  }

  #record(name: SysCallName, args: readonly unknown[]): void {
    this.calls.push({ name, args });
    const rule = this.#rules.find((r) => r.name === name && r.remaining > 0 && (r.match?.(args) ?? true));
    if (rule !== undefined) {
      rule.remaining--;
      throw this.#error(name, args, rule.errno);
    }
  }

  #error(name: string, args: readonly unknown[], errno: number): SysError {
    const code = errnoName(errno);
    return new SysError(formatCall(name, args.map(toCallArg)), errno, STRERROR[code] ?? code);
  }

  #fail(name: string, args: readonly unknown[], code: string): SysError {
    return this.#error(name, args, errnoValue(code) ?? 22);
  }

  mount(source: string | null, target: string, fstype: string | null, flags = 0, data: string | null = null) {
    const args = [source, target, fstype, flags, data];
    this.#record("mount", args);
    if (flags & MS_MOVE) {
      if (source === null) throw this.#fail("mount", args, "EINVAL");
      const moved = this.mounts.get(source);
      if (moved === undefined) throw this.#fail("mount", args, "EINVAL");
      this.mounts.delete(source);
      this.mounts.set(target, { ...moved, target });
      return;
    }
    if (flags & MS_REMOUNT) {
      const existing = this.mounts.get(target);
      if (existing === undefined) throw this.#fail("mount", args, "EINVAL");
      this.mounts.set(target, { ...existing, flags: flags & ~MS_REMOUNT, data: data ?? existing.data });
      return;
    }
    if (!(flags & MS_BIND) && fstype === null) throw this.#fail("mount", args, "EINVAL");
    this.mounts.set(target, { source, target, fstype, flags, data });
  }

  /** The mount table as /proc/self/mountinfo shows it (mount ids in mount order). */
  mountinfo(): string {
    return [...this.mounts.values()]
      .map(
        (m, i) => `${30 + i} 1 0:${30 + i} / ${m.target} rw - ${m.fstype ?? "none"} ${m.source ?? "none"} rw`,
      )
      .join("\n");
  }

  umount2(target: string, flags = 0) {
    this.#record("umount2", [target, flags]);
    if (!this.mounts.delete(target)) throw this.#fail("umount2", [target, flags], "EINVAL");
    for (const loop of this.loops.values()) {
      if (!loop.open && loop.flags & LO_FLAGS_AUTOCLEAR && !this.#loopMounted(loop.index)) {
        this.loops.delete(loop.index);
      }
    }
  }

  chroot(path: string) {
    this.#record("chroot", [path]);
    this.root = path;
  }

  chdir(path: string) {
    this.#record("chdir", [path]);
    this.cwd = path;
  }

  pivotRoot(newRoot: string, putOld: string) {
    this.#record("pivotRoot", [newRoot, putOld]);
  }

  sync() {
    this.#record("sync", []);
    this.syncs++;
  }

  reboot(cmd: RebootCommand) {
    rebootCommandValue(cmd); // validates like the real one
    this.#record("reboot", [cmd]);
    this.rebooted = cmd;
  }

  sethostname(name: string) {
    this.#record("sethostname", [name]);
    utsName(name, formatCall("sethostname", [name])); // validates like the real one
    this.hostname = name;
  }

  setdomainname(name: string) {
    this.#record("setdomainname", [name]);
    utsName(name, formatCall("setdomainname", [name]));
    this.domainname = name;
  }

  finitModule(fd: number, params = "", flags = 0) {
    this.#record("finitModule", [fd, params, flags]);
    this.modules.push({ fd, params, flags });
  }

  loopGetFree(): number {
    this.#record("loopGetFree", []);
    let index = 0;
    while (this.loops.has(index)) index++;
    return index;
  }

  loopAttach(backingFile: string, options: LoopAttachOptions = {}): LoopDevice {
    this.#record("loopAttach", [backingFile, options]);
    let index = 0;
    while (this.loops.has(index)) index++;
    const loop: FakeLoop = { index, backingFile, flags: loopFlags(options), open: true };
    this.loops.set(index, loop);
    const path = `/dev/loop${index}`;
    return {
      path,
      index,
      fd: 100 + index,
      close: () => {
        loop.open = false;
        if (loop.flags & LO_FLAGS_AUTOCLEAR && !this.#loopMounted(index)) this.loops.delete(index);
      },
    };
  }

  #loopMounted(index: number): boolean {
    for (const m of this.mounts.values()) if (m.source === `/dev/loop${index}`) return true;
    return false;
  }

  loopDetach(devicePath: string) {
    this.#record("loopDetach", [devicePath]);
    const index = Number(/^\/dev\/loop(\d+)$/.exec(devicePath)?.[1] ?? Number.NaN);
    if (!this.loops.delete(index)) throw this.#fail("loopDetach", [devicePath], "ENXIO");
  }

  /** Whether a loop device is attached read-only. */
  loopReadOnly(index: number): boolean {
    return ((this.loops.get(index)?.flags ?? 0) & LO_FLAGS_READ_ONLY) !== 0;
  }

  kill(pid: number, signal: number | NodeJS.Signals) {
    this.#record("kill", [pid, signal]);
    this.signals.push({ pid, signal });
  }

  /** Adds a running child (for waitpid). */
  addChild(pid: number): void {
    this.children.set(pid, null);
  }

  /** Marks a child exited: it stays a zombie until waitpid collects it. */
  exitChild(pid: number, exitCode: number | null, signal: number | null = null): void {
    this.children.set(pid, { exitCode, signal });
  }

  waitpid(pid: number, flags: number): WaitResult {
    this.#record("waitpid", [pid, flags]);
    const candidates = pid === -1 ? [...this.children.keys()] : this.children.has(pid) ? [pid] : [];
    if (candidates.length === 0) throw this.#fail("waitpid", [pid, flags], "ECHILD");
    for (const child of candidates) {
      const state = this.children.get(child);
      if (state !== null && state !== undefined) {
        this.children.delete(child);
        const status = state.signal !== null ? state.signal : (state.exitCode ?? 0) << 8;
        return { pid: child, status, exitCode: state.exitCode, signal: state.signal };
      }
    }
    if (flags & WNOHANG) return { pid: 0, status: 0, exitCode: null, signal: null };
    throw new Error("FakeSys.waitpid would block: pass WNOHANG or exit a child first");
  }

  setChildSubreaper(enabled: boolean) {
    this.#record("setChildSubreaper", [enabled]);
    this.subreaper = enabled;
  }

  exec(path: string, argv: readonly string[], env: Readonly<Record<string, string>>): never {
    this.#record("exec", [path, argv, env]);
    throw new FakeExecError(path, argv);
  }

  writeSysctl(name: string, value: string) {
    this.#record("writeSysctl", [name, value]);
    const key = sysctlPath("", name);
    if (!this.sysctls.has(key)) throw this.#fail("writeSysctl", [name, value], "ENOENT");
    this.sysctls.set(key, value);
  }

  readSysctl(name: string): string {
    this.#record("readSysctl", [name]);
    const value = this.sysctls.get(sysctlPath("", name));
    if (value === undefined) throw this.#fail("readSysctl", [name], "ENOENT");
    return value;
  }

  /** Declares a sysctl that exists (writes to undeclared ones fail with ENOENT, as in /proc/sys). */
  defineSysctl(name: string, value: string): this {
    this.sysctls.set(sysctlPath("", name), value);
    return this;
  }

  readCmdline(): string {
    this.#record("readCmdline", []);
    return this.cmdline;
  }

  getpid(): number {
    this.#record("getpid", []);
    return this.pid;
  }
}

function toCallArg(value: unknown): CallArg {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  return { raw: JSON.stringify(value) ?? String(value) };
}
