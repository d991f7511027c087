import { constants } from "node:os";

const ERRNO_NAMES: ReadonlyMap<number, string> = (() => {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(constants.errno)) {
    // Keep the first (canonical) name for aliases such as EWOULDBLOCK/EAGAIN.
    if (!names.has(value)) names.set(value, name);
  }
  // Linux errnos that Node's table omits but that mount/loop/module calls can return.
  const extra: Array<[number, string]> = [
    [117, "EUCLEAN"],
    [123, "ENOMEDIUM"],
    [124, "EMEDIUMTYPE"],
    [126, "ENOKEY"],
    [127, "EKEYEXPIRED"],
    [128, "EKEYREVOKED"],
    [129, "EKEYREJECTED"],
  ];
  for (const [value, name] of extra) if (!names.has(value)) names.set(value, name);
  return names;
})();

/** The symbolic name of an errno value (`2` => `"ENOENT"`); unknown values become `"ERRNO_<n>"`. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `ERRNO_${errno}`;
}

/** The errno value of a symbolic name (`"ENOENT"` => `2`), or undefined when unknown. */
export function errnoValue(name: string): number | undefined {
  const value = (constants.errno as Record<string, number | undefined>)[name];
  if (value !== undefined) return value;
  for (const [v, n] of ERRNO_NAMES) if (n === name) return v;
  return undefined;
}

/** A failed system call: `code` is the errno name (EPERM, ENOENT, EBUSY...), `call` the call as made. */
export class SysError extends Error {
  override readonly name = "SysError";
  readonly code: string;
  readonly errno: number;
  readonly call: string;

  constructor(call: string, errno: number, description: string) {
    const code = errnoName(errno);
    super(`${call} failed: ${description} (${code})`);
    this.code = code;
    this.errno = errno;
    this.call = call;
  }
}

/** Renders a flag word as `A|B|0x40`, using the given names; `0` renders as `0`. */
export function describeFlags(flags: number, names: ReadonlyArray<readonly [number, string]>): string {
  if (flags === 0) return "0";
  const parts: string[] = [];
  let rest = flags;
  for (const [bit, name] of names) {
    if ((rest & bit) === bit && bit !== 0) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.join("|");
}

export type CallArg = string | number | null | { readonly raw: string };

/** Renders a call for error messages: `mount("/dev/loop0", "/root", "squashfs", MS_RDONLY)`. */
export function formatCall(name: string, args: readonly CallArg[]): string {
  const rendered = args.map((a) => {
    if (a === null) return "NULL";
    if (typeof a === "string") return JSON.stringify(a);
    if (typeof a === "number") return String(a);
    return a.raw;
  });
  return `${name}(${rendered.join(", ")})`;
}
