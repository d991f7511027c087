// Streaming commands: `osctl logs <service> [-f] [--tail N]`, `osctl dmesg [-f]`,
// `osctl events [-f] [--tail N]`. With several nodes every line is prefixed by its node.
// Following runs until the user interrupts (or `signal` aborts, for tests and embedding).
import type { KernelMessage, LogLine } from "@bronze/api";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { fanOut } from "../client/fan-out.ts";
import { type NodeGlobals, type NodeSession, withNodeSession } from "../client/node-client.ts";
import { reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";

export interface StreamOptions {
  follow?: boolean;
  tail?: number;
}

/** Runs one stream per node; each node's lines are written as they come. Returns the exit code. */
async function streamPerNode<T>(
  session: NodeSession,
  io: Io,
  open: (
    headers: Record<string, string>,
    signal: AbortSignal,
    timeoutMs: number | undefined,
  ) => AsyncIterable<T>,
  lines: (item: T) => string[],
  follow: boolean,
  signal?: AbortSignal,
): Promise<number> {
  const several = session.nodes.length > 1;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const results = await fanOut(session, async (n) => {
      try {
        for await (const item of open(n.headers, controller.signal, follow ? undefined : session.timeoutMs)) {
          for (const line of lines(item)) io.stdout(several ? `${n.node}: ${line}\n` : `${line}\n`);
        }
      } catch (error) {
        if (controller.signal.aborted) return; // the user stopped following: not a failure
        throw error;
      }
    });
    return reportErrors(io, results);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

export function formatLogLine(line: LogLine): string {
  return line.text;
}

export async function logs(
  id: string,
  options: StreamOptions,
  globals: NodeGlobals,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const follow = options.follow ?? false;
  // talosctl's default: every kept line first, then the new ones when following.
  const tailLines = options.tail ?? -1;
  return withNodeSession(globals, io, {}, (session) =>
    streamPerNode(
      session,
      io,
      (headers, sig, timeoutMs) =>
        session.client.logs({ id, follow, tailLines }, { headers, signal: sig, timeoutMs }),
      (res) => res.lines.map(formatLogLine),
      follow,
      signal,
    ),
  );
}

/** `[   12.345678] message`, as dmesg prints it. */
export function formatKernelMessage(message: KernelMessage): string {
  const usec = message.timestampUsec;
  const seconds = usec / 1_000_000n;
  const micros = (usec % 1_000_000n).toString().padStart(6, "0");
  return `[${seconds.toString().padStart(5)}.${micros}] ${message.message}`;
}

export async function dmesg(
  options: { follow?: boolean; tail?: boolean },
  globals: NodeGlobals,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const follow = options.follow ?? false;
  return withNodeSession(globals, io, {}, (session) =>
    streamPerNode(
      session,
      io,
      (headers, sig, timeoutMs) =>
        session.client.dmesg({ follow, tail: options.tail ?? false }, { headers, signal: sig, timeoutMs }),
      (res) => res.messages.map(formatKernelMessage),
      follow,
      signal,
    ),
  );
}

export async function events(
  options: StreamOptions & { service?: string },
  globals: NodeGlobals,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const follow = options.follow ?? false;
  const tailEvents = options.tail ?? -1;
  return withNodeSession(globals, io, {}, (session) =>
    streamPerNode(
      session,
      io,
      (headers, sig, timeoutMs) =>
        session.client.events(
          { tailEvents, follow, service: options.service ?? "" },
          { headers, signal: sig, timeoutMs },
        ),
      (e) => {
        const time = e.time ? timestampDate(e.time).toISOString() : "";
        const health = e.healthy === undefined ? "" : e.healthy ? " [healthy]" : " [unhealthy]";
        return [`${time} ${e.service} ${e.state}${health}${e.message ? `: ${e.message}` : ""}`];
      },
      follow,
      signal,
    ),
  );
}
