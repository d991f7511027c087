// A real machined in container mode for fault-injection tests: the multi-call entry as a child process
// on a sandbox root, its console as lines, its machine API over the unix socket (the role in a header,
// as apid passes it), and the processes of the node as /proc shows them.
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { MachineService, ROLE_HEADER } from "@bronze/api";
import { waitFor } from "@bronze/testing";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Subprocess } from "bun";
import { nodePaths } from "../node/node-paths.ts";

const MAIN = join(import.meta.dir, "../main.ts");
export const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");

export interface ContainerNode {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** machined's console, a line at a time. */
  readonly console: string[];
  readonly api: Client<typeof MachineService>;
  /** Resolves with the first console line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * Starts `main.ts --platform container --root <root>` with `args`; `command` runs another machined
 * than `bun main.ts` (the compiled node binary).
 */
export function startContainerNode(
  root: string,
  args: readonly string[],
  command: readonly string[] = ["bun", MAIN],
): ContainerNode {
  const proc = Bun.spawn([...command, "--platform", "container", "--root", root, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of proc.stdout) {
      const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  const socketPath = nodePaths(root).machinedSocket;
  const api = createClient(
    MachineService,
    createGrpcTransport({
      baseUrl: "http://localhost",
      nodeOptions: { createConnection: () => connect(socketPath) },
      interceptors: [
        (next) => (req) => {
          req.header.set(ROLE_HEADER, "os:admin");
          return next(req);
        },
      ],
    }),
  );
  return {
    proc,
    console: lines,
    api,
    waitForLine: (pattern, timeoutMs = 30_000) =>
      waitFor(() => lines.find((l) => pattern.test(l)), {
        what: `machined's console line ${pattern}`,
        timeoutMs,
        intervalMs: 50,
        abandon: () => (proc.exitCode !== null ? `machined exited with ${proc.exitCode}` : undefined),
      }),
  };
}

/** The pids of processes whose command line mentions `text` (a sandbox root). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** Whether `pid` is a live process (a zombie is not). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
