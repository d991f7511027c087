import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ProcessInfo, ProcessInfoSchema } from "@bronze/api";
import { create } from "@bufbuild/protobuf";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;
/** Page size of the rss field (4 KiB on x86-64 and arm64 with 4K pages). */
const PAGE_SIZE = 4096n;

/**
 * Parses /proc/<pid>/stat and cmdline into a ProcessInfo. The command name sits in parentheses and may
 * itself hold spaces and parentheses: the fields resume after the last ')'. Undefined when malformed.
 */
export function parseProcess(stat: string, cmdline: string): ProcessInfo | undefined {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(stat.slice(0, open).trim());
  const rest = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state) of proc(5).
  const field = (n: number) => rest[n - 3];
  const state = field(3);
  const numbers = [4, 14, 15, 20, 23, 24].map((n) => field(n));
  if (
    !Number.isInteger(pid) ||
    state === undefined ||
    numbers.some((v) => v === undefined || !/^-?\d+$/.test(v))
  ) {
    return undefined;
  }
  const [ppid, utime, stime, threads, vsize, rss] = numbers as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const argv = cmdline.split("\0");
  if (argv.at(-1) === "") argv.pop();
  return create(ProcessInfoSchema, {
    pid,
    ppid: Number(ppid),
    state,
    threads: Number(threads),
    cpuTime: (Number(utime) + Number(stime)) / CLOCK_TICKS,
    virtualMemory: BigInt(vsize),
    residentMemory: BigInt(rss) * PAGE_SIZE,
    command: stat.slice(open + 1, close),
    executable: argv[0] ?? "",
    args: argv.slice(1).join(" "),
  });
}

/** Every process under `procRoot`, by pid; processes that exit while being read are left out. */
export function listProcesses(procRoot: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(join(procRoot, name, "stat"), "utf8");
      cmdline = readFileSync(join(procRoot, name, "cmdline"), "utf8");
    } catch {
      continue;
    }
    const info = parseProcess(stat, cmdline);
    if (info !== undefined) out.push(info);
  }
  return out.sort((a, b) => a.pid - b.pid);
}
