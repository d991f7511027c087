/**
 * What the node needs from the kernel. machined's code takes a `Sys` so that PID-1 logic is tested
 * with `FakeSys`; only the entry point builds the real `LibcSys`. Every method throws `SysError`.
 */

export type RebootCommand = "restart" | "poweroff" | "halt";

/** Result of waitpid(2). `pid` is 0 when WNOHANG was given and no child changed state. */
export interface WaitResult {
  readonly pid: number;
  /** The raw wait status word. */
  readonly status: number;
  /** Exit code when the child exited normally, else null. */
  readonly exitCode: number | null;
  /** Terminating signal number when the child was killed, else null. */
  readonly signal: number | null;
}

export interface LoopAttachOptions {
  /** Attach read-only (LO_FLAGS_READ_ONLY, and the backing file opened O_RDONLY). Default true. */
  readonly readOnly?: boolean;
  /**
   * Detach automatically when the last user goes away (LO_FLAGS_AUTOCLEAR). Default true.
   * The device stays attached while `LoopDevice.close()` has not been called, so mount it first.
   */
  readonly autoclear?: boolean;
}

export interface LoopDevice {
  /** `/dev/loopN` */
  readonly path: string;
  /** N */
  readonly index: number;
  /** The open file descriptor of the loop device (holds it while autoclear is set). */
  readonly fd: number;
  /** Closes `fd`; with autoclear, the device detaches once nothing else (no mount) uses it. */
  close(): void;
}

export interface Sys {
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags?: number,
    data?: string | null,
  ): void;
  umount2(target: string, flags?: number): void;
  chroot(path: string): void;
  chdir(path: string): void;
  /** pivot_root(2): not usable from an initramfs (rootfs); use `switchRoot` there. */
  pivotRoot(newRoot: string, putOld: string): void;
  /** Flushes filesystem buffers (sync(2)); call before `reboot`. */
  sync(): void;
  reboot(cmd: RebootCommand): void;
  sethostname(name: string): void;
  setdomainname(name: string): void;
  /** finit_module(2): load a kernel module from an open file descriptor. */
  finitModule(fd: number, params?: string, flags?: number): void;
  /** LOOP_CTL_GET_FREE on /dev/loop-control: the index of a free loop device (allocating one). */
  loopGetFree(): number;
  /** Attaches a file to a free loop device (LOOP_CONFIGURE, or LOOP_SET_FD + LOOP_SET_STATUS64). */
  loopAttach(backingFile: string, options?: LoopAttachOptions): LoopDevice;
  /** LOOP_CLR_FD on a loop device path. */
  loopDetach(devicePath: string): void;
  /** kill(2); signal 0 checks that the process exists. */
  kill(pid: number, signal: number | NodeJS.Signals): void;
  /** waitpid(2); `flags` such as WNOHANG. */
  waitpid(pid: number, flags: number): WaitResult;
  /** prctl(PR_SET_CHILD_SUBREAPER): orphans of our descendants are re-parented to us. */
  setChildSubreaper(enabled: boolean): void;
  /** execve(2): replaces this process; only returns by throwing. */
  exec(path: string, argv: readonly string[], env: Readonly<Record<string, string>>): never;
  /** Writes `<procRoot>/sys/<name with dots as slashes>`. */
  writeSysctl(name: string, value: string): void;
  readSysctl(name: string): string;
  /** The kernel command line (`<procRoot>/cmdline`), without the trailing newline. */
  readCmdline(): string;
  getpid(): number;
}
