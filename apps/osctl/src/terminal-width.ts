// The width of the terminal on fd 1, or undefined when fd 1 is not a terminal (help text then wraps
// at 80). On Linux the kernel answers (ioctl TIOCGWINSZ through bun:ffi, ~0.4 ms): importing
// node:tty costs ~3.5 ms and building process.stdout ~11 ms, more than the rest of `osctl --help`
// together. Elsewhere, or when libc does not open, node:tty answers.
import type * as Ffi from "bun:ffi";

const TIOCGWINSZ = 0x5413;

let ioctl: ((fd: number, request: number, winsize: Uint16Array) => number) | null | undefined;

function kernelIoctl(): typeof ioctl {
  if (ioctl !== undefined) return ioctl;
  ioctl = null;
  if (process.platform !== "linux") return ioctl;
  try {
    // required here, not imported: most runs never ask for the width
    const { dlopen, ptr } = require("bun:ffi") as typeof Ffi;
    const libc = dlopen("libc.so.6", { ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" } });
    ioctl = (fd, request, winsize) => libc.symbols.ioctl(fd, request, ptr(winsize));
  } catch {
    // not glibc (musl names its libc otherwise): node:tty below
  }
  return ioctl;
}

/** Columns of the terminal on `fd`; undefined when it is no terminal or reports no size. */
export function terminalColumns(fd = 1): number | undefined {
  const call = kernelIoctl();
  if (call) {
    const winsize = new Uint16Array(4); // rows, columns, x pixels, y pixels
    if (call(fd, TIOCGWINSZ, winsize) !== 0) return undefined;
    return winsize[1] || undefined;
  }
  const tty = process.getBuiltinModule("node:tty");
  if (!tty.isatty(fd)) return undefined;
  return new tty.WriteStream(fd).columns || undefined;
}
