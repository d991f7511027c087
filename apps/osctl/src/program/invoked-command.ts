// Which top-level command an argument list invokes, read the way commander reads it: the root's
// own flags (and their values) are skipped, the first operand is the command. Anything commander
// would not dispatch (an unknown flag first, `--help`, no operand) gives undefined.
import type { Command } from "commander";

export function invokedCommandName(root: Command, args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return args[i + 1];
    if (arg.length < 2 || !arg.startsWith("-")) return arg;
    const long = arg.startsWith("--");
    const flag = long ? (arg.split("=")[0] as string) : arg.slice(0, 2);
    const option = root.options.find((o) => (long ? o.long === flag : o.short === flag));
    if (!option) return undefined;
    const takesValue = option.required || option.optional;
    // `--timeout 5s` and `-n 10.5.0.2` take the next argument; `--timeout=5s` and `-n10.5.0.2` do not.
    if (takesValue && arg === flag) i++;
    else if (!takesValue && arg !== flag) return undefined;
  }
  return undefined;
}
