import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { type ProcessInfo, ProcessInfoSchema } from "@bronze/api";
import { create } from "@bufbuild/protobuf";
import type { Clock } from "../../clock.ts";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;
/** Page size of the rss field (4 KiB on x86-64 and arm64 with 4K pages). */
const PAGE_SIZE = 4096n;

/** How long a listing waits for command lines (reading one waits for its process's mmap lock). */
export const CMDLINE_TIMEOUT_MS = 1000;
/** `args` of a process whose arguments the caller may not see. */
export const ARGS_HIDDEN = "(arguments hidden: only os:operator and os:admin see command lines)";
/** `args` of a process whose command line did not come in time (or whose last read is still stuck). */
export const ARGS_UNREADABLE = "(command line unreadable: the process did not answer in time)";

/** The fields of /proc/<pid>/stat a ProcessInfo shows. */
type StatFields = Omit<ProcessInfo, "$typeName" | "executable" | "args">;

/**
 * Parses /proc/<pid>/stat. The command name sits in parentheses and may itself hold spaces and
 * parentheses: the fields resume after the last ')'. Undefined when malformed.
 */
export function parseStat(stat: string): StatFields | undefined {
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
  return {
    pid,
    ppid: Number(ppid),
    state,
    threads: Number(threads),
    cpuTime: (Number(utime) + Number(stime)) / CLOCK_TICKS,
    virtualMemory: BigInt(vsize),
    residentMemory: BigInt(rss) * PAGE_SIZE,
    command: stat.slice(open + 1, close),
  };
}

/** Parses /proc/<pid>/stat and cmdline into a ProcessInfo (argv[0] and the other arguments). */
export function parseProcess(stat: string, cmdline: string): ProcessInfo | undefined {
  const fields = parseStat(stat);
  return fields === undefined ? undefined : withArgv(fields, cmdline);
}

function withArgv(fields: StatFields, cmdline: string): ProcessInfo {
  const argv = cmdline.split("\0");
  if (argv.at(-1) === "") argv.pop();
  return create(ProcessInfoSchema, { ...fields, executable: argv[0] ?? "", args: argv.slice(1).join(" ") });
}

export interface ListOptions {
  /**
   * Whether to show command lines (argv): they can carry secrets (a --token= flag), so only operators
   * and admins see them. Without, a process shows the path of its executable (/proc/<pid>/exe) and
   * ARGS_HIDDEN; kernel threads (no executable) show neither.
   */
  readonly commandLines: boolean;
}

async function readOptional(read: () => Promise<string>): Promise<string | undefined> {
  try {
    return await read();
  } catch {
    return undefined; // the process exited while being read, or this one cannot be read
  }
}

/**
 * The processes under a /proc root, read asynchronously: nothing here blocks PID 1's event loop. A
 * command line is read at most once at a time per process and waited for CMDLINE_TIMEOUT_MS at most
 * (reading one waits for the process's mmap lock, which a process stuck in a page fault holds): a
 * stuck read is reported, never repeated, so stuck reads cannot pile up on the I/O threads.
 */
export class ProcessTable {
  readonly #procRoot: string;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  /** Command line reads still in flight, by pid. */
  readonly #reading = new Map<string, Promise<string | undefined>>();

  constructor(procRoot: string, clock: Clock, timeoutMs = CMDLINE_TIMEOUT_MS) {
    this.#procRoot = procRoot;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** Command line reads in flight (stuck ones included). */
  get reading(): number {
    return this.#reading.size;
  }

  /** Every process, by pid; processes that exit while being read are left out. */
  async list(options: ListOptions): Promise<ProcessInfo[]> {
    const pids = (await readdir(this.#procRoot)).filter((name) => /^\d+$/.test(name));
    const read = await Promise.all(
      pids.map(async (pid) => {
        const stat = await readOptional(() => readFile(join(this.#procRoot, pid, "stat"), "utf8"));
        const fields = stat === undefined ? undefined : parseStat(stat);
        return fields === undefined ? undefined : { pid, fields };
      }),
    );
    const found = read.filter((p) => p !== undefined);
    const out = options.commandLines
      ? await this.#withCommandLines(found)
      : await this.#withExecutables(found);
    return out.sort((a, b) => a.pid - b.pid);
  }

  #withExecutables(found: { pid: string; fields: StatFields }[]): Promise<ProcessInfo[]> {
    return Promise.all(
      found.map(async ({ pid, fields }) => {
        const executable = await readOptional(() => readlink(join(this.#procRoot, pid, "exe")));
        return create(ProcessInfoSchema, {
          ...fields,
          executable: executable ?? "",
          args: executable === undefined ? "" : ARGS_HIDDEN,
        });
      }),
    );
  }

  async #withCommandLines(found: { pid: string; fields: StatFields }[]): Promise<ProcessInfo[]> {
    const cmdlines = new Map<string, string | undefined>();
    const reads: Promise<unknown>[] = [];
    for (const { pid } of found) {
      if (this.#reading.has(pid)) continue; // its last read is stuck still: not another one
      const reading = readOptional(() => readFile(join(this.#procRoot, pid, "cmdline"), "utf8"));
      this.#reading.set(pid, reading);
      reads.push(
        reading.then((cmdline) => {
          if (this.#reading.get(pid) === reading) this.#reading.delete(pid);
          cmdlines.set(pid, cmdline ?? "");
        }),
      );
    }
    const allRead = new AbortController();
    await Promise.race([
      Promise.all(reads).then(() => allRead.abort()),
      this.#clock.sleep(this.#timeoutMs, allRead.signal),
    ]);
    allRead.abort();
    return found.map(({ pid, fields }) => {
      const cmdline = cmdlines.get(pid);
      return cmdline === undefined
        ? create(ProcessInfoSchema, { ...fields, executable: "", args: ARGS_UNREADABLE })
        : withArgv(fields, cmdline);
    });
  }
}
